package bench

import (
	"context"

	"github.com/cenkalti/backoff/v5"
	"github.com/eapache/go-resiliency/retrier"
	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
)

// Retry class: a retry wrapper whose first attempt succeeds. Every row
// allows MaxAttempts attempts with exponential backoff from BaseDelay,
// ×Multiplier, capped at MaxDelay, varied by ±Jitter, and retries every
// error.
//
// Where the libraries differ:
//   - backoff: an ExponentialBackOff is stateful, so each call gets a new
//     one (as its documentation does); Retry is generic over the result,
//     so the call returns struct{}. It checks the caller's context between
//     attempts.
//   - failsafe-go: WithMaxAttempts, WithBackoffFactor, WithJitterFactor and
//     ReturnLastFailure, called through an Executor built once and reused.
//     The caller's context is not passed (WithContext per call would cost
//     one more allocation); a first attempt that succeeds never reads it.
//   - eapache: LimitedExponentialBackoff precomputes the delays with a
//     fixed factor of 2; SetJitter takes the same ±fraction. Jitter draws
//     from a rand.Rand behind a mutex, but only when it waits.

// RetrySubjects lists the Retry class's rows.
func RetrySubjects() []Subject {
	return append(rampartRetrySubjects(), []Subject{
		{Lib: "backoff", New: backoffRetry},
		{Lib: "failsafe-go", New: failsafeRetry},
		{Lib: "eapache", New: eapacheRetry},
	}...)
}

// backoffOptions are cenkalti/backoff's options for one call.
func backoffOptions() []backoff.RetryOption {
	return []backoff.RetryOption{
		backoff.WithBackOff(&backoff.ExponentialBackOff{
			InitialInterval:     BaseDelay,
			RandomizationFactor: Jitter,
			Multiplier:          Multiplier,
			MaxInterval:         MaxDelay,
		}),
		backoff.WithMaxTries(MaxAttempts),
	}
}

func backoffRetry() Instance {
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		_, err := backoff.Retry(ctx, func() (struct{}, error) { return struct{}{}, fn(ctx) }, backoffOptions()...)
		return err
	}}
}

func failsafeRetryPolicy() retrypolicy.RetryPolicy[any] {
	return retrypolicy.NewBuilder[any]().
		WithMaxAttempts(MaxAttempts).
		WithBackoffFactor(BaseDelay, MaxDelay, Multiplier).
		WithJitterFactor(Jitter).
		ReturnLastFailure().
		Build()
}

func failsafeRetry() Instance {
	exec := failsafe.With[any](failsafeRetryPolicy())
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		return exec.Run(func() error { return fn(ctx) })
	}}
}

func eapacheRetrier() *retrier.Retrier {
	r := retrier.New(retrier.LimitedExponentialBackoff(MaxAttempts-1, BaseDelay, MaxDelay), nil)
	r.SetJitter(Jitter)
	return r
}

func eapacheRetry() Instance {
	r := eapacheRetrier()
	return Instance{Call: r.RunCtx}
}
