package hedge

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

// Policy hedges calls: when an attempt has not answered after a delay, it
// starts another beside it, and the first answer wins. Build it with
// [New]; it is safe for concurrent use and serves every result type.
type Policy struct {
	name       string
	fixed      time.Duration // the delay, in fixed mode or until the estimate is ready
	est        *estimator    // nil in fixed mode
	maxHedges  int
	budget     retry.Budget
	counter    retry.Budget // budget, when its OnRequest does something
	nonFatal   func(error) bool
	classifier rampart.Classifier
	clock      rampart.Clock
	observers  []rampart.Observer

	// Counters, written only when a hedge is considered.
	hedges, won, refused, panics atomic.Int64

	_ [64]byte   // keeps the fields above, read by every call, off q's line
	q timerQueue // the hedge timers of calls on the real clock
}

var _ rampart.Policy = (*Policy)(nil)

// New returns a hedging policy, or an error naming the first invalid field
// of c.
func New(c Config) (*Policy, error) {
	c, err := c.validate()
	if err != nil {
		return nil, err
	}
	p := &Policy{
		name:       c.Name,
		fixed:      c.Delay,
		maxHedges:  c.MaxHedges,
		budget:     c.Budget,
		nonFatal:   c.NonFatal,
		classifier: c.Classifier,
		clock:      c.Clock,
		observers:  append([]rampart.Observer(nil), c.Observers...),
	}
	if c.Quantile > 0 {
		p.est = newEstimator(c.Quantile, c.Window, c.MinSamples)
	}
	if _, ok := p.budget.(*retry.TokenBucket); !ok && p.budget != nil {
		p.counter = p.budget
	}
	return p, nil
}

// Name returns the policy's name.
func (p *Policy) Name() string { return p.name }

// Budget returns the retry budget hedges spend from, nil when disabled.
func (p *Policy) Budget() retry.Budget { return p.budget }

// Delay returns the delay after which an attempt is hedged now: the fixed
// delay, or the quantile of recent latencies. ok is false while the policy
// does not hedge on time (a quantile without enough samples and no
// initial Delay).
func (p *Policy) Delay() (d time.Duration, ok bool) {
	if p.est != nil {
		if d, ok := p.est.current(); ok {
			return d, true
		}
	}
	return p.fixed, p.fixed > 0
}

// Observe records the latency of a first attempt, for the quantile delay.
// Execute calls it for every call whose first attempt answered or lost to
// a hedge (then with the time it ran, at least the delay, so the slow tail
// is not forgotten); call it only when driving the policy through [Call].
// In fixed mode it does nothing.
func (p *Policy) Observe(latency time.Duration) {
	if p.est != nil {
		p.est.observe(latency)
	}
}

// Do runs fn under the policy; see [rampart.Do].
func (p *Policy) Do(ctx context.Context, fn func(context.Context) error) error {
	return rampart.Do(ctx, p, fn)
}

// Snapshot holds a policy's counters. Calls that answer before the delay
// are not counted, so that they stay free.
type Snapshot struct {
	// Hedges is how many hedges started.
	Hedges int64
	// Won is how many calls a hedge answered first.
	Won int64
	// BudgetRefused is how many hedges the budget refused.
	BudgetRefused int64
	// Panics is how many calls an attempt's panic ended.
	Panics int64
	// Delay is the delay in force, zero while the policy does not hedge
	// on time.
	Delay time.Duration
}

// Snapshot returns the policy's counters.
func (p *Policy) Snapshot() Snapshot {
	d, _ := p.Delay()
	return Snapshot{
		Hedges:        p.hedges.Load(),
		Won:           p.won.Load(),
		BudgetRefused: p.refused.Load(),
		Panics:        p.panics.Load(),
		Delay:         d,
	}
}

// Call is the decisions of one hedged call, for driving the policy without
// Execute, as a simulator does in virtual time: [Policy.Begin] when the
// call starts, [Call.Hedge] when the delay has passed (or a non-fatal
// failure came back) with no answer yet, [Call.Final] on each attempt's
// outcome, [Call.Succeeded] when the call ends with an answer. Execute makes
// the same decisions through the same code. A Call is used by one
// goroutine at a time.
type Call struct {
	p        *Policy
	attempts int  // attempts started, the first included
	refused  bool // the budget refused a hedge: no more for this call
}

// Begin starts a call: its first attempt is about to run.
func (p *Policy) Begin() Call {
	if p.counter != nil {
		p.counter.OnRequest()
	}
	return Call{p: p, attempts: 1}
}

// Attempts returns how many attempts the call has started.
func (c *Call) Attempts() int { return c.attempts }

// More reports whether the call may start another hedge: MaxHedges is not
// reached and the budget has not refused one.
func (c *Call) More() bool { return !c.refused && c.attempts <= c.p.maxHedges }

// Hedge asks to start the next attempt, now, because the previous one has
// run for delay with no answer (err nil), or failed with the non-fatal
// err. It spends from the budget, emits EventHedge (or
// EventBudgetExhausted) and reports whether the hedge may start; it is
// attempt number [Call.Attempts].
func (c *Call) Hedge(now time.Time, delay time.Duration, err error) bool {
	if !c.More() {
		return false
	}
	if !c.p.spend(now, c.attempts+1, delay, err) {
		c.refused = true
		return false
	}
	c.attempts++
	return true
}

// spend asks the budget for hedge n and, granted, counts it and emits
// EventHedge; refused, it emits EventBudgetExhausted.
func (p *Policy) spend(now time.Time, n int, delay time.Duration, err error) bool {
	if b := p.budget; b != nil {
		if !b.TryRetry() {
			p.refused.Add(1)
			p.emit(rampart.Event{Kind: rampart.EventBudgetExhausted, Attempt: n, Err: err}, now)
			return false
		}
		if err == nil {
			// The hedged attempt did not answer in time: for the budget, a
			// failure. (A failed one was counted by final.)
			b.OnFailure()
		}
	}
	p.hedges.Add(1)
	reason := "delay"
	if err != nil {
		reason = "failure"
	}
	p.emit(rampart.Event{Kind: rampart.EventHedge, Attempt: n, Delay: delay, Reason: reason, Err: err}, now)
	return true
}

// Final judges an attempt's outcome: true for an answer that ends the call
// (a success, an ignored outcome such as the caller's cancellation, a
// fatal failure), false for a non-fatal failure, after which the next
// hedge may start at once. ctx is the caller's context.
func (c *Call) Final(ctx context.Context, err error) bool { return c.p.final(ctx, err) }

// final is [Call.Final]; a non-fatal failure counts against the budget.
func (p *Policy) final(ctx context.Context, err error) bool {
	final := p.judge(ctx, err)
	if !final && p.budget != nil {
		p.budget.OnFailure()
	}
	return final
}

// Succeeded records the end of a call that succeeded; attempt is the
// number of the attempt that answered.
func (c *Call) Succeeded(attempt int, now time.Time) {
	if b := c.p.budget; b != nil {
		b.OnSuccess()
	}
	if attempt > 1 {
		c.p.won.Add(1)
		c.p.emit(rampart.Event{Kind: rampart.EventHedgeWon, Attempt: attempt}, now)
	}
}

// emit sends e to the observers, stamped with the policy's name and, when
// now is zero, the policy's clock.
func (p *Policy) emit(e rampart.Event, now time.Time) {
	if len(p.observers) == 0 {
		return
	}
	if now.IsZero() {
		now = rampart.Now(p.clock)
	}
	e.Policy, e.Time = p.name, now
	rampart.Emit(p.observers, e)
}
