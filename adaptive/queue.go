package adaptive

import (
	"context"
	"time"

	"github.com/rampart-go/rampart"
)

// waiter is a call waiting in the queue.
type waiter struct {
	lv       int
	deadline int64 // in the limiter's time; 0 means none
	done     bool  // granted, rejected or gone: no longer waiting
	timer    rampart.Timer
	deliver  func(Permit, error)
}

// queue holds the waiters, one deque per priority level. Entries that stop
// waiting stay in place, marked done, until a pop passes them.
type queue struct {
	lanes   [levels][]*waiter
	heads   [levels]int
	live    [levels]int
	emptyAt int64 // when the queue was last empty
}

func (q *queue) len() int { return q.live[0] + q.live[1] + q.live[2] }

func (q *queue) push(w *waiter, now int64) {
	if q.len() == 0 {
		q.emptyAt = now
	}
	q.lanes[w.lv] = append(q.lanes[w.lv], w)
	q.live[w.lv]++
}

// overloaded reports whether the queue has not been empty for d.
func (q *queue) overloaded(now, d int64) bool {
	return q.len() > 0 && now-q.emptyAt > d
}

// remove takes w out of the count of waiters; its entry is dropped later.
func (q *queue) remove(w *waiter, now int64) {
	w.done = true
	q.live[w.lv]--
	if q.len() == 0 {
		q.emptyAt = now
		for lv := range q.lanes {
			clear(q.lanes[lv])
			q.lanes[lv], q.heads[lv] = q.lanes[lv][:0], 0
		}
	}
}

// best returns the waiter to serve next: the highest level first; within
// it the oldest, or the newest when lifo.
func (q *queue) best(lifo bool) *waiter {
	for lv := levels - 1; lv >= 0; lv-- {
		if q.live[lv] == 0 {
			continue
		}
		return q.pick(lv, lifo)
	}
	return nil
}

// pick returns the oldest (or newest) live waiter of level lv, which has
// one, dropping the done entries it passes.
func (q *queue) pick(lv int, newest bool) *waiter {
	lane := q.lanes[lv]
	if newest {
		for i := len(lane) - 1; i >= q.heads[lv]; i-- {
			if w := lane[i]; !w.done {
				clear(lane[i+1:])
				q.lanes[lv] = lane[:i+1]
				return w
			}
		}
	}
	for i := q.heads[lv]; i < len(lane); i++ {
		if w := lane[i]; !w.done {
			clear(lane[q.heads[lv]:i])
			q.heads[lv] = i
			if i > 64 && 2*i > len(lane) {
				n := copy(lane, lane[i:])
				clear(lane[n:])
				q.lanes[lv], q.heads[lv] = lane[:n], 0
			}
			return w
		}
	}
	return nil // unreachable while live[lv] > 0
}

// victim returns the oldest waiter of the lowest level below lv, or nil.
func (q *queue) victim(lv int) *waiter {
	for v := 0; v < lv; v++ {
		if q.live[v] > 0 {
			return q.pick(v, false)
		}
	}
	return nil
}

// acquireSlow is Acquire once the fast path has failed: it waits in the
// queue, if there is one.
func (l *Limiter) acquireSlow(ctx context.Context, lv int) (Permit, error) {
	if l.s.maxQueue == 0 {
		return Permit{}, l.reject(l.errLimited)
	}
	var deadline int64
	if dl, ok := ctx.Deadline(); ok {
		deadline = l.at(dl)
	}
	ch := make(chan result, 1)
	w := &waiter{lv: lv, deadline: deadline, deliver: func(p Permit, err error) { ch <- result{p, err} }}
	if !l.enqueue(w) {
		r := <-ch
		return r.p, r.err
	}
	select {
	case r := <-ch:
		return r.p, r.err
	case <-ctx.Done():
	}
	l.qmu.Lock()
	if w.done {
		// Granted or rejected meanwhile: take the answer and give the
		// slot back.
		l.qmu.Unlock()
		if r := <-ch; r.err == nil {
			r.p.Ignore()
		}
		return Permit{}, abandoned(ctx)
	}
	l.q.remove(w, l.now())
	l.waiting.Add(-1)
	l.qmu.Unlock()
	w.timer.Stop()
	return Permit{}, abandoned(ctx)
}

type result struct {
	p   Permit
	err error
}

// at converts t to the limiter's time, saturating.
func (l *Limiter) at(t time.Time) int64 {
	d := t.Sub(l.base)
	return max(int64(d), 1)
}

// AcquireFunc is Acquire for event loops and simulations, which cannot
// block: it asks for a permit for a call of priority p that must finish by
// deadline (the zero time for none), and calls fn exactly once with the
// permit or the rejection, either before it returns or later, from the
// goroutine of the Release that frees a slot or of the clock's timer that
// ends the wait. fn is never called with a lock held.
func (l *Limiter) AcquireFunc(p rampart.Priority, deadline time.Time, fn func(Permit, error)) {
	lv := level(p)
	if permit, ok := l.tryAcquire(lv); ok {
		fn(permit, nil)
		return
	}
	var dl int64
	if !deadline.IsZero() {
		dl = l.at(deadline)
	}
	if l.s.maxQueue == 0 {
		fn(Permit{}, l.reject(l.errLimited))
		return
	}
	l.enqueue(&waiter{lv: lv, deadline: dl, deliver: fn})
}

// enqueue puts w in the queue and reports true, or answers it at once and
// reports false.
func (l *Limiter) enqueue(w *waiter) bool {
	now := l.now()
	est := l.est.Load()
	if w.deadline != 0 && addSat(now, est) >= w.deadline {
		w.deliver(Permit{}, l.reject(l.errDeadline))
		return false
	}
	l.qmu.Lock()
	// A slot may have freed up since the fast path looked.
	if l.q.len() == 0 {
		if n, c := l.inflight.Load(), l.capOf(w.lv); n < c && l.inflight.CompareAndSwap(n, n+1) {
			l.qmu.Unlock()
			l.admitted(n+1, c)
			w.deliver(Permit{l: l, start: now}, nil)
			return false
		}
	}
	var shed *waiter
	if l.q.len() >= l.s.maxQueue {
		if shed = l.q.victim(w.lv); shed == nil {
			l.qmu.Unlock()
			w.deliver(Permit{}, l.reject(l.errLimited))
			return false
		}
		l.q.remove(shed, now)
		l.waiting.Add(-1)
	}
	wait := l.s.interval
	if l.q.overloaded(now, l.s.interval) {
		wait = l.s.target
	}
	if w.deadline != 0 {
		wait = min(wait, w.deadline-now-est)
	}
	l.q.push(w, now)
	l.waiting.Add(1)
	w.timer = l.afterFunc(time.Duration(wait), func() { l.expire(w) })
	l.qmu.Unlock()
	if shed != nil {
		shed.timer.Stop()
		shed.deliver(Permit{}, l.reject(l.errShed))
	}
	// A call may have finished between the look at the in-flight count
	// and the push, and seen nobody waiting: hand its slot over now.
	if l.inflight.Load() < l.capOf(w.lv) {
		l.handoff(now)
	}
	return true
}

func (l *Limiter) afterFunc(d time.Duration, f func()) rampart.Timer {
	if l.s.clock == nil {
		return time.AfterFunc(d, f)
	}
	return l.s.clock.AfterFunc(d, f)
}

// expire ends w's wait when its time in the queue is up.
func (l *Limiter) expire(w *waiter) {
	l.qmu.Lock()
	if w.done {
		l.qmu.Unlock()
		return
	}
	l.q.remove(w, l.now())
	l.waiting.Add(-1)
	l.qmu.Unlock()
	reason := l.errTimeout
	if w.deadline != 0 && addSat(l.now(), l.est.Load()) >= w.deadline {
		reason = l.errDeadline
	}
	w.deliver(Permit{}, l.reject(reason))
}

// handoff gives freed slots to waiters, best first, while their
// thresholds allow; a waiter whose deadline no longer leaves time for the
// call is rejected instead.
func (l *Limiter) handoff(now int64) {
	est := l.est.Load()
	for {
		l.qmu.Lock()
		w := l.q.best(!l.s.fifo && l.q.overloaded(now, l.s.target))
		if w == nil {
			l.qmu.Unlock()
			return
		}
		late := w.deadline != 0 && addSat(now, est) >= w.deadline
		if !late {
			n, c := l.inflight.Load(), l.capOf(w.lv)
			if n >= c || !l.inflight.CompareAndSwap(n, n+1) {
				l.qmu.Unlock()
				return
			}
			l.admitted(n+1, c)
		}
		l.q.remove(w, now)
		l.waiting.Add(-1)
		l.qmu.Unlock()
		w.timer.Stop()
		if late {
			w.deliver(Permit{}, l.reject(l.errDeadline))
			continue
		}
		w.deliver(Permit{l: l, start: now}, nil)
	}
}
