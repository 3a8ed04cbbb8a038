package retry

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/fastrand"
)

// Policy retries failed calls with backoff and jitter, within the caller's
// deadline and a retry budget. Build it with [New]; it is safe for
// concurrent use and serves every result type.
type Policy struct {
	name          string
	maxAttempts   int
	maxElapsed    time.Duration
	maxRetryAfter time.Duration
	retryAll      bool
	backoff       Backoff
	rand          Rand
	budget        Budget       // nil when disabled
	bucket        *TokenBucket // budget, when it is a token bucket: called directly
	counter       Budget       // budget, when its OnRequest does something
	plain         bool         // Execute needs no start time, call count or result check
	classifier    rampart.Classifier
	onResult      func(any) bool
	clock         rampart.Clock
	observers     []rampart.Observer

	// Counters, written only on failure paths.
	retries, exhausted, refused, interrupted atomic.Int64
}

var _ rampart.Policy = (*Policy)(nil)

// New returns a retry policy, or an error naming the first invalid field of
// c.
func New(c Config) (*Policy, error) {
	c, err := c.validate()
	if err != nil {
		return nil, err
	}
	p := &Policy{
		name:          c.Name,
		maxAttempts:   c.MaxAttempts,
		maxElapsed:    c.MaxElapsed,
		maxRetryAfter: c.MaxRetryAfter,
		retryAll:      c.RetryAll,
		backoff:       c.Strategy,
		rand:          c.Rand,
		classifier:    c.Classifier,
		onResult:      c.RetryOnResult,
		clock:         c.Clock,
		observers:     append([]rampart.Observer(nil), c.Observers...),
	}
	if p.backoff == nil {
		if p.backoff, err = newBackoff(c.Backoff, "Backoff."); err != nil {
			return nil, err
		}
	}
	if p.rand == nil {
		if c.Seed != 0 {
			p.rand = fastrand.New(c.Seed)
		} else {
			p.rand = fastrand.Runtime{}
		}
	}
	switch {
	case c.DisableBudget || c.Budget == NoBudget:
	case c.Budget == nil:
		p.budget = newTokenBucket(c.BudgetConfig)
	default:
		p.budget = c.Budget
	}
	switch b := p.budget.(type) {
	case nil:
	case *TokenBucket:
		p.bucket = b
	default:
		p.counter = b
	}
	p.plain = p.maxElapsed == 0 && p.counter == nil && p.onResult == nil
	return p, nil
}

// Name returns the policy's name.
func (p *Policy) Name() string { return p.name }

// Budget returns the policy's retry budget, nil when it has none. Share it
// with a hedger or another policy calling the same destination.
func (p *Policy) Budget() Budget { return p.budget }

// Do runs fn under the policy; see [rampart.Do]. It calls fn directly,
// without the pipeline plumbing of Execute.
func (p *Policy) Do(ctx context.Context, fn func(context.Context) error) error {
	if fn == nil {
		return rampart.ErrNilFunc
	}
	return p.run(ctx, fn, rampart.Next{})
}

// Execute implements [rampart.Policy]. When the first attempt succeeds it
// reads no clock (unless MaxElapsed is set), makes no context, allocates
// nothing and writes no shared memory while the budget is full.
//
// A panic in an attempt goes on up untouched and is not retried. The policy
// holds nothing during an attempt (no permit, no goroutine), so it needs no
// deferred cleanup, and the success path does not pay for one (a deferred
// call would double its cost).
func (p *Policy) Execute(ctx context.Context, next rampart.Next) error {
	return p.run(ctx, nil, next)
}

// run is Execute, or Do when fn is not nil: each attempt calls fn, or else
// runs next.
func (p *Policy) run(ctx context.Context, fn func(context.Context) error, next rampart.Next) error {
	if !p.plain {
		return p.execute(ctx, fn, next)
	}
	var err error
	if fn != nil { // attempt, inlined by hand on the hot path
		err = fn(ctx)
	} else {
		err = next.Run(ctx)
	}
	if err != nil {
		return p.retry(ctx, fn, next, err, time.Time{})
	}
	if b := p.bucket; b != nil {
		b.OnSuccess()
	}
	return nil
}

// execute is Execute for policies that need more than the plain path: a
// start time for MaxElapsed, a budget that counts calls, a look at results.
func (p *Policy) execute(ctx context.Context, fn func(context.Context) error, next rampart.Next) error {
	var start time.Time
	if p.maxElapsed > 0 {
		start = rampart.Now(p.clock)
	}
	if p.counter != nil {
		p.counter.OnRequest()
	}
	err := attempt(ctx, fn, next)
	if err == nil && p.onResult == nil {
		p.succeeded()
		return nil
	}
	return p.retry(ctx, fn, next, err, start)
}

// retry follows a first attempt that returned err (or a result to look
// at). An error that is not to be retried (a rejection, a Permanent error,
// the caller leaving) returns here, before anything is set up for a retry:
// the loop's large frame, which the runtime zeroes on entry, the context's
// deadline.
func (p *Policy) retry(ctx context.Context, fn func(context.Context) error, next rampart.Next, err error, start time.Time) error {
	if err != nil {
		if reason, end := p.final(ctx, err, 1); reason != "" {
			return end
		}
	}
	return p.loop(ctx, fn, next, err, start)
}

// loop is the retry loop after a first attempt that returned err, already
// judged by final, or a result to look at. It makes every decision through
// a [Call], as a simulator does.
func (p *Policy) loop(ctx context.Context, fn func(context.Context) error, next rampart.Next, err error, start time.Time) error {
	deadline, _ := ctx.Deadline()
	c := Call{p: p, attempts: 1, start: start, deadline: deadline, last: err}
	judged := err != nil // by final, in retry
	for {
		if err == nil {
			if p.onResult == nil || !p.resultRetryable(next) {
				c.Succeeded()
				return nil
			}
			err = ErrRetryableResult
		}
		var d Decision
		if judged {
			d, judged = c.decide(err, instant{}), false
		} else {
			d = c.failed(ctx, err, instant{})
		}
		if !d.Retry {
			return d.Err
		}
		if werr := rampart.Sleep(ctx, p.clock, d.Delay); werr != nil {
			return c.Interrupted(werr)
		}
		err = attempt(rampart.WithAttempt(ctx, rampart.Attempt{Number: d.Attempt, Retry: true}), fn, next)
	}
}

// attempt calls fn, or runs next when fn is nil.
func attempt(ctx context.Context, fn func(context.Context) error, next rampart.Next) error {
	if fn != nil {
		return fn(ctx)
	}
	return next.Run(ctx)
}

func (p *Policy) resultRetryable(next rampart.Next) bool {
	v, ok := next.Result()
	return ok && p.onResult(v)
}

func (p *Policy) succeeded() {
	if p.bucket != nil {
		p.bucket.OnSuccess()
	} else if p.budget != nil {
		p.budget.OnSuccess()
	}
}

// Snapshot holds a policy's counters. Successes are not counted, so that
// the success path stays free.
type Snapshot struct {
	// Retries is how many retries were scheduled.
	Retries int64
	// Exhausted is how many calls gave up with an [*ExhaustedError].
	Exhausted int64
	// BudgetRefused is how many retries the budget refused.
	BudgetRefused int64
	// Interrupted is how many waits the caller's context cut short.
	Interrupted int64
}

// Snapshot returns the policy's counters.
func (p *Policy) Snapshot() Snapshot {
	return Snapshot{
		Retries:       p.retries.Load(),
		Exhausted:     p.exhausted.Load(),
		BudgetRefused: p.refused.Load(),
		Interrupted:   p.interrupted.Load(),
	}
}
