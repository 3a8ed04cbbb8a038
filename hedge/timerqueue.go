package hedge

import (
	"math"
	"sync"
	"time"

	"github.com/rampart-go/rampart/internal/bubble"
)

// timerQueue holds a policy's pending hedges on the real clock: the calls
// whose next hedge is due at some time, in one list ordered by that time,
// and one runtime timer set to the earliest. A call arms it and disarms it
// without allocating, where a timer of its own would cost the timer, its
// callback and the runtime's heap operations on both.
//
// Delays are mostly equal (fixed, or the same quantile for a while), so a
// call arriving later is due later: it goes in at the tail, and the timer
// is reset only when the list was empty or the newcomer is due before the
// time it is set to. When it fires it starts the hedges that are due, each
// in a goroutine of its own as a timer of the call's own would, and sets
// itself to the next.
//
// The timer is made by a goroutine outside any testing/synctest bubble,
// and only such goroutines touch it: a call made inside a bubble (whose
// clock reads carry no monotonic reading) uses a timer of its own, which
// stays in its bubble. A policy can so be shared by bubbles and the code
// outside them.
type timerQueue struct {
	mu         sync.Mutex
	head, tail *call       // ordered by due, earliest first
	timer      *time.Timer // made at first use
	armed      bool        // timer is set to fire at at
	at         time.Duration
}

// monoNow returns the time since epoch on the monotonic clock, and false
// when the caller runs in a testing/synctest bubble: there, time.Now has
// no monotonic reading (the runtime omits it, since the bubble's clock is
// fake), and a timer must be one of the bubble's own.
func monoNow() (time.Duration, bool) {
	now, outside := bubble.Now()
	if !outside {
		return 0, false
	}
	return now.Sub(epoch), true
}

// add schedules c's next hedge at due, now being the time on monoNow.
func (q *timerQueue) add(c *call, now, due time.Duration) {
	q.mu.Lock()
	if c.queued { // re-armed before it fired
		q.unlinkLocked(c)
	}
	c.due = due
	// From the tail: the newcomer is due after everything else but for
	// a change of delay or clock reads racing each other.
	at := q.tail
	for at != nil && at.due > due {
		at = at.qprev
	}
	c.qprev = at
	if at == nil {
		c.qnext, q.head = q.head, c
	} else {
		c.qnext, at.qnext = at.qnext, c
	}
	if c.qnext == nil {
		q.tail = c
	} else {
		c.qnext.qprev = c
	}
	c.queued = true
	if !q.armed || due < q.at {
		q.armLocked(now, due)
	}
	q.mu.Unlock()
}

// armLocked sets the timer to fire at due.
func (q *timerQueue) armLocked(now, due time.Duration) {
	q.armed, q.at = true, due
	if q.timer == nil {
		q.timer = time.AfterFunc(due-now, q.run)
		return
	}
	q.timer.Reset(due - now)
}

// remove takes c out of the queue, if it is there. The timer stays set:
// firing with nothing due costs less than resetting it on every call.
func (q *timerQueue) remove(c *call) {
	q.mu.Lock()
	if c.queued {
		q.unlinkLocked(c)
	}
	q.mu.Unlock()
}

func (q *timerQueue) unlinkLocked(c *call) {
	if c.qprev == nil {
		q.head = c.qnext
	} else {
		c.qprev.qnext = c.qnext
	}
	if c.qnext == nil {
		q.tail = c.qprev
	} else {
		c.qnext.qprev = c.qprev
	}
	c.qprev, c.qnext, c.queued = nil, nil, false
}

// run is the timer's callback: it starts the hedges that are due and sets
// the timer to the next.
func (q *timerQueue) run() {
	now, _ := monoNow() // outside any bubble, as the timer is
	q.mu.Lock()
	q.armed = false
	var buf [8]*call
	due := buf[:0]
	for c := q.head; c != nil && c.due <= now; c = q.head {
		q.unlinkLocked(c)
		due = append(due, c)
	}
	if q.head != nil {
		q.armLocked(now, q.head.due)
	}
	q.mu.Unlock()
	for _, c := range due {
		go c.fire()
	}
}

// dueAt returns now+d, saturated.
func dueAt(now, d time.Duration) time.Duration {
	if d > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + d
}
