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
	chain *Chain                      // the pipeline, or nil for a lone policy
	i     int                         // the index in chain of the next policy to run
	fn    func(context.Context) error // the function of a Do, or nil
	op    operation                   // the function and result slot of a Get, or nil
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
	// The innermost policy's call of a Do's function is the common case;
	// kept small enough to inline into the policy.
	if n.fn != nil && (n.chain == nil || n.i == len(n.chain.policies)) {
		return n.fn(ctx)
	}
	return n.run(ctx)
}

func (n Next) run(ctx context.Context) error {
	if c := n.chain; c != nil && n.i < len(c.policies) {
		return c.policies[n.i].Execute(ctx, Next{chain: c, i: n.i + 1, fn: n.fn, op: n.op})
	}
	if n.op != nil {
		return n.op.run(ctx)
	}
	if n.fn == nil {
		return ErrNilFunc
	}
	return n.fn(ctx)
}

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
	if n.op != nil && from.op != nil && n.op != from.op {
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
	return n.op != nil
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
	if f, ok := from.(*call[T]); ok {
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
