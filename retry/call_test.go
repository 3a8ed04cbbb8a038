package retry_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

// simulate drives one call through p by hand in virtual time, as a
// simulator does: every attempt fails with err at once.
func simulate(p *retry.Policy, now, deadline time.Time, err error) (waits []time.Duration, d retry.Decision) {
	c := p.Begin(now, deadline)
	for {
		d = c.Failed(context.Background(), err, now)
		if !d.Retry {
			return waits, d
		}
		waits = append(waits, d.Delay)
		now = now.Add(d.Delay)
	}
}

func TestHandDrivenCallMakesTheSameDecisionsAsExecute(t *testing.T) {
	for _, j := range []retry.Jitter{retry.JitterFull, retry.JitterEqual, retry.JitterDecorrelated, retry.JitterSmooth} {
		t.Run(string(j), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// A bucket large enough that attempts, not the budget, end the call.
				cfg := retry.Config{MaxAttempts: 6, Seed: 42, Backoff: retry.BackoffConfig{Jitter: j}, BudgetConfig: retry.TokenBucketConfig{MaxTokens: 100}}
				f := &failing{n: 100, err: errTransient}
				err := mustNew(t, cfg).Do(context.Background(), f.fn)
				var ran []time.Duration
				for i := 1; i < len(f.at); i++ {
					ran = append(ran, f.at[i].Sub(f.at[i-1]))
				}
				sim, d := simulate(mustNew(t, cfg), time.Now(), time.Time{}, errTransient)
				if !slices.Equal(ran, sim) {
					t.Fatalf("Execute waited %v, the hand-driven call %v", ran, sim)
				}
				if d.Err.Error() != err.Error() || d.Reason != retry.ReasonAttempts {
					t.Fatalf("hand-driven call ended with %v (%s), Execute with %v", d.Err, d.Reason, err)
				}
			})
		})
	}
}

func TestHandDrivenCallRespectsItsDeadline(t *testing.T) {
	p := mustNew(t, retry.Config{MaxAttempts: 10, Backoff: steps(time.Second)})
	start := time.Unix(1000, 0)
	waits, d := simulate(p, start, start.Add(2500*time.Millisecond), errTransient)
	if len(waits) != 2 || d.Reason != retry.ReasonDeadline || !errors.Is(d.Err, retry.ErrExhausted) {
		t.Fatalf("waits %v, decision %+v; want 2 waits then a deadline stop", waits, d)
	}
}

func TestHandDrivenCallSpendsTheBudget(t *testing.T) {
	shared, _ := retry.NewTokenBucket(retry.TokenBucketConfig{MaxTokens: 4})
	p := mustNew(t, retry.Config{MaxAttempts: 10, Budget: shared, Backoff: steps(time.Second)})
	_, d := simulate(p, time.Unix(0, 0), time.Time{}, errTransient)
	if d.Reason != retry.ReasonBudget || !errors.Is(d.Err, retry.ErrBudgetExhausted) || shared.Tokens() != 2 {
		t.Fatalf("decision %+v with %v tokens left; want a budget stop leaving 2", d, shared.Tokens())
	}
	c := p.Begin(time.Unix(0, 0), time.Time{})
	c.Succeeded()
	if shared.Tokens() != 2.1 {
		t.Fatalf("Tokens = %v after a success, want 2.1", shared.Tokens())
	}
}

func TestHandDrivenCallUsesRetryAfterHints(t *testing.T) {
	p := mustNew(t, retry.Config{Backoff: steps(time.Second)})
	waits, _ := simulate(p, time.Unix(0, 0), time.Time{}, rampart.WithRetryAfter(errTransient, 7*time.Second))
	if !slices.Equal(waits, []time.Duration{7 * time.Second, 7 * time.Second}) {
		t.Fatalf("waits = %v, want the hint twice", waits)
	}
}

func TestHandDrivenCallTracksAttemptsAndTheLastFailure(t *testing.T) {
	p := mustNew(t, retry.Config{Backoff: steps(time.Second)})
	c := p.Begin(time.Unix(0, 0), time.Time{})
	if c.Attempts() != 1 || c.Last() != nil {
		t.Fatalf("new call: attempt %d, last %v", c.Attempts(), c.Last())
	}
	d := c.Failed(context.Background(), io.ErrUnexpectedEOF, time.Unix(0, 0))
	if !d.Retry || d.Attempt != 2 || c.Attempts() != 2 || c.Last() != io.ErrUnexpectedEOF {
		t.Fatalf("decision %+v, attempt %d, last %v", d, c.Attempts(), c.Last())
	}
	err := c.Interrupted(context.Canceled)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Interrupted = %v, want it to match context.Canceled and the last failure", err)
	}
	if got := err.Error(); got != "retry: stopped by context canceled after 1 attempt: unexpected EOF" {
		t.Fatalf("message = %q", got)
	}
}

func TestHandDrivenCallPassesOnErrorsNotToRetry(t *testing.T) {
	p := mustNew(t, retry.Config{})
	c := p.Begin(time.Unix(0, 0), time.Time{})
	perm := rampart.Permanent(errTransient)
	if d := c.Failed(context.Background(), perm, time.Unix(0, 0)); d.Retry || d.Err != perm || d.Reason != retry.ReasonNotRetryable {
		t.Fatalf("decision %+v, want the permanent error as is", d)
	}
	if d := c.Failed(context.Background(), nil, time.Unix(0, 0)); d.Retry || d.Err != nil {
		t.Fatalf("decision on nil %+v, want a success", d)
	}
}

func TestNaiveConfigRetriesEverythingOnAFixedSchedule(t *testing.T) {
	p := mustNew(t, retry.Config{
		RetryAll:      true,
		DisableBudget: true,
		Backoff:       retry.BackoffConfig{Base: time.Second, Max: time.Hour, Jitter: retry.JitterNone},
	})
	waits, d := simulate(p, time.Unix(0, 0), time.Time{}, rampart.Permanent(errTransient))
	if !slices.Equal(waits, []time.Duration{time.Second, 2 * time.Second}) || d.Reason != retry.ReasonAttempts {
		t.Fatalf("waits %v, decision %+v; want 1s, 2s then attempts exhausted", waits, d)
	}
}
