package circuitbreaker

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/bubble"
	"github.com/rampart-go/rampart/internal/window"
)

// judge checks the trip conditions after a failure or slow call was
// recorded in stretch gen of ep, a closed epoch, and trips the breaker if
// one holds. now is the current time if the caller read it (time windows
// need it).
func (b *Breaker) judge(ep *epoch, gen uint64, now int64, err error) {
	c := ep.windowCounts(now)
	reason := b.tripReason(c)
	if reason == "" {
		return
	}
	hint := b.hintOf(err)
	b.mu.Lock()
	if !ep.live(gen) {
		b.mu.Unlock()
		return
	}
	now = b.now()
	if now-ep.since.Load() >= b.s.resetAfter {
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

// windowCounts returns the counts of e, a closed or metrics-only epoch, at
// now.
func (e *epoch) windowCounts(now int64) Counts {
	b := e.b
	var w window.Counts
	switch {
	case b.count != nil:
		w = b.count.Counts()
	case b.timed != nil:
		w = b.timed.Counts(now)
	}
	return Counts{Calls: w.Calls, Failures: w.Failures, Slow: w.Slow, ConsecutiveFailures: e.consec.Load()}
}

// countsLocked returns what an event leaving ep reports: the window of a
// closed or metrics-only epoch, the probes of a half-open one.
func (e *epoch) countsLocked(now int64) Counts {
	switch e.state {
	case StateHalfOpen:
		return Counts{Calls: int64(e.probeOK + e.probeFailed), Failures: int64(e.probeFailed), Slow: int64(e.probeSlow)}
	case StateClosed, StateMetricsOnly:
		return e.windowCounts(now)
	}
	return Counts{}
}

// openLocked opens the breaker, counting one more opening, and returns the
// event to emit once b.mu is released.
func (b *Breaker) openLocked(from *epoch, now int64, reason string, hint int64, c Counts) rampart.Event {
	b.openings++
	d := b.openDurationLocked(hint)
	b.cur.Store(b.openEpochLocked(now, d))
	return b.stateEvent(from.state, StateOpen, reason, now, c, d)
}

// openEpochLocked starts an open stretch at now that lasts d, with the
// error it rejects calls with, and arranges to learn when it ends.
func (b *Breaker) openEpochLocked(now, d int64) *epoch {
	e := b.armLocked(StateOpen, now)
	until := satAdd(now, d)
	e.until.Store(until)
	e.openErr.Store(&OpenError{Name: b.s.name, Until: b.timeAt(until), b: b, until: until})
	e.due.Store(b.startTimerLocked(d))
	return e
}

// startTimerLocked arranges for the open period of d to end without a
// clock read per rejected call, and returns the epoch's due mode.
//
// On the real clock, outside a synctest bubble, a timer (one per breaker,
// reset at each opening) flips the epoch to dueNow when the period ends; a
// rejection then costs two loads and a count. With a Config.Clock, or in a
// synctest bubble, there is no timer and each rejection reads the clock:
// a custom clock need not fire timers, and a timer armed in a bubble could
// neither be reset from outside it nor fire once it has ended, which would
// leave a breaker that outlives its bubble open for good.
func (b *Breaker) startTimerLocked(d int64) uint32 {
	if b.s.clock != nil || bubble.In() {
		return dueClock
	}
	if b.timer == nil {
		b.timer = time.AfterFunc(time.Duration(d), b.openElapsed)
	} else {
		b.timer.Reset(time.Duration(d))
	}
	return dueWait
}

// openElapsed is the timer's callback: it marks the current open stretch
// due if its period has passed, or resets the timer for the rest.
func (b *Breaker) openElapsed() {
	b.mu.Lock()
	if ep := b.cur.Load(); ep.state == StateOpen && ep.due.Load() == dueWait {
		if rest := ep.until.Load() - b.now(); rest > 0 {
			b.timer.Reset(time.Duration(rest))
		} else {
			ep.due.Store(dueNow)
		}
	}
	b.mu.Unlock()
	if h := testHookDue.Load(); h != nil {
		(*h)()
	}
}

// testHookDue, if set (by tests only), is called after each firing of the
// open period's timer.
var testHookDue atomic.Pointer[func()]

// openDurationLocked returns how long the current opening lasts:
// OpenDuration grown by the multiplier for each consecutive opening, at
// least the retry-after hint, at most MaxOpenDuration; with
// MinOpenDuration, a shorter hint shortens it, to at least
// MinOpenDuration.
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
	switch {
	case hint > d:
		d = min(hint, s.maxOpenDuration)
	case hint > 0 && s.minOpenDuration > 0:
		d = max(hint, s.minOpenDuration)
	}
	return d
}

// toHalfOpen moves ep, in open stretch gen whose period has passed, to
// half-open.
func (b *Breaker) toHalfOpen(ep *epoch, gen uint64, now int64) {
	b.mu.Lock()
	if !ep.live(gen) {
		b.mu.Unlock()
		return
	}
	b.cur.Store(b.armLocked(StateHalfOpen, now))
	b.mu.Unlock()
	b.emit(b.stateEvent(StateOpen, StateHalfOpen, ReasonOpenElapsed, now, Counts{}, 0))
}

// reopen moves ep, in half-open stretch gen, back to open. Probes still in
// flight are written off: see Config.HalfOpenMaxDuration.
func (b *Breaker) reopen(ep *epoch, gen uint64, now int64, reason string, hint int64) {
	b.mu.Lock()
	if !ep.live(gen) {
		b.mu.Unlock()
		return
	}
	e := b.openLocked(ep, now, reason, hint, ep.countsLocked(now))
	b.mu.Unlock()
	b.emit(e)
}

// probeDone records the outcome of a probe admitted by p, frees its slot,
// and closes or reopens the breaker if the probes so far decide it. A
// probe of an earlier stretch (written off when its stretch timed out)
// frees nothing and counts for nothing. hint is a failed probe's
// retry-after hint.
func (b *Breaker) probeDone(p Permit, o rampart.Outcome, hint int64) {
	ep := p.ep
	s := &b.s
	slow := false
	now := int64(-1)
	if s.slowThreshold != 0 && o != rampart.Ignored {
		now = b.now()
		slow = now-p.start >= s.slowThreshold
	}
	failed := o == rampart.Failure || slow
	b.mu.Lock()
	if !ep.releaseSlot(p.gen) || !ep.live(p.gen) || o == rampart.Ignored {
		b.mu.Unlock()
		return
	}
	if failed {
		ep.probeFailed++
		b.failures.Add(1)
	} else {
		ep.probeOK++
		b.probesOK++
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
		b.cur.Store(b.armLocked(StateClosed, now))
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
