package hedge_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/hedge"
)

// The tests in this file run on the real clock, outside any bubble, where
// the calls of a policy share one hedge timer; the other tests run in
// bubbles, where each call has a timer of its own. Delays are a few
// milliseconds and nothing sleeps: every wait is on a channel that a
// hedge, a cancellation or the end of a call closes.

// Under -race: many concurrent calls on the shared timer, half of them
// stuck until cancelled. Each stuck call is answered by its hedge, the
// stuck attempt is cancelled and its value never lands; each other call
// keeps its own first attempt's value; nothing runs after a call returns.
func TestSharedTimerHedgesStuckCallsAndLosersNeverWriteTheResult(t *testing.T) {
	p := mustNew(t, hedge.Config{Delay: 2 * time.Millisecond, DisableBudget: true})
	var tr tracker
	var cancelled atomic.Int32
	var wg sync.WaitGroup
	const n = 200
	for i := range n {
		wg.Go(func() {
			stuck := i%2 == 1
			v, err := rampart.Get(context.Background(), p, func(ctx context.Context) (int, error) {
				defer tr.enter()()
				if rampart.AttemptFrom(ctx).Hedge {
					return 1000 + i, nil
				}
				if !stuck {
					select {
					case <-ctx.Done(): // watches its context, as a network call does
						return -1, ctx.Err()
					default:
						return i, nil
					}
				}
				<-ctx.Done()
				cancelled.Add(1)
				return -1, ctx.Err() // the loser's value: must never be the call's
			})
			want := i
			if stuck {
				want = 1000 + i
			}
			// A call that answers at once may still be hedged on a
			// machine that stalls it for the whole delay; its hedge then
			// answers 1000+i, also right.
			if err != nil || (v != want && (stuck || v != 1000+i)) {
				t.Errorf("call %d: %d, %v; want %d", i, v, err, want)
			}
			if r := tr.running.Load(); r < 0 {
				t.Errorf("running %d", r)
			}
		})
	}
	wg.Wait()
	if r := tr.running.Load(); r != 0 {
		t.Fatalf("%d attempts still running after every call returned", r)
	}
	if c := cancelled.Load(); c != n/2 {
		t.Fatalf("%d stuck attempts cancelled, want %d", c, n/2)
	}
	if s := p.Snapshot(); s.Hedges < n/2 || s.Won < n/2 {
		t.Fatalf("snapshot %+v, want at least %d hedges and wins", s, n/2)
	}
}

// A call that answered before its delay starts no hedge, even once the
// delay has passed: the next call's hedge, due after it, shows that it
// has.
func TestSharedTimerStartsNoHedgeForACallThatReturned(t *testing.T) {
	p := mustNew(t, hedge.Config{Delay: 2 * time.Millisecond, DisableBudget: true})
	var fastAttempts atomic.Int32
	err := p.Do(context.Background(), func(ctx context.Context) error {
		fastAttempts.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		default:
			return nil
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Do(context.Background(), func(ctx context.Context) error {
		if rampart.AttemptFrom(ctx).Hedge {
			return nil
		}
		<-ctx.Done()
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := fastAttempts.Load(); n != 1 {
		t.Fatalf("the call that answered at once ran %d attempts, want 1", n)
	}
	if s := p.Snapshot(); s.Hedges != 1 {
		t.Fatalf("%d hedges, want 1 (the stuck call's)", s.Hedges)
	}
}

// The caller's cancellation racing the shared timer: every call returns
// the hedge's answer or the cancellation, with nothing left running.
func TestSharedTimerRacingTheCallersCancellation(t *testing.T) {
	p := mustNew(t, hedge.Config{Delay: time.Millisecond, DisableBudget: true, MaxHedges: 2})
	var tr tracker
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			// Cancelled about when the hedges are due, a little before or
			// after depending on i.
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%5)*500*time.Microsecond)
			defer cancel()
			err := p.Do(ctx, func(ctx context.Context) error {
				defer tr.enter()()
				if rampart.AttemptFrom(ctx).Number == 3 {
					return nil
				}
				<-ctx.Done()
				return ctx.Err()
			})
			if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				t.Errorf("call %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if r := tr.running.Load(); r != 0 {
		t.Fatalf("%d attempts still running after every call returned", r)
	}
}

// A policy made outside any bubble serves calls outside and inside
// bubbles, at the same time: calls in a bubble keep timers of their own
// on the bubble's clock (the shared timer, made outside, must never be
// touched from inside, nor a bubble's timer from outside), so a bubble's
// hedge starts exactly after the delay of its virtual time.
func TestPolicySharedByBubblesAndTheRealClock(t *testing.T) {
	p := mustNew(t, hedge.Config{Delay: 2 * time.Millisecond, DisableBudget: true})
	stuckUntilHedged := func(ctx context.Context) error {
		if rampart.AttemptFrom(ctx).Hedge {
			return nil
		}
		<-ctx.Done()
		return ctx.Err()
	}
	outside := func() {
		for range 20 {
			if err := p.Do(context.Background(), stuckUntilHedged); err != nil {
				t.Error(err)
			}
		}
	}
	outside() // makes the shared timer

	var wg sync.WaitGroup
	wg.Go(outside)
	for b := range 3 {
		wg.Go(func() {
			t.Run("bubble", func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					for range 20 {
						start := time.Now()
						if err := p.Do(t.Context(), stuckUntilHedged); err != nil {
							t.Fatal(err)
						}
						if d := time.Since(start); d != 2*time.Millisecond {
							t.Fatalf("bubble %d: hedged after %v, want 2ms", b, d)
						}
					}
				})
			})
		})
	}
	wg.Wait()
	outside()
}

// In quantile mode the delay counts from the call's start, on the shared
// timer as on a call's own.
func TestSharedTimerQuantileDelayCountsFromTheStart(t *testing.T) {
	p := mustNew(t, hedge.Config{Quantile: 0.5, Delay: 2 * time.Millisecond, MinSamples: 1000, DisableBudget: true})
	start := time.Now()
	var waited time.Duration
	err := p.Do(context.Background(), func(ctx context.Context) error {
		if rampart.AttemptFrom(ctx).Hedge {
			waited = time.Since(start)
			return nil
		}
		<-ctx.Done()
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if waited < 2*time.Millisecond {
		t.Fatalf("hedged after %v, before the 2ms delay", waited)
	}
}
