package retry_test

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

// A hint of zero or less is no hint: before, it made the policy retry at
// once, with no backoff at all.
func TestRetryAfterOfZeroOrLessIsNoHint(t *testing.T) {
	p := mustNew(t, retry.Config{MaxAttempts: 5, Backoff: steps(5 * time.Millisecond), DisableBudget: true})
	now := time.Unix(0, 0)
	for _, hint := range []time.Duration{0, -time.Second, time.Duration(-1 << 63)} {
		c := p.Begin(now, time.Time{})
		d := c.Failed(context.Background(), rampart.WithRetryAfter(errTransient, hint), now)
		if !d.Retry || d.Delay != 5*time.Millisecond {
			t.Errorf("hint %v: decision %+v, want a retry after the backoff's 5ms", hint, d)
		}
	}
	// A positive hint still replaces the backoff.
	c := p.Begin(now, time.Time{})
	if d := c.Failed(context.Background(), rampart.WithRetryAfter(errTransient, time.Second), now); !d.Retry || d.Delay != time.Second {
		t.Errorf("hint 1s: decision %+v, want a retry after 1s", d)
	}
}

// countingClock counts the times a policy reads it.
type countingClock struct {
	*rampart.ManualClock
	reads int
}

func (c *countingClock) Now() time.Time {
	c.reads++
	return c.ManualClock.Now()
}

// The policy reads its clock only when a decision needs the time: never for
// an error it does not retry, and not for a retry of a call with no
// deadline, no MaxElapsed and no observers.
func TestFailuresReadTheClockOnlyWhenNeeded(t *testing.T) {
	clock := &countingClock{ManualClock: rampart.NewManualClock(time.Now())} // context deadlines are on the real clock
	p := mustNew(t, retry.Config{Strategy: retry.Constant(0), Clock: clock})
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for name, c := range map[string]struct {
		ctx context.Context
		err error
	}{
		"rejection":           {ctx, rejected},
		"permanent":           {ctx, rampart.Permanent(errTransient)},
		"caller's cancel":     {canceled, context.Canceled},
		"transient, no limit": {ctx, errTransient},
	} {
		clock.reads = 0
		calls := 0
		_ = p.Do(c.ctx, func(context.Context) error {
			calls++
			if calls == 1 {
				return c.err
			}
			return nil
		})
		if clock.reads != 0 {
			t.Errorf("%s: the clock was read %d times, want 0", name, clock.reads)
		}
	}
	// With a deadline the time is needed, once per failure.
	dctx, stop := context.WithDeadline(ctx, clock.Now().Add(time.Hour))
	defer stop()
	clock.reads = 0
	f := &failOnce{}
	if err := p.Do(dctx, f.fn); err != nil {
		t.Fatal(err)
	}
	if clock.reads != 1 {
		t.Errorf("with a deadline: the clock was read %d times, want 1", clock.reads)
	}
}
