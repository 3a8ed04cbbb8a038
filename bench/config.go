package bench

import (
	"context"
	"errors"
	"time"
)

// The settings every library in a class is configured with, as far as its
// API allows.
const (
	// ConsecutiveFailures trips a count-window breaker.
	ConsecutiveFailures = 5
	// OpenFor is how long a tripped breaker rejects before it lets a probe
	// through. Long, so a BreakerOpen benchmark never sees it recover.
	OpenFor = time.Minute
	// Window is the length of a time-based breaker window.
	Window = 10 * time.Second
	// WindowBucket is the granularity of a time-based window.
	WindowBucket = time.Second
	// MinCalls is the number of calls a time-based window must hold before
	// it may trip.
	MinCalls = 20
	// FailureRate trips a time-based breaker: failures ÷ calls at or above
	// it.
	FailureRate = 0.5

	// MaxAttempts bounds a retry: the first attempt and two retries.
	MaxAttempts = 3
	// BaseDelay is the first retry's backoff before jitter.
	BaseDelay = 100 * time.Millisecond
	// MaxDelay caps the backoff.
	MaxDelay = 10 * time.Second
	// Multiplier grows the backoff from one retry to the next.
	Multiplier = 2.0
	// Jitter is the fraction by which a backoff may vary either way.
	Jitter = 0.5

	// AttemptTimeout bounds each attempt in a pipeline.
	AttemptTimeout = time.Second

	// Rate is the rate-limit class's permitted rate, in calls per second:
	// high enough that a benchmark never exceeds it, so every row measures
	// the decision on a call that is let through.
	Rate = 1e9
	// Burst is the number of calls a limiter lets through at once. With
	// Rate it spans 1 ms: a goroutine descheduled between reading the clock
	// and deciding is judged as of its stale reading, and a span shorter
	// than the scheduler's delays (1 µs with a burst of 1000) made the
	// parallel rows refuse calls now and then on a loaded machine.
	Burst = 1_000_000

	// HedgeDelay is how long an attempt runs before a hedge starts: long,
	// so the Hedge benchmarks measure calls that answer before it.
	HedgeDelay = time.Second
	// MaxHedges is the most hedges a call may start.
	MaxHedges = 1
)

// Call runs fn under one library's configured policy, written the way that
// library's users write it.
type Call func(ctx context.Context, fn func(context.Context) error) error

// Subject is one row of a class: a library and how to build its benchmarked
// configuration.
type Subject struct {
	// Lib is the row's name: rampart, gobreaker, failsafe-go, hystrix-go,
	// eapache, backoff or xrate.
	Lib string
	// New builds a fresh policy as benchmarked.
	New func() Instance
	// Global marks a library that keeps its state in package-level
	// registries served by background goroutines (hystrix-go): tests build
	// it outside a synctest bubble.
	Global bool
	// Blocks marks a rate limiter that waits for its token rather than
	// refusing the call (uber-go/ratelimit): tests check that it spaces
	// calls instead of checking that it refuses them.
	Blocks bool
}

// Instance is one built policy.
type Instance struct {
	// Call runs a function under the policy.
	Call Call
	// Tripped, if set, reports whether the breaker has opened. It is set for
	// libraries that count outcomes asynchronously (hystrix-go), so a test
	// waits for the count to land rather than expecting the very next call
	// to be rejected.
	Tripped func() bool
}

// Succeed is the protected function of every success-path benchmark.
func Succeed(context.Context) error { return nil }

// SucceedWatching is the protected function of the Pipeline benchmarks: it
// succeeds, but first looks at its context as real work does (an HTTP or
// database call watches ctx.Done), so a per-attempt timeout that arms its
// timer only when the function watches pays for it here.
func SucceedWatching(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	default:
		return nil
	}
}

// ErrFail is the failure the correctness tests inject.
var ErrFail = errors.New("bench: injected failure")

// Fail is a protected function that always fails.
func Fail(context.Context) error { return ErrFail }
