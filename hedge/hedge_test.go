package hedge_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/hedge"
	"github.com/rampart-go/rampart/internal/testutil"
	"github.com/rampart-go/rampart/retry"
)

var errBoom = errors.New("boom")

// wait blocks for d of the bubble's virtual time, or until ctx is done.
func wait(ctx context.Context, d time.Duration) error { return rampart.Sleep(ctx, nil, d) }

func mustNew(t *testing.T, c hedge.Config) *hedge.Policy {
	t.Helper()
	p, err := hedge.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tracker counts attempts that are running, to show none outlives a call.
type tracker struct{ running, started atomic.Int32 }

func (tr *tracker) enter() func() {
	tr.started.Add(1)
	tr.running.Add(1)
	return func() { tr.running.Add(-1) }
}

func TestFirstAnswerBeforeDelayStartsNoHedge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: 10 * time.Millisecond})
		calls := 0
		err := p.Do(t.Context(), func(ctx context.Context) error {
			calls++
			return wait(ctx, 5*time.Millisecond)
		})
		if err != nil || calls != 1 {
			t.Fatalf("err %v, calls %d; want nil, 1", err, calls)
		}
		if s := p.Snapshot(); s.Hedges != 0 {
			t.Fatalf("hedges %d, want 0", s.Hedges)
		}
	})
}

func TestHedgeWinsAndLoserIsCancelledWithoutWritingTheResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &testutil.Recorder{}
		p := mustNew(t, hedge.Config{Delay: 10 * time.Millisecond, Observers: []rampart.Observer{rec}})
		var tr tracker
		var firstErr error
		var hedgeAttempt rampart.Attempt
		start := time.Now()
		v, err := rampart.Get(t.Context(), p, func(ctx context.Context) (string, error) {
			defer tr.enter()()
			a := rampart.AttemptFrom(ctx)
			if !a.Hedge {
				firstErr = wait(ctx, time.Hour) // the straggler
				return "loser", firstErr
			}
			hedgeAttempt = a
			if err := wait(ctx, 2*time.Millisecond); err != nil {
				return "", err
			}
			return "winner", nil
		})
		if err != nil || v != "winner" {
			t.Fatalf("got %q, %v; want winner, nil", v, err)
		}
		if n := tr.running.Load(); n != 0 {
			t.Fatalf("%d attempts still running after the call returned", n)
		}
		if !errors.Is(firstErr, context.Canceled) {
			t.Fatalf("the loser saw %v, want context.Canceled", firstErr)
		}
		if hedgeAttempt != (rampart.Attempt{Number: 2, Hedge: true}) {
			t.Fatalf("hedge's attempt %+v", hedgeAttempt)
		}
		if d := time.Since(start); d != 12*time.Millisecond {
			t.Fatalf("call took %v, want 12ms (delay + hedge)", d)
		}
		if got := rec.Kinds(); len(got) != 2 || got[0] != rampart.EventHedge || got[1] != rampart.EventHedgeWon {
			t.Fatalf("events %v", got)
		}
		if s := p.Snapshot(); s.Hedges != 1 || s.Won != 1 {
			t.Fatalf("snapshot %+v", s)
		}
	})
}

func TestLosersNeverWriteTheWinnersResult(t *testing.T) {
	// Under -race: many calls at once, where either attempt may win, each
	// writing its own value as it returns.
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: time.Millisecond, DisableBudget: true, MaxHedges: 2})
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Go(func() {
				v, err := rampart.Get(t.Context(), p, func(ctx context.Context) (int, error) {
					n := rampart.AttemptFrom(ctx).Number
					// Attempt n answers after a time that depends on i,
					// so the winner varies from call to call.
					d := time.Duration((i*7+n*3)%5) * time.Millisecond
					if err := wait(ctx, d); err != nil {
						return -n, err
					}
					return n, nil
				})
				if err != nil || v <= 0 {
					t.Errorf("call %d: got %d, %v; want a winner's positive value", i, v, err)
				}
			})
		}
		wg.Wait()
	})
}

func TestQuantileDelayFollowsLatencies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Quantile: 0.9, MinSamples: 50, Window: 100, DisableBudget: true})
		if _, ok := p.Delay(); ok {
			t.Fatal("a quantile policy with no samples must not hedge on time")
		}
		run := func(n int, d time.Duration) {
			for range n {
				if err := p.Do(t.Context(), func(ctx context.Context) error { return wait(ctx, d) }); err != nil {
					t.Fatal(err)
				}
			}
		}
		run(100, 10*time.Millisecond)
		d, ok := p.Delay()
		if !ok || d < 10*time.Millisecond || d > 12*time.Millisecond {
			t.Fatalf("delay %v, %v after 10ms calls; want about 10ms", d, ok)
		}
		if s := p.Snapshot(); s.Hedges != 0 {
			t.Fatalf("hedges %d while calls took 10ms and the delay was not yet known", s.Hedges)
		}
		// Latencies grow; within two windows the delay follows. Hedges
		// fire meanwhile (the delay lags), and the losers' times still
		// count, so the estimate is not held down by the hedges.
		run(250, 40*time.Millisecond)
		d, _ = p.Delay()
		if d < 40*time.Millisecond || d > 46*time.Millisecond {
			t.Fatalf("delay %v after 40ms calls; want about 40ms", d)
		}
		run(250, 5*time.Millisecond)
		d, _ = p.Delay()
		if d < 5*time.Millisecond || d > 6*time.Millisecond {
			t.Fatalf("delay %v after 5ms calls; want about 5ms", d)
		}
	})
}

func TestBudgetStopsHedging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := retry.NewTokenBucket(retry.TokenBucketConfig{MaxTokens: 4})
		if err != nil {
			t.Fatal(err)
		}
		rec := &testutil.Recorder{}
		p := mustNew(t, hedge.Config{Delay: time.Millisecond, Budget: b, Observers: []rampart.Observer{rec}})
		var tr tracker
		// The whole service is slow: every attempt takes 10ms.
		for range 10 {
			if err := p.Do(t.Context(), func(ctx context.Context) error {
				defer tr.enter()()
				return wait(ctx, 10*time.Millisecond)
			}); err != nil {
				t.Fatal(err)
			}
		}
		// 4 tokens, refused at 2 or less: two hedges spend two, and each
		// success earns back 0.1; then hedging stops.
		s := p.Snapshot()
		if s.Hedges != 2 || s.BudgetRefused == 0 {
			t.Fatalf("snapshot %+v; want 2 hedges and refusals", s)
		}
		if got := tr.started.Load(); got != 12 {
			t.Fatalf("%d attempts for 10 calls, want 12", got)
		}
		if len(rec.Of(rampart.EventBudgetExhausted)) == 0 {
			t.Fatal("no EventBudgetExhausted")
		}
	})
}

func TestNonFatalFailureStartsNextHedgeAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: time.Hour, MaxHedges: 2, DisableBudget: true})
		start := time.Now()
		var attempts []int
		var mu sync.Mutex
		v, err := rampart.Get(t.Context(), p, func(ctx context.Context) (int, error) {
			n := rampart.AttemptFrom(ctx).Number
			mu.Lock()
			attempts = append(attempts, n)
			mu.Unlock()
			if n < 3 {
				return 0, errBoom // fails fast, not fatal
			}
			return n, nil
		})
		if err != nil || v != 3 {
			t.Fatalf("got %d, %v; want 3, nil", v, err)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("took %v; the hedges should start at once", d)
		}
		if len(attempts) != 3 {
			t.Fatalf("attempts %v", attempts)
		}
	})
}

func TestAllAttemptsFailingReturnsTheLastFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: time.Hour, MaxHedges: 2, DisableBudget: true})
		var n atomic.Int32
		err := p.Do(t.Context(), func(ctx context.Context) error {
			return fmt.Errorf("attempt %d: %w", n.Add(1), errBoom)
		})
		if !errors.Is(err, errBoom) || n.Load() != 3 {
			t.Fatalf("err %v after %d attempts; want errBoom after 3", err, n.Load())
		}
	})
}

func TestFatalFailureCancelsAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: 5 * time.Millisecond, MaxHedges: 3, DisableBudget: true})
		var tr tracker
		start := time.Now()
		err := p.Do(t.Context(), func(ctx context.Context) error {
			defer tr.enter()()
			if rampart.AttemptFrom(ctx).Number == 2 {
				return rampart.Permanent(errBoom)
			}
			return wait(ctx, time.Hour)
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("err %v, want errBoom", err)
		}
		if d := time.Since(start); d != 5*time.Millisecond {
			t.Fatalf("took %v, want 5ms", d)
		}
		if tr.running.Load() != 0 || tr.started.Load() != 2 {
			t.Fatalf("running %d, started %d; want 0, 2", tr.running.Load(), tr.started.Load())
		}
	})
}

func TestMaxHedgesHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: time.Millisecond, MaxHedges: 3, DisableBudget: true})
		var tr tracker
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		err := p.Do(ctx, func(ctx context.Context) error {
			defer tr.enter()()
			return wait(ctx, time.Hour)
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want the caller's deadline", err)
		}
		if got := tr.started.Load(); got != 4 {
			t.Fatalf("%d attempts, want 1 + 3 hedges", got)
		}
		if tr.running.Load() != 0 {
			t.Fatal("attempts outlived the call")
		}
	})
}

func TestCallerCancellationEndsEveryAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: time.Millisecond, MaxHedges: 2, DisableBudget: true})
		var tr tracker
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(10*time.Millisecond, cancel)
		err := p.Do(ctx, func(ctx context.Context) error {
			defer tr.enter()()
			return wait(ctx, time.Hour)
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		if tr.running.Load() != 0 || tr.started.Load() != 3 {
			t.Fatalf("running %d, started %d", tr.running.Load(), tr.started.Load())
		}
		// No hedge starts once the caller has gone.
		ctx2, cancel2 := context.WithCancel(t.Context())
		cancel2()
		_ = p.Do(ctx2, func(ctx context.Context) error {
			defer tr.enter()()
			return wait(ctx, time.Hour)
		})
		if tr.started.Load() != 4 {
			t.Fatalf("started %d; a cancelled caller got a hedge", tr.started.Load())
		}
	})
}

func TestHedgePanicIsRaisedInCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: time.Millisecond, DisableBudget: true})
		var tr tracker
		got := func() (v any) {
			defer func() { v = recover() }()
			_ = p.Do(t.Context(), func(ctx context.Context) error {
				defer tr.enter()()
				if rampart.AttemptFrom(ctx).Hedge {
					panic("hedge broke")
				}
				return wait(ctx, time.Hour)
			})
			return nil
		}()
		if got != "hedge broke" {
			t.Fatalf("recovered %v", got)
		}
		if tr.running.Load() != 0 {
			t.Fatal("the first attempt outlived the panic")
		}
		if p.Snapshot().Panics != 1 {
			t.Fatalf("snapshot %+v", p.Snapshot())
		}
	})
}

func TestFirstAttemptPanicWaitsForHedges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: time.Millisecond, DisableBudget: true})
		var tr tracker
		got := func() (v any) {
			defer func() { v = recover() }()
			_ = p.Do(t.Context(), func(ctx context.Context) error {
				defer tr.enter()()
				if rampart.AttemptFrom(ctx).Hedge {
					return wait(ctx, time.Hour)
				}
				_ = wait(ctx, 2*time.Millisecond) // the hedge starts meanwhile
				panic("first broke")
			})
			return nil
		}()
		if got != "first broke" {
			t.Fatalf("recovered %v", got)
		}
		if tr.running.Load() != 0 || tr.started.Load() != 2 {
			t.Fatalf("running %d, started %d", tr.running.Load(), tr.started.Load())
		}
	})
}

func TestFirstAttemptContextIsCancelledAfterTheCall(t *testing.T) {
	p := mustNew(t, hedge.Config{Delay: time.Hour})
	var kept context.Context
	_ = p.Do(context.Background(), func(ctx context.Context) error { kept = ctx; return nil })
	if !errors.Is(kept.Err(), context.Canceled) {
		t.Fatalf("after the call, Err = %v", kept.Err())
	}
	select {
	case <-kept.Done():
	default:
		t.Fatal("Done not closed after the call")
	}
}

func TestManualClock(t *testing.T) {
	clock := rampart.NewManualClock(time.Unix(0, 0))
	p := mustNew(t, hedge.Config{Delay: 10 * time.Millisecond, Clock: clock, DisableBudget: true})
	hedged := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- p.Do(context.Background(), func(ctx context.Context) error {
			if rampart.AttemptFrom(ctx).Hedge {
				close(hedged)
				return nil
			}
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	for clock.Pending() == 0 {
		select {
		case err := <-done:
			t.Fatalf("returned %v before the hedge", err)
		default:
		}
		runtime.Gosched() // until the first attempt waits on its context
	}
	clock.Advance(10 * time.Millisecond)
	<-hedged
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidation(t *testing.T) {
	cases := []struct {
		field string
		c     hedge.Config
	}{
		{"Delay", hedge.Config{Delay: -1}},
		{"Quantile", hedge.Config{Quantile: math.NaN()}},
		{"Quantile", hedge.Config{Quantile: math.Inf(1)}},
		{"Quantile", hedge.Config{Quantile: 1}},
		{"Quantile", hedge.Config{Quantile: -0.5}},
		{"MinSamples", hedge.Config{MinSamples: -1}},
		{"MinSamples", hedge.Config{MinSamples: 11, Window: 10}},
		{"Window", hedge.Config{Window: math.MaxInt}},
		{"MaxHedges", hedge.Config{MaxHedges: -1}},
		{"MaxHedges", hedge.Config{MaxHedges: 17}},
		{"DisableBudget", hedge.Config{Budget: retry.NoBudget, DisableBudget: true}},
		{"BudgetConfig", hedge.Config{Budget: retry.NoBudget, BudgetConfig: retry.TokenBucketConfig{MaxTokens: 1}}},
		{"BudgetConfig.MaxTokens", hedge.Config{BudgetConfig: retry.TokenBucketConfig{MaxTokens: math.NaN()}}},
	}
	for _, tc := range cases {
		_, err := hedge.New(tc.c)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, rampart.ErrInvalidConfig) {
			t.Errorf("%+v: got %v, want a ConfigError for %s", tc.c, err, tc.field)
		}
	}
	if _, err := hedge.New(hedge.Config{Delay: math.MaxInt64}); err != nil {
		t.Errorf("the largest delay: %v", err)
	}
}

func TestPanickingCallbacksAreRaisedInTheCallerWithNothingLeftRunning(t *testing.T) {
	cases := map[string]func(*hedge.Config){
		"classifier": func(c *hedge.Config) {
			c.Classifier = func(ctx context.Context, err error) rampart.Outcome {
				if rampart.AttemptFrom(ctx).Number == 1 && err != nil {
					panic("callback broke")
				}
				return rampart.Classify(ctx, err)
			}
		},
		"non-fatal": func(c *hedge.Config) { c.NonFatal = func(error) bool { panic("callback broke") } },
		"observer": func(c *hedge.Config) {
			c.Observers = []rampart.Observer{rampart.ObserverFunc(func(rampart.Event) { panic("callback broke") })}
		},
	}
	for name, set := range cases {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := hedge.Config{Delay: time.Millisecond, DisableBudget: true}
				set(&c)
				p := mustNew(t, c)
				var tr tracker
				got := func() (v any) {
					defer func() { v = recover() }()
					_ = p.Do(t.Context(), func(ctx context.Context) error {
						defer tr.enter()()
						if rampart.AttemptFrom(ctx).Hedge {
							return errBoom // judged on the hedge's goroutine
						}
						_ = wait(ctx, 5*time.Millisecond)
						return errBoom
					})
					return nil
				}()
				if got != "callback broke" {
					t.Fatalf("recovered %v", got)
				}
				if tr.running.Load() != 0 {
					t.Fatal("an attempt outlived the panic")
				}
			})
		})
	}
}

func TestNonFatalAndClassifierAreHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errRetryable := errors.New("retryable")
		p := mustNew(t, hedge.Config{
			Delay: time.Hour, MaxHedges: 3, DisableBudget: true,
			NonFatal: func(err error) bool { return errors.Is(err, errRetryable) },
		})
		var n atomic.Int32
		err := p.Do(t.Context(), func(ctx context.Context) error {
			if n.Add(1) == 1 {
				return errRetryable
			}
			return errBoom // fatal under this NonFatal
		})
		if !errors.Is(err, errBoom) || n.Load() != 2 {
			t.Fatalf("err %v after %d attempts; want errBoom after 2", err, n.Load())
		}
		// A classifier that calls an error a success ends the call with it.
		p = mustNew(t, hedge.Config{
			Delay: time.Hour, DisableBudget: true,
			Classifier: func(context.Context, error) rampart.Outcome { return rampart.Success },
		})
		n.Store(0)
		if err := p.Do(t.Context(), func(context.Context) error { n.Add(1); return errBoom }); !errors.Is(err, errBoom) || n.Load() != 1 {
			t.Fatalf("err %v after %d attempts; want errBoom after 1", err, n.Load())
		}
	})
}

func TestCallDrivesTheDecisionsWithoutExecute(t *testing.T) {
	b, _ := retry.NewTokenBucket(retry.TokenBucketConfig{MaxTokens: 4})
	p := mustNew(t, hedge.Config{Delay: 10 * time.Millisecond, MaxHedges: 2, Budget: b})
	now := time.Unix(0, 0)
	c := p.Begin()
	if !c.More() || !c.Hedge(now, 10*time.Millisecond, nil) || c.Attempts() != 2 {
		t.Fatalf("first hedge refused: %+v", p.Snapshot())
	}
	if c.Final(context.Background(), errBoom) {
		t.Fatal("errBoom judged fatal")
	}
	if c.Final(context.Background(), rampart.Permanent(errBoom)) == false {
		t.Fatal("a permanent error judged non-fatal")
	}
	// Two tokens spent (the hedge, the non-fatal failure): the bucket is
	// at its threshold and refuses the next hedge.
	if c.Hedge(now, 10*time.Millisecond, errBoom) || c.More() {
		t.Fatal("the budget did not refuse")
	}
	c.Succeeded(2, now)
	if s := p.Snapshot(); s.Hedges != 1 || s.Won != 1 || s.BudgetRefused != 1 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestNilFunctionIsNotHedged(t *testing.T) {
	p := mustNew(t, hedge.Config{Delay: time.Hour, MaxHedges: 3, DisableBudget: true})
	if err := p.Do(context.Background(), nil); !errors.Is(err, rampart.ErrNilFunc) {
		t.Fatalf("err %v", err)
	}
	if s := p.Snapshot(); s.Hedges != 0 {
		t.Fatalf("a nil function was hedged %d times", s.Hedges)
	}
}
