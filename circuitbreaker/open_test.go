package circuitbreaker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

func TestOpenRejectsWithTheTimeUntilTheNextProbe(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: 10 * time.Second, Name: "db"})
	call(t, cb, errBoom)
	clock.Advance(4 * time.Second)
	_, err := cb.Allow()
	if !errors.Is(err, circuitbreaker.ErrOpen) || !errors.Is(err, rampart.ErrRejected) {
		t.Fatalf("err = %v, want ErrOpen and rampart.ErrRejected", err)
	}
	if errors.Is(err, circuitbreaker.ErrTooManyProbes) || errors.Is(err, circuitbreaker.ErrIsolated) {
		t.Errorf("%v matches a sentinel of another rejection", err)
	}
	var oe *circuitbreaker.OpenError
	if !errors.As(err, &oe) || oe.Name != "db" || !oe.Until.Equal(t0.Add(10*time.Second)) || oe.RetryAfter() != 6*time.Second {
		t.Fatalf("err = %#v, want *OpenError{Name: db, Until: t0+10s} with RetryAfter 6s", err)
	}
	if d, ok := rampart.RetryAfter(err); !ok || d != 6*time.Second {
		t.Errorf("rampart.RetryAfter = %v, %v, want 6s", d, ok)
	}
	if got := err.Error(); got != "circuitbreaker: open, next probe in 6s" {
		t.Errorf("Error() = %q", got)
	}
	if s := cb.Snapshot(); s.UntilHalfOpen != 6*time.Second || s.Rejected != 1 {
		t.Errorf("snapshot = %+v", s)
	}
}

func TestOpenMovesToHalfOpenLazilyOnTheNextCall(t *testing.T) {
	rec := &recorder{}
	cb, clock := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: 10 * time.Second, Observers: []rampart.Observer{rec}})
	call(t, cb, errBoom)
	if clock.Pending() != 0 {
		t.Fatalf("breaker set %d timers; it should need none", clock.Pending())
	}
	clock.Advance(10 * time.Second)
	wantState(t, cb, circuitbreaker.StateOpen) // nobody asked yet
	if got := cb.Snapshot().UntilHalfOpen; got != 0 {
		t.Errorf("UntilHalfOpen = %v, want 0", got)
	}
	p, err := cb.Allow()
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, cb, circuitbreaker.StateHalfOpen)
	p.Done(nil)
	wantState(t, cb, circuitbreaker.StateClosed)
	want := []string{"closed>open:consecutive_failures", "open>half_open:open_elapsed", "half_open>closed:probes_succeeded"}
	if got := transitions(rec); !equal(got, want) {
		t.Fatalf("transitions = %v, want %v", got, want)
	}
}

func TestOpenDurationGrowsWithEachConsecutiveOpeningUpToTheCap(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{
		ConsecutiveFailures: 1, OpenDuration: time.Second, OpenDurationMultiplier: 2,
		MaxOpenDuration: 5 * time.Second, OpenDurationResetAfter: time.Minute,
	})
	call(t, cb, errBoom)
	for _, want := range []time.Duration{1, 2, 4, 5, 5} {
		want *= time.Second
		if got := cb.Snapshot().UntilHalfOpen; got != want {
			t.Fatalf("opening %d lasts %v, want %v", cb.Snapshot().Openings, got, want)
		}
		clock.Advance(want)
		call(t, cb, errBoom) // the probe fails: open again, longer
	}
	if got := cb.Snapshot().Openings; got != 6 {
		t.Errorf("Openings = %d, want 6", got)
	}
}

func TestOpenDurationGrowthStartsAfreshAfterAHealthyPeriod(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{
		ConsecutiveFailures: 1, OpenDuration: time.Second, OpenDurationMultiplier: 3,
		OpenDurationResetAfter: time.Minute,
	})
	call(t, cb, errBoom) // 1s
	clock.Advance(time.Second)
	call(t, cb, errBoom) // probe fails: 3s
	clock.Advance(3 * time.Second)
	call(t, cb, nil) // probe succeeds: closed
	clock.Advance(59 * time.Second)
	call(t, cb, errBoom) // closed only 59s: growth goes on, 9s
	if got := cb.Snapshot().UntilHalfOpen; got != 9*time.Second {
		t.Fatalf("after a short healthy period: %v, want 9s", got)
	}
	clock.Advance(9 * time.Second)
	call(t, cb, nil)
	clock.Advance(time.Minute)
	call(t, cb, errBoom) // closed a full minute: back to 1s
	if got := cb.Snapshot().UntilHalfOpen; got != time.Second {
		t.Fatalf("after a healthy period: %v, want 1s", got)
	}
}

func TestRetryAfterHintLengthensTheOpenDurationUpToTheCap(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: time.Second, MaxOpenDuration: 20 * time.Second})
	call(t, cb, rampart.WithRetryAfter(errBoom, 7*time.Second))
	if got := cb.Snapshot().UntilHalfOpen; got != 7*time.Second {
		t.Fatalf("open for %v, want the hint's 7s", got)
	}
	clock.Advance(7 * time.Second)
	call(t, cb, rampart.WithRetryAfter(errBoom, time.Hour)) // a failed probe with a huge hint
	if got := cb.Snapshot().UntilHalfOpen; got != 20*time.Second {
		t.Fatalf("open for %v, want the cap of 20s", got)
	}
	clock.Advance(20 * time.Second)
	call(t, cb, nil)
	call(t, cb, rampart.WithRetryAfter(errBoom, time.Millisecond)) // shorter than OpenDuration
	if got := cb.Snapshot().UntilHalfOpen; got != time.Second {
		t.Fatalf("open for %v, want OpenDuration 1s", got)
	}
}

// With MinOpenDuration, a hint shorter than the open duration shortens
// it, never below MinOpenDuration; a longer one still lengthens it, and a
// failure without one opens for OpenDuration.
func TestShortRetryAfterHintShortensTheOpenDurationWithMinOpenDuration(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: 5 * time.Second, MinOpenDuration: 500 * time.Millisecond})
	steps := []struct {
		err  error
		want time.Duration
	}{
		{rampart.WithRetryAfter(errBoom, time.Second), time.Second},
		{rampart.WithRetryAfter(errBoom, 10*time.Millisecond), 500 * time.Millisecond},
		{rampart.WithRetryAfter(errBoom, 7*time.Second), 7 * time.Second},
		{errBoom, 5 * time.Second},
		{rampart.WithRetryAfter(errBoom, 0), 5 * time.Second},
	}
	for i, st := range steps {
		call(t, cb, st.err) // trips the closed breaker, or fails its probe
		if got := cb.Snapshot().UntilHalfOpen; got != st.want {
			t.Fatalf("step %d: open for %v, want %v", i, got, st.want)
		}
		var oe *circuitbreaker.OpenError
		if err := cb.Do(context.Background(), func(context.Context) error { return nil }); !errors.As(err, &oe) || oe.RetryAfter() != st.want {
			t.Fatalf("step %d: rejection %v, want an OpenError with RetryAfter %v", i, err, st.want)
		}
		clock.Advance(st.want)
	}
	call(t, cb, nil)
	wantState(t, cb, circuitbreaker.StateClosed)
}

func TestIgnoreRetryAfter(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: time.Second, IgnoreRetryAfter: true})
	call(t, cb, rampart.WithRetryAfter(errBoom, 7*time.Second))
	if got := cb.Snapshot().UntilHalfOpen; got != time.Second {
		t.Fatalf("open for %v, want 1s", got)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDoWithNilFunctionIsAnErrorAndCountsForNothing(t *testing.T) {
	cb, _ := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1})
	if err := cb.Do(context.Background(), nil); !errors.Is(err, rampart.ErrNilFunc) {
		t.Fatalf("Do(nil) = %v, want rampart.ErrNilFunc", err)
	}
	wantState(t, cb, circuitbreaker.StateClosed)
	if s := cb.Snapshot(); s.Counts.Calls != 0 || s.Counts.ConsecutiveFailures != 0 {
		t.Fatalf("snapshot = %+v, want nothing recorded", s)
	}
}
