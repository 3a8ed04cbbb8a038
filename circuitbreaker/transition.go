package circuitbreaker

import (
	"math"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/window"
)

// judge checks the trip conditions after a failure or slow call was
// recorded in ep, a closed epoch, and trips the breaker if one holds. now
// is the current time if the caller read it (time windows need it).
func (b *Breaker) judge(ep *epoch, now int64, err error) {
	c := ep.counts(now)
	reason := b.tripReason(c)
	if reason == "" {
		return
	}
	var hint int64
	if b.s.retryAfter && err != nil {
		if d, ok := rampart.RetryAfter(err); ok && d > 0 {
			hint = int64(d)
		}
	}
	b.mu.Lock()
	if b.cur.Load() != ep {
		b.mu.Unlock()
		return
	}
	now = b.now()
	if now-ep.since >= b.s.resetAfter {
		// Closed long enough: the open duration grows afresh.
		b.openings = 0
	}
	e := b.openLocked(ep, now, reason, hint, c)
	b.mu.Unlock()
	b.emit(e)
}

// tripReason returns why counts c trip the breaker, or "" if they do not.
// It may call Config.TripFunc, so it is never called with b.mu held.
func (b *Breaker) tripReason(c Counts) string {
	s := &b.s
	if s.consecutive != 0 && c.ConsecutiveFailures >= s.consecutive {
		return ReasonConsecutiveFailures
	}
	if c.Calls > 0 && c.Calls >= s.minimumCalls {
		if s.failureRate != 0 && c.FailureRate() >= s.failureRate {
			return ReasonFailureRate
		}
		if s.slowThreshold != 0 && c.SlowRate() >= s.slowRate {
			return ReasonSlowCallRate
		}
	}
	if s.tripFunc != nil && s.tripFunc(c) {
		return ReasonCustom
	}
	return ""
}

// counts returns the counts of a closed or metrics-only epoch at now.
func (e *epoch) counts(now int64) Counts {
	var w window.Counts
	switch {
	case e.count != nil:
		w = e.count.Counts()
	case e.timed != nil:
		w = e.timed.Counts(now)
	}
	return Counts{Calls: w.Calls, Failures: w.Failures, Slow: w.Slow, ConsecutiveFailures: e.consec.Load()}
}

// countsLocked returns what an event leaving ep reports: the window of a
// closed or metrics-only epoch, the probes of a half-open one.
func (e *epoch) countsLocked(now int64) Counts {
	if e.state == StateHalfOpen {
		return Counts{Calls: int64(e.probeOK + e.probeFailed), Failures: int64(e.probeFailed), Slow: int64(e.probeSlow)}
	}
	return e.counts(now)
}

// openLocked opens the breaker, counting one more opening, and returns the
// event to emit once b.mu is released.
func (b *Breaker) openLocked(from *epoch, now int64, reason string, hint int64, c Counts) rampart.Event {
	b.openings++
	d := b.openDurationLocked(hint)
	b.cur.Store(b.newOpenEpochLocked(now, d))
	return b.stateEvent(from.state, StateOpen, reason, now, c, d)
}

// newOpenEpochLocked returns a fresh open epoch that began at now and lasts
// d, with the error it rejects calls with.
func (b *Breaker) newOpenEpochLocked(now, d int64) *epoch {
	e := b.newEpochLocked(StateOpen, now)
	e.until = satAdd(now, d)
	e.openErr = &OpenError{Name: b.s.name, Until: b.timeAt(e.until), b: b, until: e.until}
	return e
}

// openDurationLocked returns how long the current opening lasts:
// OpenDuration grown by the multiplier for each consecutive opening, at
// least the retry-after hint, at most MaxOpenDuration.
func (b *Breaker) openDurationLocked(hint int64) int64 {
	s := &b.s
	d := s.openDuration
	if s.multiplier > 1 {
		f := float64(d)
		for i := 1; i < b.openings; i++ {
			f *= s.multiplier
			if f >= float64(s.maxOpenDuration) {
				break
			}
		}
		d = s.maxOpenDuration
		if f < float64(s.maxOpenDuration) {
			d = int64(f)
		}
	}
	if hint > d {
		d = min(hint, s.maxOpenDuration)
	}
	return d
}

// toHalfOpen moves ep, an open epoch whose period has passed, to half-open.
func (b *Breaker) toHalfOpen(ep *epoch, now int64) {
	b.mu.Lock()
	if b.cur.Load() != ep {
		b.mu.Unlock()
		return
	}
	b.cur.Store(b.newEpochLocked(StateHalfOpen, now))
	b.mu.Unlock()
	b.emit(b.stateEvent(StateOpen, StateHalfOpen, ReasonOpenElapsed, now, Counts{}, 0))
}

// reopen moves ep, a half-open epoch, back to open.
func (b *Breaker) reopen(ep *epoch, now int64, reason string, hint int64) {
	b.mu.Lock()
	if b.cur.Load() != ep {
		b.mu.Unlock()
		return
	}
	e := b.openLocked(ep, now, reason, hint, ep.countsLocked(now))
	b.mu.Unlock()
	b.emit(e)
}

// probeDone records the outcome of a probe admitted by ep, a half-open
// epoch, frees its slot, and closes or reopens the breaker if the probes
// so far decide it.
func (b *Breaker) probeDone(p Permit, o rampart.Outcome, err error) {
	ep := p.ep
	if o == rampart.Ignored {
		ep.inflight.Add(-1)
		return
	}
	s := &b.s
	failed, slow := o == rampart.Failure, false
	now := int64(-1)
	if s.slowThreshold != 0 {
		now = b.now()
		slow = now-p.start >= s.slowThreshold
	}
	var hint int64
	if failed && s.retryAfter && err != nil {
		if d, ok := rampart.RetryAfter(err); ok && d > 0 {
			hint = int64(d)
		}
	}
	b.mu.Lock()
	ep.inflight.Add(-1)
	if b.cur.Load() != ep {
		b.mu.Unlock()
		return
	}
	if failed || slow {
		ep.probeFailed++
	} else {
		ep.probeOK++
	}
	if slow {
		ep.probeSlow++
	}
	n := ep.probeOK + ep.probeFailed
	var e rampart.Event
	switch {
	case s.probeFailureRate == 0 && ep.probeFailed > 0,
		s.probeFailureRate != 0 && n >= s.probeSuccesses && ratio(int64(ep.probeFailed), int64(n)) >= s.probeFailureRate:
		reason := ReasonProbeFailed
		if s.probeFailureRate != 0 {
			reason = ReasonProbeFailureRate
		}
		if now < 0 {
			now = b.now()
		}
		e = b.openLocked(ep, now, reason, hint, ep.countsLocked(now))
	case ep.probeOK >= s.probeSuccesses:
		if now < 0 {
			now = b.now()
		}
		c := ep.countsLocked(now)
		b.cur.Store(b.newEpochLocked(StateClosed, now))
		e = b.stateEvent(StateHalfOpen, StateClosed, ReasonProbesSucceeded, now, c, 0)
	}
	b.mu.Unlock()
	b.emit(e)
}

// stateEvent builds a state-change event. Delay is the open duration when
// the breaker opens.
func (b *Breaker) stateEvent(from, to State, reason string, now int64, c Counts, delay int64) rampart.Event {
	if len(b.s.observers) == 0 {
		return rampart.Event{}
	}
	return rampart.Event{
		Kind:     rampart.EventStateChange,
		Time:     b.timeAt(now),
		From:     from.String(),
		To:       to.String(),
		Reason:   reason,
		Delay:    durationOf(delay),
		Calls:    c.Calls,
		Failures: c.Failures,
		Slow:     c.Slow,
	}
}

func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
