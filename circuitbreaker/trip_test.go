package circuitbreaker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

func TestSuccessEndsARunOfConsecutiveFailures(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 3})
	calls(t, cb, 2, errBoom)
	call(t, cb, nil)
	calls(t, cb, 2, errBoom)
	wantState(t, cb, circuitbreaker.StateClosed)
	if got := cb.Snapshot().Counts.ConsecutiveFailures; got != 2 {
		t.Errorf("ConsecutiveFailures = %d, want 2", got)
	}
	call(t, cb, errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestFailureRateOverCountWindowWaitsForMinimumCalls(t *testing.T) {
	rec := &recorder{}
	cb, _ := newBreaker(t, circuitbreaker.Config{
		FailureRateThreshold: 0.5, WindowSize: 10, MinimumCalls: 6,
		Observers: []rampart.Observer{rec},
	})
	calls(t, cb, 5, errBoom) // 100% failures, but only 5 calls
	wantState(t, cb, circuitbreaker.StateClosed)
	call(t, cb, errBoom) // 6 calls, 6 failures
	wantState(t, cb, circuitbreaker.StateOpen)
	ev := rec.Of(rampart.EventStateChange)
	if len(ev) != 1 || ev[0].Reason != circuitbreaker.ReasonFailureRate || ev[0].Calls != 6 || ev[0].Failures != 6 {
		t.Fatalf("events = %+v, want one failure_rate change with 6 calls, 6 failures", ev)
	}
}

func TestFailureRateOverCountWindowForgetsOldCalls(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{FailureRateThreshold: 0.5, WindowSize: 4, MinimumCalls: 4})
	calls(t, cb, 1, errBoom)
	calls(t, cb, 3, nil) // window F S S S: 25%
	calls(t, cb, 1, nil) // window S S S S: the failure left
	call(t, cb, errBoom) // S S S F
	wantState(t, cb, circuitbreaker.StateClosed)
	if c := cb.Snapshot().Counts; c.Calls != 4 || c.Failures != 1 || c.FailureRate() != 0.25 {
		t.Fatalf("counts = %+v", c)
	}
	call(t, cb, errBoom) // S S F F: 50%
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestFailureRateOverTimeWindowForgetsOldBuckets(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{
		FailureRateThreshold: 0.5, WindowDuration: 10 * time.Second, WindowBuckets: 10, MinimumCalls: 4,
	})
	calls(t, cb, 3, errBoom)
	clock.Advance(5 * time.Second)
	calls(t, cb, 4, nil) // 3 of 7 failed
	wantState(t, cb, circuitbreaker.StateClosed)
	clock.Advance(5 * time.Second) // the 3 failures leave the window
	if c := cb.Snapshot().Counts; c.Calls != 4 || c.Failures != 0 {
		t.Fatalf("counts after the failures aged out = %+v, want 4 calls, 0 failures", c)
	}
	calls(t, cb, 3, errBoom) // 3 of 7
	wantState(t, cb, circuitbreaker.StateClosed)
	call(t, cb, errBoom) // 4 of 8
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestTripIsJudgedOnFailuresNotOnSuccesses(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{FailureRateThreshold: 0.5, WindowSize: 10, MinimumCalls: 10})
	calls(t, cb, 5, errBoom)
	calls(t, cb, 5, nil) // 10 calls at 50%, but the last was a success
	wantState(t, cb, circuitbreaker.StateClosed)
	call(t, cb, errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestSlowCallRateTrips(t *testing.T) {
	rec := &recorder{}
	cb, clock := newBreaker(t, circuitbreaker.Config{
		SlowCallThreshold: time.Second, SlowCallRateThreshold: 0.5, WindowSize: 4, MinimumCalls: 4,
		Observers: []rampart.Observer{rec},
	})
	slow := func() {
		p, err := cb.Allow()
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		p.Done(nil)
	}
	calls(t, cb, 2, nil)
	slow()
	wantState(t, cb, circuitbreaker.StateClosed)
	if c := cb.Snapshot().Counts; c.Slow != 1 || c.Failures != 0 {
		t.Fatalf("counts = %+v, want 1 slow success", c)
	}
	slow() // 2 of 4 slow
	wantState(t, cb, circuitbreaker.StateOpen)
	if tr := transitions(rec); len(tr) != 1 || tr[0] != "closed>open:slow_call_rate" {
		t.Fatalf("transitions = %v", tr)
	}
}

func TestSlowCallsAreNotFailures(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 2, SlowCallThreshold: time.Second, WindowSize: 10})
	for range 5 {
		p, _ := cb.Allow()
		clock.Advance(2 * time.Second)
		p.Done(nil)
	}
	if c := cb.Snapshot().Counts; c.Slow != 5 || c.Failures != 0 || c.ConsecutiveFailures != 0 {
		t.Fatalf("counts = %+v", c)
	}
}

func TestTripFuncSeesTheWindowCounts(t *testing.T) {
	var seen []circuitbreaker.Counts
	cb, _ := newBreaker(t, circuitbreaker.Config{
		WindowSize: 5,
		TripFunc: func(c circuitbreaker.Counts) bool {
			seen = append(seen, c)
			return c.Failures >= 2 && c.Calls >= 3
		},
	})
	call(t, cb, nil)
	call(t, cb, errBoom)
	call(t, cb, errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
	want := []circuitbreaker.Counts{
		{Calls: 2, Failures: 1, ConsecutiveFailures: 1},
		{Calls: 3, Failures: 2, ConsecutiveFailures: 2},
	}
	if len(seen) != len(want) || seen[0] != want[0] || seen[1] != want[1] {
		t.Fatalf("TripFunc saw %+v, want %+v (called on failures only)", seen, want)
	}
}

func TestConditionsCombine(t *testing.T) {
	rec := &recorder{}
	cb, _ := newBreaker(t, circuitbreaker.Config{
		ConsecutiveFailures: 3, FailureRateThreshold: 0.9, WindowSize: 100, MinimumCalls: 50,
		Observers: []rampart.Observer{rec},
	})
	calls(t, cb, 3, errBoom)
	if tr := transitions(rec); len(tr) != 1 || tr[0] != "closed>open:consecutive_failures" {
		t.Fatalf("transitions = %v", tr)
	}
}

func TestCallerCancellationIsIgnored(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := cb.Do(ctx, func(ctx context.Context) error { return ctx.Err() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	wantState(t, cb, circuitbreaker.StateClosed)

	// The two-step form without a context ignores context.Canceled too.
	p, _ := cb.Allow()
	p.Done(context.Canceled)
	wantState(t, cb, circuitbreaker.StateClosed)

	// A deadline that is not the caller's is a failure.
	p, _ = cb.Allow()
	p.DoneContext(context.Background(), context.DeadlineExceeded)
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestDoneWithoutContextCountsDeadlineExceededAsFailure(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1})
	p, _ := cb.Allow()
	p.Done(context.DeadlineExceeded)
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestCustomClassifier(t *testing.T) {
	errNotFound := errors.New("not found")
	var gotCtx context.Context
	cb, _ := newBreaker(t, circuitbreaker.Config{
		ConsecutiveFailures: 1,
		Classifier: func(ctx context.Context, err error) rampart.Outcome {
			gotCtx = ctx
			if errors.Is(err, errNotFound) {
				return rampart.Success
			}
			return rampart.Classify(ctx, err)
		},
	})
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	if err := cb.Do(ctx, func(context.Context) error { return errNotFound }); !errors.Is(err, errNotFound) {
		t.Fatalf("err = %v", err)
	}
	wantState(t, cb, circuitbreaker.StateClosed)
	if gotCtx.Value(key{}) != 1 {
		t.Error("classifier did not get the caller's context")
	}
	p, _ := cb.Allow()
	p.Done(errNotFound) // Done calls the classifier with context.Background
	wantState(t, cb, circuitbreaker.StateClosed)
	call(t, cb, errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestGetAndPipelineRunThroughTheBreaker(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 2})
	ctx := context.Background()
	v, err := rampart.Get(ctx, rampart.Pipeline(cb), func(context.Context) (int, error) { return 42, nil })
	if v != 42 || err != nil {
		t.Fatalf("Get = %v, %v", v, err)
	}
	for range 2 {
		_, _ = rampart.Get(ctx, cb, func(context.Context) (int, error) { return 0, errBoom })
	}
	ran := false
	_, err = rampart.Get(ctx, cb, func(context.Context) (int, error) { ran = true; return 1, nil })
	if ran || !errors.Is(err, circuitbreaker.ErrOpen) {
		t.Fatalf("open breaker: ran = %v, err = %v", ran, err)
	}
}
