package rampart

import (
	"context"
	"fmt"
	"strconv"
)

// Attempt describes one execution of the protected function.
type Attempt struct {
	// Number is 1 for the first attempt, 2 for the next, and so on.
	Number int
	// Retry is true for an attempt started by a retry policy after a
	// failure.
	Retry bool
	// Hedge is true for an attempt started by a hedging policy while an
	// earlier one is still running.
	Hedge bool
}

type attemptKey struct{}

// AttemptFrom returns the attempt that ctx belongs to. Outside any retry or
// hedge it is the first attempt, Attempt{Number: 1}. It allocates nothing.
func AttemptFrom(ctx context.Context) Attempt {
	if a, ok := ctx.Value(attemptKey{}).(*Attempt); ok {
		return *a
	}
	return Attempt{Number: 1}
}

// WithAttempt returns a copy of ctx that carries a. Policies that run more
// than one attempt call it for every attempt after the first (the first needs
// no value, so it allocates nothing). It costs one allocation, half of what
// [context.WithValue] would: the context and the attempt are one object.
func WithAttempt(ctx context.Context, a Attempt) context.Context {
	return &attemptCtx{Context: ctx, a: a}
}

// attemptCtx is ctx carrying an attempt. Every other method, and every
// other key's value, is ctx's, so contexts derived from it find the
// standard library's cancellation underneath as they would through
// [context.WithValue].
type attemptCtx struct {
	context.Context
	a Attempt
}

func (c *attemptCtx) Value(key any) any {
	if key == (attemptKey{}) {
		return &c.a
	}
	return c.Context.Value(key)
}

// String describes the context for debugging, as the standard library's
// contexts do.
func (c *attemptCtx) String() string {
	parent := fmt.Sprintf("%T", c.Context)
	if s, ok := c.Context.(fmt.Stringer); ok {
		parent = s.String()
	}
	return parent + ".WithAttempt(" + strconv.Itoa(c.a.Number) + ")"
}
