package ratelimit

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/striped"
)

// Limiter is a GCRA rate limiter: Rate calls per second, up to Burst at
// once. It is safe for concurrent use by multiple goroutines; build one with
// [New] and share it.
//
// Its whole state is one int64, the theoretical arrival time (TAT) of the
// next call, updated by compare-and-swap. It sits on the limiter's first
// cache line with the read-only fields a decision needs and nothing else
// that is written: a decision is a load, a comparison and, when the call is
// let through, a CAS. A refusal leaves the state alone.
type Limiter struct {
	// The line every decision reads: the state and what it is judged by.
	tat      atomic.Int64 // theoretical arrival time, ns after base
	interval int64        // 1/Rate in ns
	limit    int64        // Burst × interval
	origin                // the limiter's time

	burst     int64
	name      string
	rate      float64
	mode      Mode
	maxWait   int64
	observers []rampart.Observer
	limited   *LimitedError // the rejection of Execute, shared: RetryAfter is worked out when asked
	rejected  striped.Counter
	_         [32]byte // to a whole number of cache lines (layout_test.go)
}

// farPast is the state of a new limiter: long enough ago that any time a
// caller passes finds the bucket full.
const farPast = -(1 << 62)

// New returns a limiter configured by c, or a [*rampart.ConfigError] naming
// the first invalid field.
func New(c Config) (*Limiter, error) {
	p, err := params("ratelimit", c.Rate, c.Burst, c.Mode)
	if err != nil {
		return nil, err
	}
	if err := checkDuration("ratelimit", "MaxWait", c.MaxWait); err != nil {
		return nil, err
	}
	if c.Name == "" {
		c.Name = "ratelimit"
	}
	l := &Limiter{
		interval: p.interval, limit: p.limit, burst: p.burst,
		origin: newOrigin(c.Clock),
		name:   c.Name, rate: c.Rate, mode: c.Mode, maxWait: int64(c.MaxWait),
		observers: c.Observers,
	}
	l.tat.Store(farPast)
	l.limited = &LimitedError{Name: c.Name, l: l, n: 1}
	return l, nil
}

// Name returns the limiter's name.
func (l *Limiter) Name() string { return l.name }

// Allow reports whether a call may go now, and if so takes its token. It
// reads the limiter's clock; [Limiter.AllowAt] takes a time the caller
// already has and costs a fraction of that.
func (l *Limiter) Allow() bool {
	if l.take(l.now(), 1) {
		return true
	}
	return l.takeFresh()
}

// takeFresh judges a refused call again at a fresh reading of the clock,
// and counts the refusal if it stands. The first reading may have gone
// stale while the goroutine was descheduled between it and the decision: a
// stale time is judged strictly (as of that time), so a limiter whose
// Burst/Rate is shorter than the delay would refuse a call it should let
// through. Only refusals pay for the second reading.
func (l *Limiter) takeFresh() bool {
	now := l.now()
	if l.take(now, 1) {
		return true
	}
	l.refused(now, 1)
	return false
}

// AllowAt is Allow at time t, a time the caller has already read (such as a
// request's arrival time), so the decision costs no clock read. Times
// earlier than ones already passed are judged as of the latest state.
func (l *Limiter) AllowAt(t time.Time) bool {
	now := l.at(t)
	if l.take(now, 1) {
		return true
	}
	l.refused(now, 1)
	return false
}

// AllowN reports whether n calls may go at time t, and if so takes n tokens.
// n above Burst is never allowed; n ≤ 0 is allowed and takes nothing.
func (l *Limiter) AllowN(t time.Time, n int) bool {
	if n <= 0 {
		return true
	}
	now := l.at(t)
	if int64(n) <= l.burst && l.take(now, int64(n)) {
		return true
	}
	l.refused(now, int64(n))
	return false
}

// take lets n tokens go at now if the state allows it: the GCRA test. n is
// at most burst.
func (l *Limiter) take(now, n int64) bool {
	cost := n * l.interval
	for {
		tat := l.tat.Load()
		next := max(tat, now) + cost
		if next-now > l.limit {
			return false
		}
		if l.tat.CompareAndSwap(tat, next) {
			return true
		}
	}
}

// wait returns how long from now until n tokens (n ≤ burst) are due.
func (l *Limiter) wait(now, n int64) int64 {
	return max(max(l.tat.Load(), now)+n*l.interval-now-l.limit, 0)
}

// refused counts a refusal and tells the observers.
func (l *Limiter) refused(now, n int64) {
	l.rejected.Add(1)
	if len(l.observers) == 0 {
		return
	}
	var d time.Duration
	if n <= l.burst {
		d = time.Duration(l.wait(now, n))
	}
	rampart.Emit(l.observers, rampart.Event{
		Kind: rampart.EventRejected, Policy: l.name, Time: l.time(now),
		Reason: "rate_limited", Delay: d,
	})
}

// Do runs fn if the limiter lets it through; see [rampart.Do] and
// [Limiter.Execute].
func (l *Limiter) Do(ctx context.Context, fn func(context.Context) error) error {
	return rampart.Do(ctx, l, fn)
}

// Execute implements [rampart.Policy]. It runs next if a token is available,
// or, with Config.MaxWait set, once one is due within MaxWait and the
// caller's deadline; otherwise it returns a [*LimitedError] matching
// [ErrLimited] and [rampart.ErrRejected], whose RetryAfter says when the
// next token is due. A rejection allocates nothing.
func (l *Limiter) Execute(ctx context.Context, next rampart.Next) error {
	if l.maxWait == 0 {
		if !l.take(l.now(), 1) && !l.takeFresh() {
			return l.limited
		}
		return next.Run(ctx)
	}
	if err := l.waitN(ctx, 1, l.maxWait); err != nil {
		return err
	}
	return next.Run(ctx)
}

// Wait blocks until a token is due and takes it, or returns an error. It
// returns at once, with a [*LimitedError] whose RetryAfter is the wait it
// would have needed, when the token is not due before ctx's deadline; and
// with ctx's error, giving the token back, if ctx is done while it waits.
func (l *Limiter) Wait(ctx context.Context) error { return l.WaitN(ctx, 1) }

// WaitN is Wait for n tokens. n above Burst returns [ErrExceedsBurst] at
// once; n ≤ 0 returns at once.
func (l *Limiter) WaitN(ctx context.Context, n int) error {
	return l.waitN(ctx, n, maxSpan)
}

// waitN waits for n tokens for at most limit nanoseconds and ctx's deadline.
func (l *Limiter) waitN(ctx context.Context, n int, limit int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if n <= 0 {
		return nil
	}
	if int64(n) > l.burst {
		return ErrExceedsBurst
	}
	now := l.now()
	r := l.reserve(now, int64(n), limit)
	if !r.ok {
		l.refused(now, int64(n))
		return &LimitedError{Name: l.name, after: time.Duration(r.at - now)}
	}
	if r.at <= now {
		return nil
	}
	// Measured from a fresh reading, so that time spent since the first
	// does not lengthen the sleep.
	now = l.now()
	d := time.Duration(r.at - now)
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && d > dl.Sub(rampart.Now(l.clock)) {
		// The token would come after the caller has left: say so now
		// rather than sleep until the deadline for nothing.
		r.cancelAt(now)
		l.refused(now, int64(n))
		return &LimitedError{Name: l.name, after: d}
	}
	if err := rampart.Sleep(ctx, l.clock, d); err != nil {
		r.cancelAt(l.now())
		return err
	}
	return nil
}
