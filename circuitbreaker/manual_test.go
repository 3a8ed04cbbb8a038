package circuitbreaker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

func TestManualOpenProbesAfterOpenDuration(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{OpenDuration: 3 * time.Second})
	cb.Open()
	wantState(t, cb, circuitbreaker.StateOpen)
	if _, err := cb.Allow(); !errors.Is(err, circuitbreaker.ErrOpen) {
		t.Fatalf("err = %v", err)
	}
	clock.Advance(3 * time.Second)
	call(t, cb, nil)
	wantState(t, cb, circuitbreaker.StateClosed)
}

func TestIsolateRejectsUntilClosed(t *testing.T) {
	rec := &recorder{}
	cb, clock := newBreaker(t, circuitbreaker.Config{OpenDuration: time.Second, Observers: []rampart.Observer{rec}})
	cb.Isolate()
	clock.Advance(time.Hour)
	_, err := cb.Allow()
	if !errors.Is(err, circuitbreaker.ErrIsolated) || !errors.Is(err, circuitbreaker.ErrOpen) || !errors.Is(err, rampart.ErrRejected) {
		t.Fatalf("err = %v, want ErrIsolated matching ErrOpen", err)
	}
	if _, ok := rampart.RetryAfter(err); ok {
		t.Error("an isolated breaker cannot say when it will let calls through")
	}
	wantState(t, cb, circuitbreaker.StateIsolated)
	cb.Close()
	call(t, cb, nil)
	want := []string{"closed>isolated:manual", "isolated>closed:manual"}
	if got := transitions(rec); !equal(got, want) {
		t.Fatalf("transitions = %v, want %v", got, want)
	}
	if r := rec.Of(rampart.EventRejected); len(r) != 1 {
		t.Fatalf("rejected events = %+v", r)
	}
}

func TestResetClearsCountsAndGrowth(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 2, OpenDuration: time.Second, OpenDurationMultiplier: 2})
	calls(t, cb, 2, errBoom)
	clock.Advance(time.Second)
	call(t, cb, errBoom) // 2s now
	cb.Reset()
	wantState(t, cb, circuitbreaker.StateClosed)
	call(t, cb, errBoom)
	if s := cb.Snapshot(); s.Counts.ConsecutiveFailures != 1 || s.Openings != 0 || s.Rejected != 0 {
		t.Fatalf("after Reset: %+v", s)
	}
	call(t, cb, errBoom)
	if got := cb.Snapshot().UntilHalfOpen; got != time.Second {
		t.Fatalf("first opening after Reset lasts %v, want 1s", got)
	}
}

func TestCloseClearsTheWindow(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 3})
	calls(t, cb, 2, errBoom)
	cb.Close()
	calls(t, cb, 2, errBoom)
	wantState(t, cb, circuitbreaker.StateClosed)
}

func TestDisabledLetsEverythingThroughAndRecordsNothing(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1, WindowSize: 10, Mode: circuitbreaker.ModeDisabled})
	wantState(t, cb, circuitbreaker.StateDisabled)
	calls(t, cb, 20, errBoom)
	wantState(t, cb, circuitbreaker.StateDisabled)
	if c := cb.Snapshot().Counts; c != (circuitbreaker.Counts{}) {
		t.Fatalf("disabled breaker recorded %+v", c)
	}
	cb.Close()
	call(t, cb, errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
	cb.Disable()
	calls(t, cb, 2, nil)
	wantState(t, cb, circuitbreaker.StateDisabled)
}

func TestMetricsOnlyRecordsButNeverTrips(t *testing.T) {
	rec := &recorder{}
	cb, _ := newBreaker(t, circuitbreaker.Config{
		FailureRateThreshold: 0.5, WindowSize: 10, MinimumCalls: 4,
		Mode: circuitbreaker.ModeMetricsOnly, Observers: []rampart.Observer{rec},
	})
	calls(t, cb, 3, errBoom)
	if cb.Snapshot().WouldTrip {
		t.Fatal("WouldTrip below MinimumCalls")
	}
	calls(t, cb, 7, errBoom)
	calls(t, cb, 2, nil)
	wantState(t, cb, circuitbreaker.StateMetricsOnly)
	s := cb.Snapshot()
	if s.Counts.Calls != 10 || s.Counts.Failures != 8 || !s.WouldTrip {
		t.Fatalf("snapshot = %+v", s)
	}
	if tr := transitions(rec); len(tr) != 0 {
		t.Fatalf("metrics-only breaker changed state: %v", tr)
	}
	cb.Close() // enforce from now on, with a fresh window
	calls(t, cb, 4, errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestModeIsolatedStartsForcedOpen(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{Mode: circuitbreaker.ModeIsolated})
	if _, err := cb.Allow(); !errors.Is(err, circuitbreaker.ErrIsolated) {
		t.Fatalf("err = %v", err)
	}
}

func TestStateAndModeNames(t *testing.T) {
	for st, want := range map[circuitbreaker.State]string{
		circuitbreaker.StateClosed: "closed", circuitbreaker.StateOpen: "open", circuitbreaker.StateHalfOpen: "half_open",
		circuitbreaker.StateIsolated: "isolated", circuitbreaker.StateDisabled: "disabled", circuitbreaker.StateMetricsOnly: "metrics_only",
		circuitbreaker.State(42): "state(42)",
	} {
		if got := st.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", st, got, want)
		}
	}
	if got := circuitbreaker.ModeMetricsOnly.String(); got != "metrics_only" {
		t.Errorf("ModeMetricsOnly.String() = %q", got)
	}
}

func TestZeroPermitIgnoresItsReport(t *testing.T) {
	var p circuitbreaker.Permit
	p.Done(errBoom)
	p.DoneContext(context.Background(), errBoom)
}

func TestGenerationAdvancesWithEveryStateChange(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1})
	g0 := cb.Snapshot().Generation
	call(t, cb, errBoom) // trip
	cb.Close()
	cb.Close() // same state, fresh window: still a new generation
	if got := cb.Snapshot().Generation; got != g0+3 {
		t.Fatalf("generation %d, want %d", got, g0+3)
	}
}
