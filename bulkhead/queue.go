package bulkhead

import (
	"context"
	"time"

	"github.com/rampart-go/rampart"
)

// waiter is a call waiting in the queue. Its fields other than ch are
// guarded by the bulkhead's mu; ch is closed once, under mu, when the call
// is granted a slot or displaced.
type waiter struct {
	ch         chan struct{}
	prio       rampart.Priority
	prev, next *waiter
	queued     bool // still in the list
	granted    bool // handed a slot; false with queued false means displaced
}

// acquireSlow is Acquire when a call may have to wait: every slot is
// taken, or others already wait (so a newcomer does not jump the queue).
func (b *Bulkhead) acquireSlow(ctx context.Context) (Permit, error) {
	if err := ctx.Err(); err != nil {
		return Permit{}, err
	}
	if b.maxQueue == 0 {
		if b.tryTake() {
			return Permit{b: b}, nil
		}
		return Permit{}, b.reject(ReasonFull)
	}
	if b.minTimeLeft > 0 {
		if dl, ok := ctx.Deadline(); ok && dl.Sub(rampart.Now(b.clock)) < b.minTimeLeft {
			if b.tryTake() {
				return Permit{b: b}, nil
			}
			return Permit{}, b.reject(ReasonDeadline)
		}
	}
	w := &waiter{ch: make(chan struct{}), prio: rampart.PriorityFrom(ctx)}
	b.mu.Lock()
	if ok, full := b.enqueueLocked(w); ok {
		b.mu.Unlock()
		return Permit{b: b}, nil
	} else if full {
		b.mu.Unlock()
		return Permit{}, b.reject(ReasonFull)
	}
	b.mu.Unlock()
	return b.wait(ctx, w)
}

// tryTake takes a free slot if there is one and no call waits.
func (b *Bulkhead) tryTake() bool {
	for {
		s := b.state.Load()
		if s >= b.max {
			return false
		}
		if b.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// enqueueLocked takes a free slot for w (took), or puts w in the queue,
// displacing the newest waiter of lower priority when the queue is full,
// or finds no room (full). b.mu is held.
func (b *Bulkhead) enqueueLocked(w *waiter) (took, full bool) {
	if uint64(b.count) >= b.maxQueue {
		// The queue is full, so state shows waiters and no release can
		// take the lock-free path: swapping one waiter for another keeps
		// the count as it is.
		var low *waiter
		for x := b.tail; x != nil; x = x.prev {
			if x.prio < w.prio {
				low = x
				break
			}
		}
		if low == nil {
			return false, true
		}
		b.unlinkLocked(low)
		b.linkLocked(w)
		close(low.ch) // displaced: queued and granted both false
		return false, false
	}
	for {
		s := b.state.Load()
		if s < b.max {
			if b.state.CompareAndSwap(s, s+1) {
				return true, false
			}
			continue
		}
		if b.state.CompareAndSwap(s, s+waitOne) {
			b.linkLocked(w)
			return false, false
		}
	}
}

func (b *Bulkhead) linkLocked(w *waiter) {
	w.queued = true
	w.prev = b.tail
	if b.tail != nil {
		b.tail.next = w
	} else {
		b.head = w
	}
	b.tail = w
	b.count++
}

func (b *Bulkhead) unlinkLocked(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		b.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		b.tail = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
	b.count--
}

// handOff passes a released slot to the first waiter, or frees it if the
// queue emptied since release looked.
func (b *Bulkhead) handOff() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		s := b.state.Load()
		if s>>32 == 0 {
			if b.state.CompareAndSwap(s, s-1) {
				return
			}
			continue
		}
		w := b.head
		b.unlinkLocked(w)
		b.state.Add(^uint64(waitOne - 1)) // one waiter fewer; the slot stays taken, by w
		w.granted = true
		close(w.ch)
		return
	}
}

// wait blocks until w is granted a slot, displaced, out of time, or its
// caller gives up.
func (b *Bulkhead) wait(ctx context.Context, w *waiter) (Permit, error) {
	var expired <-chan struct{}
	if b.maxWait > 0 {
		ch := make(chan struct{})
		var t interface{ Stop() bool }
		if b.clock == nil {
			t = time.AfterFunc(b.maxWait, func() { close(ch) })
		} else {
			t = b.clock.AfterFunc(b.maxWait, func() { close(ch) })
		}
		defer t.Stop()
		expired = ch
	}
	var cause error
	select {
	case <-w.ch:
	case <-ctx.Done():
		cause = ctx.Err()
	case <-expired:
	}
	b.mu.Lock()
	if w.queued {
		b.unlinkLocked(w)
		b.state.Add(^uint64(waitOne - 1))
		b.mu.Unlock()
		if cause != nil {
			return Permit{}, cause
		}
		return Permit{}, b.reject(ReasonMaxWait)
	}
	granted := w.granted
	b.mu.Unlock()
	if !granted {
		return Permit{}, b.reject(ReasonDisplaced)
	}
	if cause != nil {
		// Granted just as the caller gave up: pass the slot on.
		b.release()
		return Permit{}, cause
	}
	return Permit{b: b}, nil
}
