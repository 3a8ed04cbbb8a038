package circuitbreaker_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

func TestHalfOpenNeverRunsMoreProbesThanAllowed(t *testing.T) {
	const maxProbes = 3
	cb, _ := halfOpen(t, circuitbreaker.Config{HalfOpenMaxProbes: maxProbes, HalfOpenSuccesses: 1 << 30})
	var running, peak, admitted atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 2000 {
				_ = cb.Do(context.Background(), func(context.Context) error {
					admitted.Add(1)
					n := running.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					running.Add(-1)
					return nil
				})
			}
		})
	}
	wg.Wait()
	wantState(t, cb, circuitbreaker.StateHalfOpen)
	if p := peak.Load(); p > maxProbes {
		t.Fatalf("%d probes ran at once, limit %d", p, maxProbes)
	}
	s := cb.Snapshot()
	if s.ProbesInFlight != 0 || int64(s.ProbeSuccesses) != admitted.Load() {
		t.Fatalf("snapshot %+v after %d admitted probes", s, admitted.Load())
	}
	if admitted.Load()+int64(s.Rejected) != 32*2000 {
		t.Fatalf("admitted %d + rejected %d != %d calls", admitted.Load(), s.Rejected, 32*2000)
	}
}

func TestNoCountIsLostUnderConcurrency(t *testing.T) {
	const goroutines, each = 16, 2000
	for _, tc := range []struct {
		name string
		cfg  circuitbreaker.Config
	}{
		{"count-window", circuitbreaker.Config{WindowSize: goroutines * each, FailureRateThreshold: 0.5}},
		{"time-window", circuitbreaker.Config{WindowDuration: time.Minute, FailureRateThreshold: 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Mode = circuitbreaker.ModeMetricsOnly
			cb, _ := newBreaker(t, tc.cfg)
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range each {
						var err error
						switch (g + i) % 4 {
						case 0:
							err = errBoom
						case 1:
							err = contextCanceled() // ignored
						}
						call(t, cb, err)
					}
				})
			}
			wg.Wait()
			want := circuitbreaker.Counts{Calls: goroutines * each * 3 / 4, Failures: goroutines * each / 4}
			got := cb.Snapshot().Counts
			got.ConsecutiveFailures = 0
			if got != want {
				t.Fatalf("counts = %+v, want %+v", got, want)
			}
		})
	}
}

func TestConcurrentFailuresTripOnce(t *testing.T) {
	rec := &recorder{}
	cb, _ := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 10, Observers: []rampart.Observer{rec}})
	start := make(chan struct{})
	var permits [64]circuitbreaker.Permit
	for i := range permits {
		permits[i], _ = cb.Allow()
	}
	var wg sync.WaitGroup
	for i := range permits {
		wg.Go(func() {
			<-start
			permits[i].Done(errBoom)
		})
	}
	close(start)
	wg.Wait()
	if tr := transitions(rec); len(tr) != 1 || tr[0] != "closed>open:consecutive_failures" {
		t.Fatalf("transitions = %v, want exactly one trip", tr)
	}
}

func TestBreakerCyclesUnderConcurrentLoad(t *testing.T) {
	// Many goroutines, failures and a moving clock: the breaker goes round
	// its states while calls race. Invariants are checked from a snapshot
	// taken inside every state-change event.
	clock := rampart.NewManualClock(t0)
	var cb *circuitbreaker.Breaker
	var bad atomic.Value
	obs := rampart.ObserverFunc(func(e rampart.Event) {
		s := cb.Snapshot()
		if s.ProbesInFlight > 2 {
			bad.Store(s)
		}
	})
	cb, err := circuitbreaker.New(circuitbreaker.Config{
		FailureRateThreshold: 0.3, WindowSize: 20, MinimumCalls: 10,
		OpenDuration: 10 * time.Millisecond, HalfOpenMaxProbes: 2, HalfOpenSuccesses: 4,
		Clock: clock, Observers: []rampart.Observer{obs},
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 3000 {
				p, err := cb.Allow()
				if err != nil {
					if i%7 == 0 {
						clock.Advance(time.Millisecond)
					}
					continue
				}
				if (g*31+i)%5 < 2 {
					p.Done(errBoom)
				} else {
					p.Done(nil)
				}
			}
		})
	}
	wg.Wait()
	if s := bad.Load(); s != nil {
		t.Fatalf("invariant broken: %+v", s)
	}
	if s := cb.Snapshot(); s.Generation < 3 {
		t.Fatalf("the breaker never cycled: %+v", s)
	}
}

func TestTimeWindowOnTheRealClock(t *testing.T) {
	// Without Config.Clock the breaker reads the real clock, through its
	// own fast path for time-window successes. In a synctest bubble the
	// real clock is the bubble's, so the window can be checked exactly.
	synctest.Test(t, func(t *testing.T) {
		cb, err := circuitbreaker.New(circuitbreaker.Config{
			FailureRateThreshold: 0.5,
			WindowDuration:       10 * time.Second,
			WindowBuckets:        10,
			MinimumCalls:         10,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		succeed := func(context.Context) error { return nil }
		for range 8 {
			if err := cb.Do(ctx, succeed); err != nil {
				t.Fatal(err)
			}
		}
		<-time.After(11 * time.Second) // the 8 successes leave the window
		for range 4 {
			_ = cb.Do(ctx, func(context.Context) error { return errBoom })
		}
		for range 5 {
			_ = cb.Do(ctx, succeed)
		}
		if s := cb.Snapshot(); s.Counts.Calls != 9 || s.Counts.Failures != 4 || s.State != circuitbreaker.StateClosed {
			t.Fatalf("snapshot = %+v, want 9 calls, 4 failures, closed", s)
		}
		_ = cb.Do(ctx, func(context.Context) error { return errBoom }) // 5 of 10
		wantState(t, cb, circuitbreaker.StateOpen)
	})
}
