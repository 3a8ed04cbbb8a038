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
// Report the call's outcome once, with [Permit.Done] or
// [Permit.DoneContext]: they clear the permit, so a second report through
// the same variable does nothing. A copy of a permit is the same leave;
// report through one of them only. The zero Permit, and the permit of a
// disabled breaker, ignore the report.
type Permit struct {
	ep    *epoch
	gen   uint64 // the stretch of ep that admitted the call
	start int64  // when the call began; only stamped when slow calls are detected
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
// are detected) and allocates nothing. An open breaker rejects without
// reading the clock either (see Config.Clock); the first call after its
// open period has passed moves it to half-open.
func (b *Breaker) Allow() (Permit, error) {
	ep := b.cur.Load()
	if ep.plain {
		return Permit{ep: ep, gen: ep.gen.Load(), fast: ep.fast}, nil
	}
	return b.allowSlow(ep)
}

// Done reports the outcome of the permitted call: err is what the call
// returned. It clears p: a second Done, or a DoneContext after it, does
// nothing.
//
// Done has no context, so a classifier cannot tell the caller's own
// cancellation from a downstream failure. The rule: with the default
// classifier, nil is a success, an error that is or wraps
// [context.Canceled] is ignored (a cancellation is someone leaving, not the
// downstream failing), and anything else, [context.DeadlineExceeded]
// included, is a failure. A configured Config.Classifier is called with
// [context.Background]. Use [Permit.DoneContext] to have the caller's
// context judged exactly, as [Breaker.Execute] does.
func (p *Permit) Done(err error) {
	ep := p.ep
	p.ep = nil
	if err == nil && p.fast == fastCount && ep != nil {
		ep.success(p.gen)
		return
	}
	p.doneSlow(ep, nil, err)
}

// doneSlow reports err for p, whose epoch ep was cleared from p, judged
// with ctx (nil: Done gave none). It is Done and DoneContext off their
// inlined fast path.
func (p *Permit) doneSlow(ep *epoch, ctx context.Context, err error) {
	q := Permit{ep: ep, gen: p.gen, start: p.start, fast: p.fast}
	if ctx == nil {
		q.record(context.Background(), false, err)
		return
	}
	q.record(ctx, true, err)
}

// DoneContext reports the outcome of the permitted call, judged by the
// configured classifier with ctx, the context the call was made for (by
// default the caller's own cancellation of ctx is ignored). Like Done, it
// clears p.
func (p *Permit) DoneContext(ctx context.Context, err error) {
	ep := p.ep
	p.ep = nil
	if err == nil && p.fast == fastCount && ep != nil {
		ep.success(p.gen)
		return
	}
	if ctx == nil {
		ctx = context.Background()
	}
	p.doneSlow(ep, ctx, err)
}

func (p Permit) doneContext(ctx context.Context, err error) { p.record(ctx, true, err) }

// record reports the outcome err of the permitted call. With hasCtx false
// the caller gave no context, and the default rule cannot tell the caller's
// own cancellation: it ignores context.Canceled and counts anything else.
//
// The classifier, and the error's own methods (Is, Unwrap, RetryAfter),
// are user code: if one panics, the probe slot the permit holds is freed
// before the panic goes on.
func (p Permit) record(ctx context.Context, hasCtx bool, err error) {
	ep := p.ep
	if ep == nil {
		return
	}
	if err == nil && p.fast == fastTimed {
		ep.timedSuccess(p.gen)
		return
	}
	judged := false
	defer func() {
		if !judged {
			p.abandon()
		}
	}()
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
	var hint int64
	if ep.state == StateHalfOpen && o == rampart.Failure {
		hint = ep.b.hintOf(err)
	}
	judged = true
	ep.b.finish(p, o, err, hint)
}

// abandon frees the probe slot p holds, if any, without recording an
// outcome: the outcome could not be judged.
func (p Permit) abandon() {
	if p.ep != nil && p.ep.state == StateHalfOpen {
		p.ep.releaseSlot(p.gen)
	}
}

// panicked records the permitted call as a failure because its function
// panicked.
func (p Permit) panicked() {
	if p.ep != nil {
		p.ep.b.finish(p, rampart.Failure, rampart.ErrPanic, 0)
		p.ep.b.emit(rampart.Event{Kind: rampart.EventPanic, Time: p.ep.b.eventTime(), Err: rampart.ErrPanic})
	}
}

// success records a plain success in a closed or metrics-only epoch: two
// loads when the breaker is healthy, no store. It is small enough to
// inline.
func (e *epoch) success(gen uint64) {
	if e.consec.Load()|e.debt.Load() != 0 {
		e.successSlow(gen)
	}
}

// timedSuccess records a plain success in a closed or metrics-only epoch
// with a time-based window. It reads the real clock itself rather than
// through Breaker.now: one frame fewer on the time window's hot path.
func (e *epoch) timedSuccess(gen uint64) {
	b := e.b
	var now int64
	if b.s.clock == nil {
		now = int64(time.Since(b.base))
	} else {
		now = b.now()
	}
	if !e.live(gen) {
		return
	}
	if e.consec.Load() != 0 {
		e.consec.Store(0)
	}
	b.timed.Record(now, 0)
}

// successSlow records a plain success that changes the counts.
func (e *epoch) successSlow(gen uint64) {
	if !e.live(gen) {
		return
	}
	if e.consec.Load() != 0 {
		e.consec.Store(0)
	}
	if b := e.b; b.count != nil {
		b.count.Success()
	}
}

// hintOf returns the retry-after hint err carries for the open duration, or
// 0. It calls err's methods: user code.
func (b *Breaker) hintOf(err error) int64 {
	if b.s.retryAfter && err != nil {
		if d, ok := rampart.RetryAfter(err); ok && d > 0 {
			return int64(d)
		}
	}
	return 0
}

// finish records outcome o of the call p admitted; hint is err's
// retry-after hint if o is a failed probe.
func (b *Breaker) finish(p Permit, o rampart.Outcome, err error, hint int64) {
	ep := p.ep
	if ep.state == StateHalfOpen {
		b.probeDone(p, o, hint)
		return
	}
	if o == rampart.Ignored || !ep.live(p.gen) {
		return
	}
	var now int64
	var f window.Flags
	if ep.stamp || b.timed != nil {
		now = b.now()
		if ep.stamp && now-p.start >= b.s.slowThreshold {
			f |= window.Slow
		}
	}
	if o == rampart.Failure {
		f |= window.Failed
		ep.consec.Add(1)
		b.failures.Add(1)
	} else {
		if ep.consec.Load() != 0 {
			ep.consec.Store(0)
		}
		if b.s.countSuccesses {
			b.successes.Add(1)
		}
	}
	switch {
	case b.count != nil:
		b.count.Record(f)
	case b.timed != nil:
		b.timed.Record(now, f)
	}
	if f != 0 && ep.state == StateClosed {
		b.judge(ep, p.gen, now, err)
	}
}

// allowSlow is Allow for every state but closed and metrics-only, ep being
// the epoch the caller loaded.
func (b *Breaker) allowSlow(ep *epoch) (Permit, error) {
	if err := ep.rejectOpen(); err != nil {
		return Permit{}, err
	}
	for {
		switch ep.state {
		case StateOpen:
			if ep.due.Load() == dueWait {
				b.reject(ep, -1)
				return Permit{}, ep.openErr.Load()
			}
			gen := ep.gen.Load()
			now := b.now()
			if now < ep.until.Load() {
				b.reject(ep, now)
				return Permit{}, ep.openErr.Load()
			}
			b.toHalfOpen(ep, gen, now)
		case StateClosed, StateMetricsOnly:
			var start int64
			if ep.stamp {
				start = b.now()
			}
			return Permit{ep: ep, gen: ep.gen.Load(), start: start, fast: ep.fast}, nil
		case StateDisabled:
			return Permit{}, nil
		case StateIsolated:
			b.reject(ep, -1)
			return Permit{}, errIsolated
		case StateHalfOpen:
			gen := ep.gen.Load()
			now := b.now()
			if now-ep.since.Load() >= b.s.halfOpenMax {
				b.reopen(ep, gen, now, ReasonHalfOpenTimeout, 0)
				break
			}
			for {
				w := ep.slots.Load()
				if uint32(w>>32) != uint32(gen) {
					break // a later stretch: look again
				}
				if int32(w) >= b.s.maxProbes {
					b.reject(ep, -1)
					return Permit{}, errTooManyProbes
				}
				if ep.slots.CompareAndSwap(w, w+1) {
					return Permit{ep: ep, gen: gen, start: now}, nil
				}
			}
		}
		ep = b.cur.Load()
	}
}

// rejectOpen rejects the call if ep is an open epoch whose timer has not
// yet said the period is over: the rejection path without a clock read.
// It returns nil (nil *OpenError would not be a nil error) otherwise.
func (ep *epoch) rejectOpen() error {
	if ep.state != StateOpen || ep.due.Load() != dueWait {
		return nil
	}
	b := ep.b
	b.rejected.Add(1)
	if len(b.s.observers) != 0 {
		b.emitRejected(ep, -1)
	}
	return ep.openErr.Load()
}

// releaseSlot frees a probe slot of stretch gen, if that stretch is still
// e's and has a probe in flight, and reports whether it did.
func (e *epoch) releaseSlot(gen uint64) bool {
	for {
		w := e.slots.Load()
		if uint32(w>>32) != uint32(gen) || uint32(w) == 0 {
			return false
		}
		if e.slots.CompareAndSwap(w, w-1) {
			return true
		}
	}
}

// reject counts a rejection by ep and reports it to the observers; now is
// the current time or -1 if not yet read.
func (b *Breaker) reject(ep *epoch, now int64) {
	b.rejected.Add(1)
	if len(b.s.observers) != 0 {
		b.emitRejected(ep, now)
	}
}

// emitRejected reports a rejection by ep to the observers; now is the
// current time or -1 if not yet read.
func (b *Breaker) emitRejected(ep *epoch, now int64) {
	if now < 0 {
		now = b.now()
	}
	var delay int64
	if ep.state == StateOpen {
		delay = max(ep.until.Load()-now, 0)
	}
	b.emit(rampart.Event{Kind: rampart.EventRejected, Time: b.timeAt(now), Delay: durationOf(delay)})
}
