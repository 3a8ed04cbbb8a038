package ratelimit_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/ratelimit"
)

func TestWaitReturnsAtOnceWhenTheTokenComesAfterTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, ratelimit.Config{Rate: 10, Burst: 1})
		l.Allow() // the next token is due in 100ms
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := l.Wait(ctx)
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("waited %v before refusing", waited)
		}
		if !errors.Is(err, ratelimit.ErrLimited) || !errors.Is(err, rampart.ErrRejected) {
			t.Fatalf("got %v, want ErrLimited", err)
		}
		if d, _ := rampart.RetryAfter(err); d != 100*time.Millisecond {
			t.Fatalf("RetryAfter = %v, want 100ms", d)
		}
		// The refused wait gave its token back: the next is still 100ms away.
		if r := l.Reserve(); r.Delay() != 100*time.Millisecond {
			t.Fatalf("next reservation waits %v, want 100ms", r.Delay())
		}
	})
}

func TestWaitSleepsUntilTheTokenWithinTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, ratelimit.Config{Rate: 10, Burst: 1})
		l.Allow()
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := l.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 100*time.Millisecond {
			t.Fatalf("waited %v, want 100ms", waited)
		}
		if l.Allow() {
			t.Fatal("Wait did not take its token")
		}
	})
}

func TestWaitCancelledGivesTheTokenBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, ratelimit.Config{Rate: 10, Burst: 1})
		l.Allow()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(30*time.Millisecond, cancel)
		start := time.Now()
		if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if waited := time.Since(start); waited != 30*time.Millisecond {
			t.Fatalf("returned after %v, want 30ms", waited)
		}
		if r := l.Reserve(); r.Delay() != 70*time.Millisecond {
			t.Fatalf("next reservation waits %v, want 70ms (the cancelled wait's token back)", r.Delay())
		}
		if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait on a done context: %v", err)
		}
		if err := l.WaitN(context.Background(), 2); !errors.Is(err, ratelimit.ErrExceedsBurst) {
			t.Fatalf("WaitN above burst: %v", err)
		}
	})
}

// Over random queues and deadlines, Wait never returns after the caller's
// deadline and, when it succeeds, returns exactly when its token is due.
func TestWaitNeverOversleepsADeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for range 200 {
			l := newLimiter(t, ratelimit.Config{Rate: 100, Burst: 1 + rng.IntN(3)})
			for range rng.IntN(8) {
				l.Reserve()
			}
			due := l.Reserve()
			for due.Delay() == 0 { // taken at once: Cancel would keep it
				due = l.Reserve()
			}
			due.Cancel()
			timeout := time.Duration(rng.Int64N(int64(100 * time.Millisecond)))
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			start := time.Now()
			err := l.Wait(ctx)
			took := time.Since(start)
			cancel()
			if took > timeout {
				t.Fatalf("Wait took %v past a %v deadline", took, timeout)
			}
			switch {
			case err == nil && took != due.Delay():
				t.Fatalf("Wait returned after %v, token due in %v", took, due.Delay())
			case err != nil && (took != 0 || due.Delay() <= timeout):
				t.Fatalf("Wait refused after %v (token in %v, deadline %v): %v", took, due.Delay(), timeout, err)
			}
			time.Sleep(time.Second) // let the next limiter start afresh
		}
	})
}

func TestExecuteWaitsUpToMaxWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, ratelimit.Config{Rate: 10, Burst: 1, MaxWait: 150 * time.Millisecond})
		ctx := context.Background()
		ran := 0
		fn := func(context.Context) error { ran++; return nil }
		start := time.Now()
		for range 2 {
			if err := l.Do(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(start); took != 100*time.Millisecond || ran != 2 {
			t.Fatalf("two calls took %v and ran %d, want 100ms and 2", took, ran)
		}
		// Two more queued: the second would wait 200ms > MaxWait.
		done := make(chan error, 1)
		go func() { done <- l.Do(ctx, fn) }()
		synctest.Wait()
		start = time.Now()
		err := l.Do(ctx, fn)
		if !errors.Is(err, ratelimit.ErrLimited) || time.Since(start) != 0 {
			t.Fatalf("got %v after %v, want an immediate ErrLimited", err, time.Since(start))
		}
		if d, _ := rampart.RetryAfter(err); d != 200*time.Millisecond {
			t.Fatalf("RetryAfter = %v, want 200ms", d)
		}
		if err := <-done; err != nil || ran != 3 {
			t.Fatalf("queued call: %v, ran %d", err, ran)
		}
	})
}

func TestReserveAndCancel(t *testing.T) {
	clock := rampart.NewManualClock(t0)
	l := newLimiter(t, ratelimit.Config{Rate: 10, Burst: 2, Clock: clock})
	var rs []ratelimit.Reservation
	for _, want := range []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond} {
		r := l.Reserve()
		if !r.OK() || r.Delay() != want {
			t.Fatalf("reservation %d: ok %v delay %v, want %v", len(rs), r.OK(), r.Delay(), want)
		}
		rs = append(rs, r)
	}
	// Cancelling the last gives its token back, once.
	rs[3].Cancel()
	rs[3].Cancel()
	if r := l.Reserve(); r.Delay() != 200*time.Millisecond {
		t.Fatalf("after cancel: delay %v, want 200ms", r.Delay())
	} else {
		rs[3] = r
	}
	// A reservation whose time has come is kept: the caller may have acted.
	clock.Advance(100 * time.Millisecond)
	rs[2].Cancel()
	if r := l.Reserve(); r.Delay() != 200*time.Millisecond {
		t.Fatalf("cancel after due time changed the state: delay %v, want 200ms", r.Delay())
	}
	if r := l.ReserveN(clock.Now(), 3); r.OK() {
		t.Fatal("reserved more than Burst")
	} else {
		r.Cancel() // nothing to give back
	}
	if r := l.ReserveN(clock.Now(), 0); !r.OK() || r.Delay() != 0 {
		t.Fatal("ReserveN(0) must be OK at once")
	}
	if d := rs[3].DelayFrom(clock.Now()); d != 100*time.Millisecond {
		t.Fatalf("DelayFrom = %v, want 100ms", d)
	}
	var zero ratelimit.Reservation
	zero.Cancel()
	if zero.OK() || zero.DelayFrom(t0) != 0 {
		t.Fatal("zero reservation")
	}
}

// Cancelling a reservation long after an idle spell must not push the
// state further back than a full bucket.
func TestCancelNeverOverfillsTheBucket(t *testing.T) {
	clock := rampart.NewManualClock(t0)
	l := newLimiter(t, ratelimit.Config{Rate: 10, Burst: 1, Clock: clock})
	l.Allow()
	r := l.Reserve() // due in 100ms
	clock.Advance(50 * time.Millisecond)
	r.Cancel()
	n := 0
	for l.Allow() {
		n++
	}
	if n != 0 {
		// The first token is due 100ms after the start; 50ms have passed.
		t.Fatalf("%d calls let through, want 0", n)
	}
	clock.Advance(50 * time.Millisecond)
	if !l.Allow() || l.Allow() {
		t.Fatal("want exactly one call once the first token is due")
	}
}

// The slowest limiter the config allows, driven at the far end of its time
// range: reservations pile up until they would wait longer than it can
// represent, and no sum overflows on the way.
func TestReservationsAtTheEdgesNeverOverflow(t *testing.T) {
	const interval = 1 << 60 // ns: 36 years a token
	l := newLimiter(t, ratelimit.Config{Rate: 1e9 / interval, Burst: 2})
	for _, at := range []time.Time{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		last := time.Duration(-1)
		refused := false
		for range 10 {
			r := l.ReserveN(at, 2)
			if !r.OK() {
				refused = true
				if r.Delay() <= 0 {
					t.Fatalf("refused reservation says %v", r.Delay())
				}
				break
			}
			if r.Delay() < last {
				t.Fatalf("delay went from %v to %v: an overflow", last, r.Delay())
			}
			last = r.Delay()
		}
		if !refused {
			t.Fatal("10 reservations of two 36-year tokens all accepted")
		}
		if l.AllowN(at, 1) {
			t.Fatal("a token let through with reservations queued for decades")
		}
	}
}

// In smooth mode, waiters that arrive together leave 1/Rate apart.
func TestSmoothWaitersLeaveEvenlySpaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, ratelimit.Config{Rate: 10, Mode: ratelimit.Smooth})
		time.Sleep(time.Hour) // idle: a smooth limiter banks nothing
		start := time.Now()
		done := make(chan time.Duration, 5)
		for range 5 {
			go func() {
				if err := l.Wait(context.Background()); err != nil {
					t.Error(err)
				}
				done <- time.Since(start)
			}()
		}
		seen := map[time.Duration]bool{}
		for range 5 {
			seen[<-done] = true
		}
		for i := range 5 {
			if at := time.Duration(i) * 100 * time.Millisecond; !seen[at] {
				t.Fatalf("no waiter left at %v; left at %v", at, seen)
			}
		}
	})
}
