package bench

import (
	"context"
	"errors"

	"github.com/afex/hystrix-go/hystrix"
	"github.com/cenkalti/backoff/v5"
	"github.com/eapache/go-resiliency/breaker"
	"github.com/eapache/go-resiliency/retrier"
	"github.com/failsafe-go/failsafe-go"
	fscircuitbreaker "github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/fallback"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
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
//   - eapache: retrier and breaker nested by hand, the fallback an if. The
//     per-attempt timeout is context.WithTimeout, as with gobreaker, not
//     eapache's deadline package: deadline runs the function on a
//     goroutine of its own and abandons it when time is up, while every
//     other row cancels the attempt's context and waits for it to return.
//     Its breaker is not a consecutive-failure breaker (see breaker.go).
//   - gobreaker has only the breaker: the row composes it the way its users
//     do, with cenkalti/backoff for the retry, context.WithTimeout for the
//     per-attempt timeout and an if for the fallback.
//   - No row retries its breaker's rejection, as rampart's retry does not
//     (rejections match rampart.ErrRejected): failsafe-go's retry policy
//     aborts on circuitbreaker.ErrOpen, eapache's retrier blacklists
//     breaker.ErrBreakerOpen, and the gobreaker row returns
//     gobreaker.ErrOpenState to backoff as backoff.Permanent.
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

func failsafePipeline() Instance { return failsafeComposed(failsafePipelineBreaker[any]()) }

func failsafePipelineBreaker[R any]() fscircuitbreaker.CircuitBreaker[R] {
	return fscircuitbreaker.NewBuilder[R]().
		WithFailureThreshold(ConsecutiveFailures).
		WithSuccessThreshold(1).
		WithDelay(OpenFor).
		Build()
}

// failsafePipelineRetry is the Retry class's retry policy, except that it
// does not retry the breaker's rejection.
func failsafePipelineRetry[R any]() retrypolicy.RetryPolicy[R] {
	return retrypolicy.NewBuilder[R]().
		WithMaxAttempts(MaxAttempts).
		WithBackoffFactor(BaseDelay, MaxDelay, Multiplier).
		WithJitterFactor(Jitter).
		AbortOnErrors(fscircuitbreaker.ErrOpen).
		ReturnLastFailure().
		Build()
}

func failsafeComposed(cb fscircuitbreaker.CircuitBreaker[any]) Instance {
	exec := failsafe.With[any](
		fallback.NewWithResult[any](nil),
		failsafePipelineRetry[any](),
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
	return eapacheComposed(breaker.New(ConsecutiveFailures, 1, OpenFor))
}

// eapachePipelineRetrier is the Retry class's retrier, except that it does
// not retry the breaker's rejection.
func eapachePipelineRetrier() *retrier.Retrier {
	r := retrier.New(retrier.LimitedExponentialBackoff(MaxAttempts-1, BaseDelay, MaxDelay),
		retrier.BlacklistClassifier{breaker.ErrBreakerOpen})
	r.SetJitter(Jitter)
	return r
}

func eapacheComposed(b *breaker.Breaker) Instance {
	r := eapachePipelineRetrier()
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		err := r.RunCtx(ctx, func(ctx context.Context) error {
			return b.Run(func() error {
				actx, cancel := context.WithTimeout(ctx, AttemptTimeout)
				defer cancel()
				return fn(actx)
			})
		})
		if err != nil {
			err = nil // the fallback: degrade to the default result
		}
		return err
	}}
}

func gobreakerPipeline() Instance { return gobreakerComposed(gobreakerPipelineBreaker()) }

func gobreakerPipelineBreaker() *gobreaker.CircuitBreaker[struct{}] {
	return gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		MaxRequests: 1,
		Timeout:     OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= ConsecutiveFailures },
	})
}

// gobreakerAttempt is one attempt of the gobreaker rows: through the
// breaker, under a per-attempt timeout; a rejection is not to be retried.
func gobreakerAttempt(ctx context.Context, cb *gobreaker.CircuitBreaker[struct{}], fn func(context.Context) error) (struct{}, error) {
	_, err := cb.Execute(func() (struct{}, error) {
		actx, cancel := context.WithTimeout(ctx, AttemptTimeout)
		defer cancel()
		return struct{}{}, fn(actx)
	})
	if errors.Is(err, gobreaker.ErrOpenState) {
		return struct{}{}, backoff.Permanent(err)
	}
	return struct{}{}, err
}

func gobreakerComposed(cb *gobreaker.CircuitBreaker[struct{}]) Instance {
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		_, err := backoff.Retry(ctx, func() (struct{}, error) {
			return gobreakerAttempt(ctx, cb, fn)
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
