package circuitbreaker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

// tripOpen trips a default breaker (5 consecutive failures) and checks it
// opened.
func tripOpen(t *testing.T, cb *circuitbreaker.Breaker) {
	t.Helper()
	calls(t, cb, 5, errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
}

// A classifier that panics on a probe's outcome used to leave the probe
// slot taken: with one slot, the breaker then rejected every call, half-open
// for good.
func TestPanickingClassifierFreesTheProbeSlot(t *testing.T) {
	panicky := false
	cb, clock := newBreaker(t, circuitbreaker.Config{
		Classifier: func(ctx context.Context, err error) rampart.Outcome {
			if panicky {
				panic("classifier bug")
			}
			return rampart.Classify(ctx, err)
		},
	})
	tripOpen(t, cb)
	clock.Advance(5 * time.Second)
	panicky = true
	func() {
		defer func() {
			if r := recover(); r != "classifier bug" {
				t.Fatalf("recovered %v, want the classifier's panic re-raised", r)
			}
		}()
		_ = cb.Do(context.Background(), func(context.Context) error { return errBoom })
	}()
	panicky = false
	wantState(t, cb, circuitbreaker.StateHalfOpen)
	if s := cb.Snapshot(); s.ProbesInFlight != 0 || !s.ProbeDue {
		t.Fatalf("after the panic: %d probes in flight, ProbeDue %v; want the slot free", s.ProbesInFlight, s.ProbeDue)
	}
	call(t, cb, nil)
	wantState(t, cb, circuitbreaker.StateClosed)
}

// retryAfterPanics is an error whose RetryAfter method panics.
type retryAfterPanics struct{}

func (retryAfterPanics) Error() string             { return "bad error" }
func (retryAfterPanics) RetryAfter() time.Duration { panic("RetryAfter bug") }

func TestPanickingRetryAfterOnAFailedProbeFreesTheSlot(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{})
	tripOpen(t, cb)
	clock.Advance(5 * time.Second)
	p, err := cb.Allow()
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != "RetryAfter bug" {
				t.Fatalf("recovered %v, want the error's panic re-raised", r)
			}
		}()
		p.Done(retryAfterPanics{})
	}()
	if s := cb.Snapshot(); s.State != circuitbreaker.StateHalfOpen || s.ProbesInFlight != 0 {
		t.Fatalf("state %v with %d probes in flight, want half-open with the slot free", s.State, s.ProbesInFlight)
	}
}

// Done twice on one permit used to free two slots and count two outcomes:
// a second probe got in past a limit of one.
func TestSecondDoneIsANoOp(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{HalfOpenSuccesses: 2, HalfOpenMaxProbes: 1})
	tripOpen(t, cb)
	clock.Advance(5 * time.Second)
	p, err := cb.Allow()
	if err != nil {
		t.Fatal(err)
	}
	p.Done(nil)
	p.Done(nil)
	p.DoneContext(context.Background(), nil)
	s := cb.Snapshot()
	if s.State != circuitbreaker.StateHalfOpen || s.ProbeSuccesses != 1 || s.ProbesInFlight != 0 {
		t.Fatalf("after Done three times: %v, %d successes, %d in flight; want half-open, 1, 0", s.State, s.ProbeSuccesses, s.ProbesInFlight)
	}
	q, err := cb.Allow()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cb.Allow(); !errors.Is(err, circuitbreaker.ErrTooManyProbes) {
		t.Fatalf("second probe at once: err = %v, want ErrTooManyProbes", err)
	}
	q.Done(nil)
	wantState(t, cb, circuitbreaker.StateClosed)
}

// A probe that never reports used to hold a default breaker half-open for
// good: HalfOpenMaxDuration had no default.
func TestHungProbeCannotPinTheBreakerHalfOpen(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{})
	tripOpen(t, cb)
	clock.Advance(5 * time.Second)
	hung, err := cb.Allow() // never reported
	if err != nil {
		t.Fatal(err)
	}
	_ = hung
	clock.Advance(time.Minute)
	if _, err := cb.Allow(); !errors.Is(err, circuitbreaker.ErrOpen) {
		t.Fatalf("after the default bound: err = %v, want the breaker reopened", err)
	}
	wantState(t, cb, circuitbreaker.StateOpen)
	clock.Advance(5 * time.Second)
	// The hung probe holds no slot of the next half-open period.
	call(t, cb, nil)
	wantState(t, cb, circuitbreaker.StateClosed)
}

// A slow probe written off when the bound reopened the breaker finishes
// during the next half-open period: it must not free that period's slot
// (an extra probe would get through) nor decide its outcome.
func TestSlowProbeWrittenOffFreesNoSlotOfTheNextPeriod(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{HalfOpenMaxDuration: 10 * time.Second})
	tripOpen(t, cb)
	clock.Advance(5 * time.Second)
	slow, err := cb.Allow()
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second)
	if _, err := cb.Allow(); !errors.Is(err, circuitbreaker.ErrOpen) {
		t.Fatalf("after the bound: err = %v, want open", err)
	}
	clock.Advance(5 * time.Second)
	probe, err := cb.Allow()
	if err != nil {
		t.Fatalf("new period's probe: %v", err)
	}
	slow.Done(nil) // the written-off probe finishes now
	s := cb.Snapshot()
	if s.State != circuitbreaker.StateHalfOpen || s.ProbesInFlight != 1 || s.ProbeSuccesses != 0 {
		t.Fatalf("after the stale probe finished: %v, %d in flight, %d successes; want half-open, 1, 0", s.State, s.ProbesInFlight, s.ProbeSuccesses)
	}
	if _, err := cb.Allow(); !errors.Is(err, circuitbreaker.ErrTooManyProbes) {
		t.Fatalf("extra probe: err = %v, want ErrTooManyProbes", err)
	}
	probe.Done(nil)
	wantState(t, cb, circuitbreaker.StateClosed)
}

// A clock set backwards used to stop a time-window breaker counting: its
// calls fell behind the window's newest bucket and were dropped.
func TestTimeWindowKeepsCountingWhenTheClockGoesBack(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{FailureRateThreshold: 0.5, MinimumCalls: 4, WindowDuration: 10 * time.Second})
	calls(t, cb, 2, nil)
	clock.Set(t0.Add(-time.Hour))
	calls(t, cb, 2, errBoom) // 2 of 4 calls failed: the rate trips
	wantState(t, cb, circuitbreaker.StateOpen)
}

func TestSnapshotTotalsCountSinceNew(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  circuitbreaker.Config
	}{
		{"consecutive", circuitbreaker.Config{CountSuccesses: true}},
		{"count-window", circuitbreaker.Config{FailureRateThreshold: 0.5, WindowSize: 10, CountSuccesses: true}},
		{"time-window", circuitbreaker.Config{FailureRateThreshold: 0.5, WindowDuration: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cb, clock := newBreaker(t, tc.cfg)
			if g := cb.Snapshot().Generation; g != 1 {
				t.Fatalf("Generation of a new breaker = %d, want 1", g)
			}
			calls(t, cb, 3, nil)
			cb.Open()
			for range 2 {
				if _, err := cb.Allow(); err == nil {
					t.Fatal("open breaker admitted a call")
				}
			}
			cb.Reset()
			calls(t, cb, 2, errBoom)
			clock.Advance(2 * time.Second)
			calls(t, cb, 1, nil)
			want := circuitbreaker.Totals{Successes: 4, Failures: 2, Rejections: 2}
			if got := cb.Snapshot().Totals; got != want {
				t.Fatalf("Totals = %+v, want %+v", got, want)
			}
		})
	}
}

func TestSnapshotShowsAProbeIsDueWithoutACall(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{})
	tripOpen(t, cb)
	if cb.Snapshot().ProbeDue {
		t.Fatal("ProbeDue while the open period runs")
	}
	clock.Advance(5 * time.Second)
	if s := cb.Snapshot(); !s.ProbeDue || s.State != circuitbreaker.StateOpen {
		t.Fatalf("after the open period: ProbeDue %v in %v, want true in open", s.ProbeDue, s.State)
	}
}

// In a synctest bubble the breaker arms no timer: each rejection reads the
// bubble's clock, so the open period ends on time.
func TestOpenPeriodEndsInASynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cb, err := circuitbreaker.New(circuitbreaker.Config{OpenDuration: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		tripOpen(t, cb)
		time.Sleep(999 * time.Millisecond)
		if _, err := cb.Allow(); !errors.Is(err, circuitbreaker.ErrOpen) {
			t.Fatalf("before the period ended: err = %v", err)
		}
		time.Sleep(time.Millisecond)
		call(t, cb, nil)
		wantState(t, cb, circuitbreaker.StateClosed)
	})
}

// A breaker opened in a bubble and used after the bubble ended must not
// stay open (a timer armed in the bubble would never fire), nor crash when
// it opens again outside (a bubble's timer cannot be reset from outside).
func TestBreakerOpenedInABubbleWorksAfterIt(t *testing.T) {
	var cb *circuitbreaker.Breaker
	synctest.Test(t, func(t *testing.T) {
		var err error
		cb, err = circuitbreaker.New(circuitbreaker.Config{OpenDuration: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		tripOpen(t, cb)
	})
	// Outside, the real clock is years past the bubble's: the period is over.
	p, err := cb.Allow()
	if err != nil {
		t.Fatalf("after the bubble: %v", err)
	}
	p.Done(errBoom)
	wantState(t, cb, circuitbreaker.StateOpen) // reopened outside: a real timer now
	if _, err := cb.Allow(); !errors.Is(err, circuitbreaker.ErrOpen) {
		t.Fatalf("reopened: err = %v, want open", err)
	}
}

// On the real clock the open period is ended by a timer, not by reading the
// clock on each rejection. The test waits for the timer's firing, not for
// a fixed time.
func TestRealClockTimerEndsTheOpenPeriod(t *testing.T) {
	fired := make(chan struct{}, 16)
	defer circuitbreaker.SetTestHookDue(func() { fired <- struct{}{} })()
	cb, err := circuitbreaker.New(circuitbreaker.Config{OpenDuration: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tripOpen(t, cb)
	for range 2 { // opened twice: the second opening reuses the timer
		select {
		case <-fired:
		case <-time.After(10 * time.Second):
			t.Fatal("the open period's timer never fired")
		}
		if !cb.Snapshot().ProbeDue {
			continue // fired early and re-armed itself
		}
		p, err := cb.Allow()
		if err != nil {
			t.Fatalf("after the timer fired: %v", err)
		}
		p.Done(errBoom)
		wantState(t, cb, circuitbreaker.StateOpen)
	}
}

// Many goroutines cycle the breaker through every state while probes
// outlive their half-open periods and are written off: no period ever has
// more probes in flight than allowed, and once every permit is reported
// none is left counted.
func TestWrittenOffProbesUnderConcurrencyLeaveNoSlotTaken(t *testing.T) {
	const maxProbes = 2
	cb, clock := newBreaker(t, circuitbreaker.Config{
		ConsecutiveFailures: 3, OpenDuration: time.Millisecond,
		HalfOpenMaxProbes: maxProbes, HalfOpenMaxDuration: 2 * time.Millisecond,
	})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			var held []circuitbreaker.Permit
			for i := range 3000 {
				if p, err := cb.Allow(); err == nil {
					held = append(held, p)
				}
				if (g+i)%7 == 0 {
					clock.Advance(time.Millisecond)
				}
				if len(held) > 3 || i%5 == 0 && len(held) > 0 {
					p := &held[0]
					if (g+i)%3 == 0 {
						p.Done(errBoom)
					} else {
						p.Done(nil)
					}
					p.Done(errBoom) // a second report does nothing
					held = held[1:]
				}
				if s := cb.Snapshot(); s.ProbesInFlight > maxProbes {
					t.Errorf("%d probes in flight, at most %d allowed", s.ProbesInFlight, maxProbes)
					return
				}
			}
			for i := range held {
				held[i].Done(nil)
			}
		})
	}
	wg.Wait()
	if s := cb.Snapshot(); s.ProbesInFlight != 0 {
		t.Fatalf("every permit reported, yet %d probes in flight in %v", s.ProbesInFlight, s.State)
	}
}
