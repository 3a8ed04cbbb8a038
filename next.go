package rampart

import (
	"context"
	"errors"
	"fmt"
	"reflect"
)

// Next is the rest of a call as a policy sees it: the policies inside this
// one, then the protected function. A policy runs it with [Next.Run].
//
// Next is a small value passed by copy; it allocates nothing. Its result
// methods matter only to policies that replace or inspect results
// (fallbacks, result-based retry) or run attempts concurrently (hedging, an
// abandoning timeout).
type Next struct {
	// Four words at most, so the compiler keeps a Next in registers
	// rather than building it in memory at every step of a call.
	rest *link                       // the policies left to run, or nil
	fn   func(context.Context) error // a Do's function, when nothing is left to run before it
	op   operation                   // otherwise the function: a Get's call, or a Do's as a doFunc
}

// link is one policy of a pipeline and the policies inside it. The links of
// a pipeline are built once, by [Pipeline]; a call walks them.
type link struct {
	p    Policy
	next *link
}

// operation is a protected function together with its result slot.
type operation interface {
	run(ctx context.Context) error
	fork() operation
	adopt(from operation)
	result() (any, bool)
	setResult(v any) error
}

// Run runs the rest of the call: the next policy, or the protected function
// when no policy is left.
func (n Next) Run(ctx context.Context) error {
	// Small enough to inline into the policy, so the innermost policy of
	// a Do calls the function itself: one call site, and n.fn is set only
	// when nothing is left to run before it.
	f := n.fn
	if f == nil {
		f = n.run
	}
	return f(ctx)
}

// run runs the rest of the call when Run cannot simply call n.fn.
func (n Next) run(ctx context.Context) error {
	if l := n.rest; l != nil {
		return l.p.Execute(ctx, n.at(l.next))
	}
	if n.op != nil {
		return n.op.run(ctx)
	}
	return ErrNilFunc
}

// at returns the Next that runs rest and then n's function, keeping a Do's
// function in fn only when rest is empty, as Run expects.
func (n Next) at(rest *link) Next {
	f := n.fn
	if f == nil {
		d, ok := n.op.(doFunc)
		if !ok {
			return Next{rest: rest, op: n.op} // a Get, or a nil function
		}
		f = d
	}
	if rest == nil {
		return Next{fn: f}
	}
	return Next{rest: rest, op: doFunc(f)}
}

// doFunc carries a Do's function past the policies before the innermost.
// A func is a pointer, so putting one in an interface allocates nothing.
type doFunc func(context.Context) error

func (d doFunc) run(ctx context.Context) error {
	if d == nil {
		return ErrNilFunc
	}
	return d(ctx)
}
func (d doFunc) fork() operation     { return d }
func (doFunc) adopt(operation)       {}
func (doFunc) result() (any, bool)   { return nil, false }
func (doFunc) setResult(v any) error { return nil }

// Fork returns a copy of n with a result slot of its own. A policy that
// runs attempts concurrently runs each on a fork, so no two attempts write
// the same result, and keeps the winner's with [Next.Adopt]. Forking a call
// made with [Do], which has no result, costs nothing.
func (n Next) Fork() Next {
	if n.op != nil {
		n.op = n.op.fork()
	}
	return n
}

// Adopt copies the result of from, a fork of n, into n's result slot.
func (n Next) Adopt(from Next) {
	if n.op != nil && from.op != nil {
		n.op.adopt(from.op)
	}
}

// Result returns the value the protected function (or a fallback) last put
// in the result slot. ok is false for calls made with [Do], which have no
// result. The value is boxed in an interface, which may allocate: call it
// only when a policy needs the value.
func (n Next) Result() (v any, ok bool) {
	if n.op == nil {
		return nil, false
	}
	return n.op.result()
}

// SetResult replaces the call's result with v, as a fallback does. It
// returns an error if v's type is not the call's result type. For calls made
// with [Do], which have no result, it does nothing and returns nil.
func (n Next) SetResult(v any) error {
	if n.op == nil {
		return nil
	}
	return n.op.setResult(v)
}

// HasResult reports whether the call carries a result, that is, whether it
// was made with [Get] rather than [Do].
func (n Next) HasResult() bool {
	if n.op == nil {
		return false
	}
	_, isDo := n.op.(doFunc)
	return !isDo
}

// ErrNilFunc is returned, without running any policy, for a call whose
// protected function is nil.
var ErrNilFunc = errors.New("rampart: nil function")

// call is the result slot of a [Get].
type call[T any] struct {
	fn func(context.Context) (T, error)
	v  T
}

func (c *call[T]) run(ctx context.Context) error {
	if c.fn == nil {
		return ErrNilFunc
	}
	v, err := c.fn(ctx)
	c.v = v
	return err
}

func (c *call[T]) fork() operation { return &call[T]{fn: c.fn} }

func (c *call[T]) adopt(from operation) {
	if f, ok := from.(*call[T]); ok && f != c {
		c.v = f.v
	}
}

func (c *call[T]) result() (any, bool) { return c.v, true }

func (c *call[T]) setResult(v any) error {
	if v == nil {
		var zero T
		c.v = zero
		return nil
	}
	t, ok := v.(T)
	if !ok {
		return &ResultTypeError{Got: fmt.Sprintf("%T", v), Want: reflect.TypeFor[T]().String()}
	}
	c.v = t
	return nil
}

// ResultTypeError reports a value that cannot stand in for a call's result
// because its type differs, such as a fallback value of the wrong type.
type ResultTypeError struct {
	Got, Want string
}

func (e *ResultTypeError) Error() string {
	return "rampart: result of type " + e.Got + " cannot stand in for " + e.Want
}
