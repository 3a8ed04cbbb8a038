package bench

import (
	"context"
	"errors"
	"time"

	"github.com/failsafe-go/failsafe-go/adaptivelimiter"
	"github.com/failsafe-go/failsafe-go/adaptivethrottler"
	"github.com/rampart-go/rampart/adaptive"
	"github.com/rampart-go/rampart/throttle"
)

// AdaptiveLimiter class: acquire a permit from an adaptive concurrency
// limiter, run the call, release the permit with its latency. One call in
// flight at a time (serial) or GOMAXPROCS (parallel), far below the limit,
// so every call is admitted.
//
// Both rows start at a limit of LimiterInitial within [LimiterMin,
// LimiterMax]. Where the libraries differ:
//   - rampart: Gradient2 (its default), Acquire then Release. On the real
//     clock it measures the latency of a random sample of calls (at least
//     one in 64) once it is busy, since a clock read costs more than the
//     rest of the path.
//   - failsafe-go: its own algorithm (a Vegas-style queue estimate with
//     throughput correlation over a t-digest of latencies), asked with
//     TryAcquirePermit then permit.Record, which reads the clock on every
//     call. Going through an Executor would add its per-call cost.
//
// Throttle class: the client-side throttle's decision on a call to a
// healthy destination, then the report of its success. Where the libraries
// differ:
//   - rampart: the SRE book's rule, max(0, (requests − K·accepts) /
//     (requests + 1)) with K = ThrottleK, counts decayed over
//     ThrottleWindow.
//   - failsafe-go: refuses with a probability that grows with the failure
//     rate above a threshold (1/ThrottleK, the same break-even point),
//     over a thresholding period of ThrottleWindow, at least
//     ThrottleMinCalls calls.
const (
	LimiterInitial = 20
	LimiterMin     = 20
	LimiterMax     = 200

	ThrottleK        = 2
	ThrottleWindow   = 250 * time.Millisecond
	ThrottleMinCalls = 8
)

// ErrOverloaded is what a limiter or throttle row returns when it refuses.
var ErrOverloaded = errors.New("bench: refused by an overload policy")

// AdaptiveLimiterSubjects lists the AdaptiveLimiter class's rows.
func AdaptiveLimiterSubjects() []Subject {
	return []Subject{
		{Lib: "rampart", New: rampartAdaptiveLimiter},
		{Lib: "failsafe-go", New: failsafeAdaptiveLimiter},
	}
}

func rampartAdaptiveLimiter() Instance {
	l := must(adaptive.New(adaptive.Config{InitialLimit: LimiterInitial, MinLimit: LimiterMin, MaxLimit: LimiterMax}))
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		p, err := l.Acquire(ctx)
		if err != nil {
			return ErrOverloaded
		}
		err = fn(ctx)
		p.Done(err)
		return err
	}}
}

func failsafeAdaptiveLimiter() Instance {
	l := adaptivelimiter.NewBuilder[any]().WithLimits(LimiterMin, LimiterMax, LimiterInitial).Build()
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		p, ok := l.TryAcquirePermit()
		if !ok {
			return ErrOverloaded
		}
		err := fn(ctx)
		if err != nil {
			p.Drop()
		} else {
			p.Record()
		}
		return err
	}}
}

// ThrottleSubjects lists the Throttle class's rows.
func ThrottleSubjects() []Subject {
	return []Subject{
		{Lib: "rampart", New: rampartThrottle},
		{Lib: "failsafe-go", New: failsafeThrottle},
	}
}

func rampartThrottle() Instance {
	t := must(throttle.New(throttle.Config{K: ThrottleK, Window: ThrottleWindow, MinSent: ThrottleMinCalls}))
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		if !t.Allow() {
			return ErrOverloaded
		}
		err := fn(ctx)
		t.Record(err == nil)
		return err
	}}
}

func failsafeThrottle() Instance {
	t := adaptivethrottler.NewBuilder[any]().
		WithFailureRateThreshold(1.0/ThrottleK, ThrottleMinCalls, ThrottleWindow).
		Build()
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		if !t.TryAcquirePermit() {
			return ErrOverloaded
		}
		err := fn(ctx)
		if err != nil {
			t.RecordFailure()
		} else {
			t.RecordSuccess()
		}
		return err
	}}
}
