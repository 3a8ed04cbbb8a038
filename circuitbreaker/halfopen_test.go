package circuitbreaker_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

// halfOpen returns a breaker that is half-open, with its clock.
func halfOpen(t *testing.T, c circuitbreaker.Config) (*circuitbreaker.Breaker, *rampart.ManualClock) {
	t.Helper()
	c.ConsecutiveFailures = 1
	c.OpenDuration = time.Second
	cb, clock := newBreaker(t, c)
	call(t, cb, errBoom)
	clock.Advance(time.Second)
	// Move to half-open without taking a probe slot: a probe that is
	// ignored frees its slot and counts for nothing.
	p, err := cb.Allow()
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, cb, circuitbreaker.StateHalfOpen)
	p.Done(errIgnored)
	return cb, clock
}

// errIgnored is ignored by Permit.Done's rule for calls without a context.
var errIgnored = contextCanceled()

func TestHalfOpenLimitsProbesInFlight(t *testing.T) {
	cb, _ := halfOpen(t, circuitbreaker.Config{HalfOpenMaxProbes: 2, HalfOpenSuccesses: 3})
	p1, err1 := cb.Allow()
	p2, err2 := cb.Allow()
	if err1 != nil || err2 != nil {
		t.Fatalf("two probes: %v, %v", err1, err2)
	}
	_, err := cb.Allow()
	if !errors.Is(err, circuitbreaker.ErrTooManyProbes) || !errors.Is(err, circuitbreaker.ErrOpen) || !errors.Is(err, rampart.ErrRejected) {
		t.Fatalf("third probe: err = %v, want ErrTooManyProbes matching ErrOpen", err)
	}
	if _, ok := rampart.RetryAfter(err); ok {
		t.Error("a probe rejection carries no retry-after: the slot may free at any moment")
	}
	if s := cb.Snapshot(); s.ProbesInFlight != 2 {
		t.Errorf("ProbesInFlight = %d", s.ProbesInFlight)
	}
	p1.Done(nil)
	p3, err := cb.Allow()
	if err != nil {
		t.Fatalf("after a probe finished: %v", err)
	}
	p2.Done(nil)
	wantState(t, cb, circuitbreaker.StateHalfOpen)
	p3.Done(nil)
	wantState(t, cb, circuitbreaker.StateClosed)
}

func TestHalfOpenReopensOnAFailedProbe(t *testing.T) {
	rec := &recorder{}
	cb, _ := halfOpen(t, circuitbreaker.Config{HalfOpenMaxProbes: 3, Observers: []rampart.Observer{rec}})
	p1, _ := cb.Allow()
	p2, _ := cb.Allow()
	p1.Done(nil)
	p2.Done(errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
	ev := rec.Of(rampart.EventStateChange)
	last := ev[len(ev)-1]
	if last.Reason != circuitbreaker.ReasonProbeFailed || last.Calls != 2 || last.Failures != 1 || last.Delay != time.Second {
		t.Fatalf("last event = %+v", last)
	}
}

func TestHalfOpenFailureRateToleratesSomeFailedProbes(t *testing.T) {
	cb, clock := halfOpen(t, circuitbreaker.Config{HalfOpenMaxProbes: 10, HalfOpenSuccesses: 3, HalfOpenFailureRate: 0.5})
	// S F S S: after 3 probes 1/3 < 50%, closes with the third success.
	call(t, cb, nil)
	call(t, cb, errBoom)
	call(t, cb, nil)
	wantState(t, cb, circuitbreaker.StateHalfOpen)
	call(t, cb, nil)
	wantState(t, cb, circuitbreaker.StateClosed)

	// F F: not judged before 3 probes; F F S: 2/3 ≥ 50%, opens again.
	call(t, cb, errBoom)
	clock.Advance(time.Second)
	call(t, cb, errBoom)
	call(t, cb, errBoom)
	wantState(t, cb, circuitbreaker.StateHalfOpen)
	call(t, cb, nil)
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestHalfOpenMaxDurationReopensWhenProbesNeverFinish(t *testing.T) {
	rec := &recorder{}
	cb, clock := halfOpen(t, circuitbreaker.Config{HalfOpenMaxDuration: 5 * time.Second, Observers: []rampart.Observer{rec}})
	stuck, err := cb.Allow() // a probe that hangs
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(4 * time.Second)
	if _, err := cb.Allow(); !errors.Is(err, circuitbreaker.ErrTooManyProbes) {
		t.Fatalf("err = %v", err)
	}
	clock.Advance(time.Second)
	_, err = cb.Allow()
	if !errors.Is(err, circuitbreaker.ErrOpen) || errors.Is(err, circuitbreaker.ErrTooManyProbes) {
		t.Fatalf("after the half-open bound: err = %v, want an open rejection", err)
	}
	tr := transitions(rec)
	if tr[len(tr)-1] != "half_open>open:half_open_timeout" {
		t.Fatalf("transitions = %v", tr)
	}
	stuck.Done(nil) // from an older generation: dropped
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestSlowProbeCountsAsFailedProbe(t *testing.T) {
	cb, clock := halfOpen(t, circuitbreaker.Config{SlowCallThreshold: time.Second, WindowSize: 10})
	p, err := cb.Allow()
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	p.Done(nil)
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestClosingStartsAnEmptyWindow(t *testing.T) {
	cb, _ := halfOpen(t, circuitbreaker.Config{WindowSize: 10, FailureRateThreshold: 0.5})
	call(t, cb, nil)
	wantState(t, cb, circuitbreaker.StateClosed)
	if c := cb.Snapshot().Counts; c != (circuitbreaker.Counts{}) {
		t.Fatalf("counts after closing = %+v, want empty", c)
	}
}

func TestResultsFromAnOlderGenerationAreDropped(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 2, OpenDuration: time.Second})
	late, _ := cb.Allow() // admitted while closed, finishes much later
	calls(t, cb, 2, errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
	clock.Advance(time.Second)
	probe, err := cb.Allow()
	if err != nil {
		t.Fatal(err)
	}
	late.Done(nil) // must not count as the probe's success
	wantState(t, cb, circuitbreaker.StateHalfOpen)
	probe.Done(nil)
	wantState(t, cb, circuitbreaker.StateClosed)
	gen := cb.Snapshot().Generation
	late.Done(errBoom) // nor as a failure in the new closed state
	if c := cb.Snapshot(); c.Counts.ConsecutiveFailures != 0 || c.Generation != gen {
		t.Fatalf("late failure counted: %+v", c)
	}
}
