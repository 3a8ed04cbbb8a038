package circuitbreaker

import (
	"context"
	"errors"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/window"
)

// Permit is the breaker's leave to make one call, from [Breaker.Allow]. It
// is a small value: getting and finishing one allocates nothing.
//
// Report the call's outcome exactly once, with [Permit.Done] or
// [Permit.DoneContext]. The zero Permit, and the permit of a disabled
// breaker, ignore the report.
type Permit struct {
	ep    *epoch
	start int64 // when the call began; only stamped when slow calls are detected
	fast  fastPath
}

// fastPath says how a permit's plain success is recorded.
type fastPath uint8

const (
	fastNone  fastPath = iota // classify, then finish
	fastCount                 // epoch.success: no clock, no lock
	fastTimed                 // epoch.timedSuccess: one clock read
)

// Allow asks the breaker for leave to make one call. It returns a permit, or
// an error matching [ErrOpen] when the breaker rejects the call: an
// [*OpenError] that tells the time until the next probe while open, or an error
// matching [ErrTooManyProbes] (half-open, every probe slot in flight) or
// [ErrIsolated] (forced open).
//
// In closed state Allow takes no lock, reads no clock (unless slow calls
// are detected) and allocates nothing. An open breaker whose open period has
// passed moves to half-open here, on the first call that asks.
func (b *Breaker) Allow() (Permit, error) {
	if ep := b.cur.Load(); ep.plain {
		return Permit{ep: ep, fast: ep.fast}, nil
	}
	return b.allowSlow()
}

// Done reports the outcome of the permitted call: err is what the call
// returned.
//
// Done has no context, so a classifier cannot tell the caller's own
// cancellation from a downstream failure. The rule: with the default
// classifier, nil is a success, an error that is or wraps
// [context.Canceled] is ignored (a cancellation is someone leaving, not the
// downstream failing), and anything else, [context.DeadlineExceeded]
// included, is a failure. A configured Config.Classifier is called with
// [context.Background]. Use [Permit.DoneContext] to have the caller's
// context judged exactly, as [Breaker.Execute] does.
func (p Permit) Done(err error) {
	if err == nil && p.fast == fastCount {
		p.ep.success()
		return
	}
	p.done(err)
}

func (p Permit) done(err error) { p.record(context.Background(), false, err) }

// DoneContext reports the outcome of the permitted call, judged by the
// configured classifier with ctx, the context the call was made for (by
// default the caller's own cancellation of ctx is ignored).
func (p Permit) DoneContext(ctx context.Context, err error) {
	if err == nil && p.fast == fastCount {
		p.ep.success()
		return
	}
	p.doneContext(ctx, err)
}

func (p Permit) doneContext(ctx context.Context, err error) { p.record(ctx, true, err) }

// record reports the outcome err of the permitted call. With hasCtx false
// the caller gave no context, and the default rule cannot tell the caller's
// own cancellation: it ignores context.Canceled and counts anything else.
func (p Permit) record(ctx context.Context, hasCtx bool, err error) {
	ep := p.ep
	if ep == nil {
		return
	}
	if err == nil && p.fast == fastTimed {
		ep.timedSuccess()
		return
	}
	var o rampart.Outcome
	switch {
	case ep.b.s.classifier != nil || hasCtx:
		o = rampart.ClassifyWith(ep.b.s.classifier, ctx, err)
	case err == nil:
		o = rampart.Success
	case errors.Is(err, context.Canceled):
		o = rampart.Ignored
	default:
		o = rampart.Failure
	}
	ep.b.finish(p, o, err)
}

// panicked records the permitted call as a failure because its function
// panicked.
func (p Permit) panicked() {
	if p.ep != nil {
		p.ep.b.finish(p, rampart.Failure, rampart.ErrPanic)
		p.ep.b.emit(rampart.Event{Kind: rampart.EventPanic, Time: p.ep.b.eventTime(), Err: rampart.ErrPanic})
	}
}

// success records a plain success in a closed or metrics-only epoch: two
// loads when the breaker is healthy, no store. It is small enough to
// inline.
func (e *epoch) success() {
	if e.consec.Load()|e.debt.Load() != 0 {
		e.successSlow()
	}
}

// timedSuccess records a plain success in a closed or metrics-only epoch
// with a time-based window. It reads the real clock itself rather than
// through Breaker.now: one frame fewer on the time window's hot path.
func (e *epoch) timedSuccess() {
	var now int64
	if b := e.b; b.s.clock == nil {
		now = int64(time.Since(b.base))
	} else {
		now = b.now()
	}
	if e.consec.Load() != 0 {
		e.consec.Store(0)
	}
	e.timed.Record(now, 0)
}

// successSlow records a plain success that changes the counts.
func (e *epoch) successSlow() {
	if e.consec.Load() != 0 {
		e.consec.Store(0)
	}
	if e.count != nil {
		e.count.Success()
	}
}

// finish records outcome o of the call p admitted.
func (b *Breaker) finish(p Permit, o rampart.Outcome, err error) {
	ep := p.ep
	if ep.state == StateHalfOpen {
		b.probeDone(p, o, err)
		return
	}
	if o == rampart.Ignored {
		return
	}
	var now int64
	var f window.Flags
	if p.ep.stamp || ep.timed != nil {
		now = b.now()
		if ep.stamp && now-p.start >= b.s.slowThreshold {
			f |= window.Slow
		}
	}
	if o == rampart.Failure {
		f |= window.Failed
		ep.consec.Add(1)
	} else if ep.consec.Load() != 0 {
		ep.consec.Store(0)
	}
	switch {
	case ep.count != nil:
		ep.count.Record(f)
	case ep.timed != nil:
		ep.timed.Record(now, f)
	}
	if f != 0 && ep.state == StateClosed {
		b.judge(ep, now, err)
	}
}

// allowSlow is Allow for every state but closed and metrics-only.
func (b *Breaker) allowSlow() (Permit, error) {
	ep := b.cur.Load()
	for {
		switch ep.state {
		case StateClosed, StateMetricsOnly:
			var start int64
			if ep.stamp {
				start = b.now()
			}
			return Permit{ep: ep, start: start, fast: ep.fast}, nil
		case StateDisabled:
			return Permit{}, nil
		case StateIsolated:
			b.reject(0, -1)
			return Permit{}, errIsolated
		case StateOpen:
			now := b.now()
			if now < ep.until {
				b.reject(ep.until-now, now)
				return Permit{}, ep.openErr
			}
			b.toHalfOpen(ep, now)
		case StateHalfOpen:
			var now int64
			if b.s.halfOpenMax != 0 || b.s.slowThreshold != 0 {
				now = b.now()
				if b.s.halfOpenMax != 0 && now-ep.since >= b.s.halfOpenMax {
					b.reopen(ep, now, ReasonHalfOpenTimeout, 0)
					break
				}
			}
			for {
				n := ep.inflight.Load()
				if n >= b.s.maxProbes {
					b.reject(0, -1)
					return Permit{}, errTooManyProbes
				}
				if ep.inflight.CompareAndSwap(n, n+1) {
					return Permit{ep: ep, start: now}, nil
				}
			}
		}
		ep = b.cur.Load()
	}
}

// reject counts a rejection and reports it to the observers; delay is the
// time until the next probe, now the current time or -1 if not yet read.
func (b *Breaker) reject(delay, now int64) {
	b.rejected.Add(1)
	if len(b.s.observers) == 0 {
		return
	}
	if now < 0 {
		now = b.now()
	}
	b.emit(rampart.Event{Kind: rampart.EventRejected, Time: b.timeAt(now), Delay: durationOf(delay)})
}
