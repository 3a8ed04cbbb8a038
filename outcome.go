package rampart

import (
	"context"
	"errors"
	"strconv"
)

// Outcome is how a policy judges the end of a call.
type Outcome uint8

const (
	// Success counts toward health: the call did what was asked.
	Success Outcome = iota
	// Failure counts against health: it may trip a breaker, be retried, or
	// trigger a fallback.
	Failure
	// Ignored counts for nothing. By default a cancellation caused by the
	// caller's own context is ignored: the caller left, and the downstream
	// did nothing wrong.
	Ignored
)

// String returns "success", "failure" or "ignored".
func (o Outcome) String() string {
	switch o {
	case Success:
		return "success"
	case Failure:
		return "failure"
	case Ignored:
		return "ignored"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Classifier judges the outcome of a call, given the context the policy
// received (the caller's, from the policy's point of view) and the error.
// Every policy takes one in its config; nil means [Classify].
type Classifier func(ctx context.Context, err error) Outcome

// Classify is the default [Classifier]: nil is [Success]; an error caused by
// the cancellation of ctx itself (ctx is done and err is, or wraps,
// [context.Canceled] or [context.DeadlineExceeded]) is [Ignored]; anything
// else is [Failure].
//
// A deadline set inside the policy, such as a per-attempt timeout, is not the
// caller's: the timeout error it produces is a failure.
func Classify(ctx context.Context, err error) Outcome {
	if err == nil {
		return Success
	}
	if CausedByCaller(ctx, err) {
		return Ignored
	}
	return Failure
}

// CausedByCaller reports whether err is the caller giving up: ctx is done
// and err is, or wraps, [context.Canceled] or [context.DeadlineExceeded].
func CausedByCaller(ctx context.Context, err error) bool {
	if ctx == nil || ctx.Err() == nil {
		return false
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// ClassifyWith runs c, or [Classify] when c is nil.
func ClassifyWith(c Classifier, ctx context.Context, err error) Outcome {
	if c == nil {
		return Classify(ctx, err)
	}
	return c(ctx, err)
}
