package bench

import (
	"context"

	"github.com/eapache/go-resiliency/breaker"
	"github.com/failsafe-go/failsafe-go"
	fscircuitbreaker "github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/sony/gobreaker/v2"
)

// Breaker class: a breaker-guarded call on the success path with a
// consecutive (count) window: trip after ConsecutiveFailures failures in a
// row, reject for OpenFor, then let one probe through and close on its
// success.
//
// Where the libraries differ:
//   - gobreaker: ReadyToTrip on ConsecutiveFailures; Interval 0, so counts
//     are never cleared while closed; MaxRequests 1 (one probe, one success
//     closes). Execute recovers and re-panics, and reads time.Now twice per
//     call under its mutex.
//   - failsafe-go: WithFailureThreshold + WithSuccessThreshold(1); called
//     through an Executor built once and reused, as its documentation
//     shows. The caller's context is not passed (that would need
//     WithContext per call, one more allocation); on the success path the
//     breaker never reads it.
//   - eapache: breaker.New(errors, successes, timeout) has one duration for
//     both the open time and the error-free period that forgets earlier
//     errors; "5 errors with no 60 s quiet gap" is its nearest to "5 in a
//     row". When half-open it lets every call through, not one probe.
//   - hystrix-go has no count window; see BreakerTimeWindow.

// BreakerSubjects lists the Breaker class's rows.
func BreakerSubjects() []Subject {
	return append(rampartBreakerSubjects(), []Subject{
		{Lib: "gobreaker", New: gobreakerConsecutive},
		{Lib: "failsafe-go", New: failsafeConsecutive},
		{Lib: "eapache", New: eapacheBreaker},
	}...)
}

func gobreakerInstance(st gobreaker.Settings) Instance {
	cb := gobreaker.NewCircuitBreaker[struct{}](st)
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		_, err := cb.Execute(func() (struct{}, error) { return struct{}{}, fn(ctx) })
		return err
	}}
}

func gobreakerConsecutive() Instance {
	return gobreakerInstance(gobreaker.Settings{
		MaxRequests: 1,
		Timeout:     OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= ConsecutiveFailures },
	})
}

func failsafeInstance(cb fscircuitbreaker.CircuitBreaker[any]) Instance {
	exec := failsafe.With[any](cb)
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		return exec.Run(func() error { return fn(ctx) })
	}}
}

func failsafeConsecutive() Instance {
	return failsafeInstance(fscircuitbreaker.NewBuilder[any]().
		WithFailureThreshold(ConsecutiveFailures).
		WithSuccessThreshold(1).
		WithDelay(OpenFor).
		Build())
}

func eapacheBreaker() Instance {
	b := breaker.New(ConsecutiveFailures, 1, OpenFor)
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		return b.Run(func() error { return fn(ctx) })
	}}
}

// BreakerTimeWindow class: the same call with a time-based window of Window
// in WindowBucket buckets, tripping once it holds at least MinCalls calls of
// which at least FailureRate failed; OpenFor, one probe as above.
//
// Where the libraries differ:
//   - gobreaker: Interval Window with BucketPeriod WindowBucket (a rolling
//     window), ReadyToTrip on Requests and TotalFailures.
//   - failsafe-go: WithFailureRateThreshold(rate, calls, window), which
//     always slices the window in 10; WithSuccessThreshold(1).
//   - hystrix-go: the window is fixed at 10 one-second buckets, the rate is
//     a whole percentage, and every call runs on a goroutine of its own
//     under a timeout (set to OpenFor here so it never fires) and a
//     concurrency cap (set high). Outcomes are counted asynchronously, so
//     the breaker trips a little after the failures that trip it.
//   - eapache has no time window.

// BreakerTimeWindowSubjects lists the BreakerTimeWindow class's rows.
func BreakerTimeWindowSubjects() []Subject {
	return append(rampartBreakerTimeWindowSubjects(), []Subject{
		{Lib: "gobreaker", New: gobreakerTimeWindow},
		{Lib: "failsafe-go", New: failsafeTimeWindow},
		{Lib: "hystrix-go", New: hystrixBreaker, Global: true},
	}...)
}

func gobreakerTimeWindow() Instance {
	return gobreakerInstance(gobreaker.Settings{
		MaxRequests:  1,
		Interval:     Window,
		BucketPeriod: WindowBucket,
		Timeout:      OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.Requests >= MinCalls && float64(c.TotalFailures) >= FailureRate*float64(c.Requests)
		},
	})
}

func failsafeTimeWindow() Instance {
	return failsafeInstance(fscircuitbreaker.NewBuilder[any]().
		WithFailureRateThreshold(FailureRate, MinCalls, Window).
		WithSuccessThreshold(1).
		WithDelay(OpenFor).
		Build())
}

// BreakerOpen class: the rejection path. Each row is its Breaker-class
// configuration (hystrix-go: its BreakerTimeWindow one), tripped by
// failing calls before the clock starts.

// BreakerOpenSubjects lists the BreakerOpen class's rows.
func BreakerOpenSubjects() []Subject {
	return append(rampartBreakerOpenSubjects(), []Subject{
		{Lib: "gobreaker", New: tripped(gobreakerConsecutive, ConsecutiveFailures)},
		{Lib: "failsafe-go", New: tripped(failsafeConsecutive, ConsecutiveFailures)},
		{Lib: "hystrix-go", New: tripped(hystrixBreaker, MinCalls), Global: true},
		{Lib: "eapache", New: tripped(eapacheBreaker, ConsecutiveFailures)},
	}...)
}

// tripped builds an instance with build and trips it with n failing calls.
func tripped(build func() Instance, n int) func() Instance {
	return func() Instance {
		in := build()
		for range n {
			_ = in.Call(context.Background(), Fail)
		}
		if in.Tripped != nil {
			WaitFor(in.Tripped)
		}
		return in
	}
}
