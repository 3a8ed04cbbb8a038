package circuitbreaker_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

func TestOpenErrorCountsDownToTheNextProbeAsTheClockMoves(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: 10 * time.Second})
	call(t, cb, errBoom)
	_, err := cb.Allow()
	var oe *circuitbreaker.OpenError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v, want *OpenError", err)
	}
	for _, step := range []struct {
		advance time.Duration
		want    time.Duration
		msg     string
	}{
		{0, 10 * time.Second, "circuitbreaker: open, next probe in 10s"},
		{2500 * time.Millisecond, 7500 * time.Millisecond, "circuitbreaker: open, next probe in 7.5s"},
		{7500 * time.Millisecond, 0, "circuitbreaker: open, next probe in 0s"},
		{time.Minute, 0, "circuitbreaker: open, next probe in 0s"},
	} {
		clock.Advance(step.advance)
		if got := oe.RetryAfter(); got != step.want {
			t.Errorf("at %v: RetryAfter = %v, want %v", clock.Now().Sub(t0), got, step.want)
		}
		if d, ok := rampart.RetryAfter(err); !ok || d != step.want {
			t.Errorf("at %v: rampart.RetryAfter = %v, %v, want %v", clock.Now().Sub(t0), d, ok, step.want)
		}
		if got := err.Error(); got != step.msg {
			t.Errorf("at %v: Error() = %q, want %q", clock.Now().Sub(t0), got, step.msg)
		}
	}
}

func TestOpenRejectsEveryCallOfOneOpeningWithTheSameError(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: 10 * time.Second})
	call(t, cb, errBoom)
	_, first := cb.Allow()
	clock.Advance(3 * time.Second)
	_, second := cb.Allow()
	if first == nil || first != second {
		t.Fatalf("rejections of one opening: %p and %p, want the same error", first, second)
	}
	if d, _ := rampart.RetryAfter(first); d != 7*time.Second {
		t.Errorf("RetryAfter = %v, want 7s", d)
	}
	if got := testing.AllocsPerRun(100, func() { _, _ = cb.Allow() }); got != 0 {
		t.Errorf("a rejection allocates %v times, want 0", got)
	}

	clock.Advance(7 * time.Second)
	call(t, cb, errBoom) // the probe fails: a new opening
	_, third := cb.Allow()
	var oe *circuitbreaker.OpenError
	if !errors.As(third, &oe) || third == first {
		t.Fatalf("rejection of the next opening = %v, want a new *OpenError", third)
	}
	if !oe.Until.Equal(t0.Add(20*time.Second)) || oe.RetryAfter() != 10*time.Second {
		t.Errorf("next opening: Until = %v, RetryAfter = %v, want t0+20s and 10s", oe.Until, oe.RetryAfter())
	}
	if d, _ := rampart.RetryAfter(first); d != 0 {
		t.Errorf("the first opening's error: RetryAfter = %v after it ended, want 0", d)
	}
}

func TestManualOpenRejectsWithAnOpenError(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{OpenDuration: 4 * time.Second, Name: "search"})
	clock.Advance(time.Second)
	cb.Open()
	_, err := cb.Allow()
	var oe *circuitbreaker.OpenError
	if !errors.As(err, &oe) || oe.Name != "search" || !oe.Until.Equal(t0.Add(5*time.Second)) || oe.RetryAfter() != 4*time.Second {
		t.Fatalf("err = %#v, want *OpenError{Name: search, Until: t0+5s} with RetryAfter 4s", err)
	}
}

func TestOpenErrorOnTheRealClockCountsDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cb, err := circuitbreaker.New(circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_ = cb.Do(context.Background(), func(context.Context) error { return errBoom })
		start := time.Now()
		sleep(4 * time.Second)
		rej := cb.Do(context.Background(), func(context.Context) error { return nil })
		var oe *circuitbreaker.OpenError
		if !errors.As(rej, &oe) || oe.RetryAfter() != 6*time.Second || !oe.Until.Equal(start.Add(10*time.Second)) {
			t.Fatalf("err = %#v, want an *OpenError with RetryAfter 6s, Until start+10s", rej)
		}
		sleep(6 * time.Second)
		if d := oe.RetryAfter(); d != 0 {
			t.Errorf("RetryAfter at the end of the period = %v, want 0", d)
		}
		if err := cb.Do(context.Background(), func(context.Context) error { return nil }); err != nil {
			t.Errorf("the call after the open period: %v, want a probe", err)
		}
	})
}

func TestZeroOpenErrorSaysRetryNow(t *testing.T) {
	var oe circuitbreaker.OpenError
	if d := oe.RetryAfter(); d != 0 {
		t.Errorf("RetryAfter = %v, want 0", d)
	}
	if !errors.Is(&oe, circuitbreaker.ErrOpen) || !errors.Is(&oe, rampart.ErrRejected) {
		t.Errorf("zero OpenError does not match ErrOpen and rampart.ErrRejected")
	}
}

// sleep waits for d; inside a testing/synctest bubble the wait is virtual.
func sleep(d time.Duration) { <-time.After(d) }
