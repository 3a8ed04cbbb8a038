package bench

import (
	"context"

	"github.com/afex/hystrix-go/hystrix"
	"github.com/cenkalti/backoff/v5"
	"github.com/eapache/go-resiliency/breaker"
	"github.com/eapache/go-resiliency/deadline"
	"github.com/failsafe-go/failsafe-go"
	fscircuitbreaker "github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/fallback"
	"github.com/failsafe-go/failsafe-go/timeout"
	"github.com/sony/gobreaker/v2"
)

// Pipeline class: fallback + retry + breaker + per-attempt timeout on the
// success path, outermost first. The retry is the Retry class's, the breaker
// the Breaker class's (hystrix-go: BreakerTimeWindow's), each attempt is
// bounded by AttemptTimeout, and the fallback turns any error that is left
// into success (the call returns nil). The protected function looks at its
// context's Done channel before it succeeds, as real work does.
//
// Where the libraries differ:
//   - failsafe-go has all four: an Executor of Fallback, RetryPolicy,
//     CircuitBreaker and Timeout, built once. The caller's context is
//     passed with WithContext on each call, and the function reads the
//     attempt's context from the Execution, so the timeout can cancel it.
//   - eapache: retrier, breaker and deadline nested by hand, the fallback an
//     if. deadline runs the function on a goroutine of its own and signals
//     a timeout on a channel rather than cancelling the context; a
//     timed-out attempt is abandoned, not stopped.
//   - gobreaker has only the breaker: the row composes it the way its users
//     do, with cenkalti/backoff for the retry, context.WithTimeout for the
//     per-attempt timeout and an if for the fallback.
//   - hystrix-go has breaker, timeout and fallback in one command but no
//     retry: the row retries the command with cenkalti/backoff and falls
//     back outside the retry with an if (hystrix's own fallback would sit
//     inside the retry and stop it). Its timeout abandons the attempt's
//     goroutine rather than cancelling the context.
//   - rampart: a Pipeline of fallback.Value, retry, circuitbreaker and a
//     cooperative timeout; the timeout's context arms its timer only when
//     the function asks for Done, which this one does.

// PipelineSubjects lists the Pipeline class's rows.
func PipelineSubjects() []Subject {
	return append(rampartPipelineSubjects(), []Subject{
		{Lib: "failsafe-go", New: failsafePipeline},
		{Lib: "eapache", New: eapachePipeline},
		{Lib: "gobreaker", New: gobreakerPipeline},
		{Lib: "hystrix-go", New: hystrixPipeline, Global: true},
	}...)
}

func failsafePipeline() Instance {
	cb := fscircuitbreaker.NewBuilder[any]().
		WithFailureThreshold(ConsecutiveFailures).
		WithSuccessThreshold(1).
		WithDelay(OpenFor).
		Build()
	exec := failsafe.With[any](
		fallback.NewWithResult[any](nil),
		failsafeRetryPolicy(),
		cb,
		timeout.New[any](AttemptTimeout),
	)
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		return exec.WithContext(ctx).RunWithExecution(func(e failsafe.Execution[any]) error {
			return fn(e.Context())
		})
	}}
}

func eapachePipeline() Instance {
	r := eapacheRetrier()
	b := breaker.New(ConsecutiveFailures, 1, OpenFor)
	d := deadline.New(AttemptTimeout)
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		err := r.RunCtx(ctx, func(ctx context.Context) error {
			return b.Run(func() error {
				return d.Run(func(<-chan struct{}) error { return fn(ctx) })
			})
		})
		if err != nil {
			err = nil // the fallback: degrade to the default result
		}
		return err
	}}
}

func gobreakerPipeline() Instance {
	cb := gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		MaxRequests: 1,
		Timeout:     OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= ConsecutiveFailures },
	})
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		_, err := backoff.Retry(ctx, func() (struct{}, error) {
			return cb.Execute(func() (struct{}, error) {
				actx, cancel := context.WithTimeout(ctx, AttemptTimeout)
				defer cancel()
				return struct{}{}, fn(actx)
			})
		}, backoffOptions()...)
		if err != nil {
			err = nil // the fallback: degrade to the default result
		}
		return err
	}}
}

func hystrixPipeline() Instance {
	name := hystrixCommand(AttemptTimeout)
	return Instance{
		Call: func(ctx context.Context, fn func(context.Context) error) error {
			_, err := backoff.Retry(ctx, func() (struct{}, error) {
				return struct{}{}, hystrix.DoC(ctx, name, fn, nil)
			}, backoffOptions()...)
			if err != nil {
				err = nil // the fallback: degrade to the default result
			}
			return err
		},
		Tripped: hystrixTripped(name),
	}
}
