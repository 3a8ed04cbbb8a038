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
	// held returns where a fork keeps the writes [Publish] was asked for
	// until the fork is adopted, or nil when they go through at once.
	held() *held
}

// held is a fork's list of writes waiting for the fork to be adopted.
type held []func()

// publish runs w now when h is nil, and otherwise keeps it for adoption.
func (h *held) publish(w func()) {
	if h == nil {
		w()
		return
	}
	*h = append(*h, w)
}

// pass hands the writes a fork kept to the slot that adopts it: they run
// now, or wait for that slot's own adoption if it is a fork too.
func (h held) pass(to *held) {
	for _, w := range h {
		to.publish(w)
	}
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
func (d doFunc) fork() operation { return &forkedDo{fn: d} }
func (doFunc) adopt(from operation) {
	if f, ok := from.(*forkedDo); ok {
		f.pending.pass(nil)
	}
}
func (doFunc) result() (any, bool)   { return nil, false }
func (doFunc) setResult(v any) error { return nil }
func (doFunc) held() *held           { return nil }

// forkedDo is a fork of a Do's call: no result, but writes held until it
// is adopted.
type forkedDo struct {
	fn      func(context.Context) error
	pending held
}

func (d *forkedDo) run(ctx context.Context) error { return doFunc(d.fn).run(ctx) }
func (d *forkedDo) fork() operation               { return &forkedDo{fn: d.fn} }
func (d *forkedDo) adopt(from operation) {
	if f, ok := from.(*forkedDo); ok && f != d {
		f.pending.pass(&d.pending)
	}
}
func (*forkedDo) result() (any, bool)   { return nil, false }
func (*forkedDo) setResult(v any) error { return nil }
func (d *forkedDo) held() *held         { return &d.pending }

// Fork returns a copy of n with a result slot of its own. A policy that
// runs attempts concurrently runs each on a fork, so no two attempts write
// the same result, and keeps the winner's with [Next.Adopt]. What the
// policies inside a fork [Publish] (a fallback's report) is held with its
// result and lands only if the fork is adopted. A fork costs one small
// allocation.
func (n Next) Fork() Next {
	switch {
	case n.op != nil:
		n.op = n.op.fork()
	case n.fn != nil:
		n.op, n.fn = &forkedDo{fn: n.fn}, nil
	}
	return n
}

// Adopt copies the result of from, a fork of n, into n's result slot, and
// lets through what was published on from. Adopt a fork only once its
// attempt has returned, and at most one fork of a call.
func (n Next) Adopt(from Next) {
	switch {
	case from.op == nil:
	case n.op == nil: // the innermost policy of a Do: the caller's own call
		doFunc(nil).adopt(from.op)
	default:
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
	switch n.op.(type) {
	case nil, doFunc, *forkedDo:
		return false
	}
	return true
}

// Publish stores v in *dst, a location the caller reads once the call
// returns (such as a fallback's report), on behalf of the policy running
// next. On the caller's own call the write happens at once. On a fork
// ([Next.Fork]) it is held, and happens when the fork is adopted
// ([Next.Adopt]), in the adopting goroutine, or never if the fork is not
// adopted: an attempt that a timeout abandoned, or a hedge that lost, never
// writes into a caller that has moved on.
//
// Publishing on the caller's own call allocates nothing; on a fork, it
// allocates the held write.
func Publish[T any](next Next, dst *T, v T) {
	if next.op != nil {
		if h := next.op.held(); h != nil {
			h.publish(func() { *dst = v })
			return
		}
	}
	*dst = v
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

func (c *call[T]) fork() operation { return &forkedCall[T]{call: call[T]{fn: c.fn}} }

func (c *call[T]) adopt(from operation) {
	if f, ok := from.(*forkedCall[T]); ok {
		c.v = f.v
		f.pending.pass(nil)
	}
}

func (c *call[T]) held() *held { return nil }

// forkedCall is a fork of a Get's call: a result slot of its own, and the
// writes held until it is adopted. A type apart, so that the caller's own
// slot stays two words.
type forkedCall[T any] struct {
	call[T]
	pending held
}

func (c *forkedCall[T]) adopt(from operation) {
	if f, ok := from.(*forkedCall[T]); ok && f != c {
		c.v = f.v
		f.pending.pass(&c.pending)
	}
}

func (c *forkedCall[T]) held() *held { return &c.pending }

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

// Error names the two types.
func (e *ResultTypeError) Error() string {
	return "rampart: result of type " + e.Got + " cannot stand in for " + e.Want
}
