package rampart

import (
	"context"

	"github.com/rampart-go/rampart/internal/ctxval"
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
	return ctxval.New[attemptKey](ctx, a)
}
