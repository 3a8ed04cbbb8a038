package circuitbreaker_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

// The article's breaker counted consecutive failures, opened, and after a
// timeout let every call through at once. Done right: safe for concurrent
// use, one probe at a time when half-open, the caller's cancellations not
// counted, and a rejection that says when to come back.
func Example() {
	clock := rampart.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cb, err := circuitbreaker.New(circuitbreaker.Config{
		ConsecutiveFailures: 3,                // the article's maxFailures
		OpenDuration:        10 * time.Second, // the article's timeout
		Clock:               clock,            // nil in production: real time
		Observers: []rampart.Observer{rampart.ObserverFunc(func(e rampart.Event) {
			if e.Kind == rampart.EventStateChange {
				fmt.Printf("  %s -> %s (%s)\n", e.From, e.To, e.Reason)
			}
		})},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	unavailable := errors.New("inventory unavailable")
	callInventory := func(fail bool) error {
		return cb.Do(ctx, func(ctx context.Context) error {
			if fail {
				return unavailable
			}
			return nil
		})
	}

	for range 3 {
		_ = callInventory(true)
	}
	err = callInventory(false)
	wait, _ := rampart.RetryAfter(err)
	fmt.Println("rejected:", errors.Is(err, circuitbreaker.ErrOpen), "retry after", wait)

	clock.Advance(10 * time.Second)
	fmt.Println("probe:", callInventory(false))
	fmt.Println("state:", cb.State())
	// Output:
	//   closed -> open (consecutive_failures)
	// rejected: true retry after 10s
	//   open -> half_open (open_elapsed)
	//   half_open -> closed (probes_succeeded)
	// probe: <nil>
	// state: closed
}

// A breaker that judges the failure rate over the last minute, in 6 buckets
// of 10 s, once it has seen 20 calls; half-open lets 3 probes through at a
// time and closes after 5 successes.
func ExampleConfig_failureRateOverTime() {
	clock := rampart.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cb, err := circuitbreaker.New(circuitbreaker.Config{
		FailureRateThreshold: 0.5,
		WindowDuration:       time.Minute,
		WindowBuckets:        6,
		MinimumCalls:         20,
		HalfOpenMaxProbes:    3,
		HalfOpenSuccesses:    5,
		Clock:                clock,
	})
	if err != nil {
		panic(err)
	}
	report := func(err error) {
		if p, aerr := cb.Allow(); aerr == nil {
			p.Done(err)
		}
	}
	for i := range 30 {
		if i%3 == 0 {
			report(errors.New("timeout")) // one in three fails: below 50%
		} else {
			report(nil)
		}
		clock.Advance(time.Second)
	}
	s := cb.Snapshot()
	fmt.Printf("%v: %d calls, failure rate %.2f\n", s.State, s.Counts.Calls, s.Counts.FailureRate())

	for range 30 {
		report(errors.New("timeout"))
	}
	s = cb.Snapshot()
	fmt.Printf("%v for %v\n", s.State, s.UntilHalfOpen)
	// Output:
	// closed: 30 calls, failure rate 0.33
	// open for 5s
}

// The two-step form: ask for a permit, make the call yourself, report the
// outcome. It allocates nothing, and suits code that cannot be wrapped in a
// function, such as instrumentation around an existing client.
func ExampleBreaker_Allow() {
	cb, err := circuitbreaker.New(circuitbreaker.Config{ConsecutiveFailures: 2})
	if err != nil {
		panic(err)
	}
	do := func(fail bool) {
		permit, err := cb.Allow()
		if err != nil {
			fmt.Println("rejected:", errors.Is(err, circuitbreaker.ErrOpen))
			return
		}
		var callErr error
		if fail {
			callErr = errors.New("503")
		}
		permit.Done(callErr) // or permit.DoneContext(ctx, callErr)
		fmt.Println("called, state", cb.State())
	}
	do(true)
	do(true)
	do(false)
	// Output:
	// called, state closed
	// called, state open
	// rejected: true
}

// Totals count since the breaker was built, across state changes, for
// metrics exporters; ProbeDue shows, without making a call, that the next
// call would probe.
func ExampleTotals() {
	clock := rampart.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cb, _ := circuitbreaker.New(circuitbreaker.Config{CountSuccesses: true, Clock: clock})
	ctx := context.Background()
	_ = cb.Do(ctx, func(context.Context) error { return nil })
	for range 5 {
		_ = cb.Do(ctx, func(context.Context) error { return errors.New("down") })
	}
	_ = cb.Do(ctx, func(context.Context) error { return nil }) // rejected
	clock.Advance(5 * time.Second)
	s := cb.Snapshot()
	fmt.Printf("%v, probe due: %v, %+v\n", s.State, s.ProbeDue, s.Totals)
	// Output: open, probe due: true, {Successes:1 Failures:5 Rejections:1}
}
