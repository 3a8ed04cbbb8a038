package rampart

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is the source of time for every time-dependent policy. A nil Clock
// in a config means the real clock, read through [time.Now] directly so the
// common case pays no interface call.
//
// Policies read the clock lazily: a path that does not need the time does
// not ask for it.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine (or, for a manual clock, from
	// the goroutine that moves time) once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending call made by [Clock.AfterFunc].
type Timer interface {
	// Stop prevents the call if it has not started, and reports whether
	// it did so.
	Stop() bool
}

// SystemClock returns the real clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time                            { return time.Now() }
func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Now returns c.Now(), or [time.Now] when c is nil.
func Now(c Clock) time.Time {
	if c == nil {
		return time.Now()
	}
	return c.Now()
}

// Since returns the time elapsed since t on c (nil is the real clock).
func Since(c Clock, t time.Time) time.Duration {
	if c == nil {
		return time.Since(t)
	}
	return c.Now().Sub(t)
}

// Sleep waits for d on c (nil is the real clock) or until ctx is done,
// whichever comes first, and returns ctx's error in the second case.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if c == nil {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ch := make(chan struct{})
	t := c.AfterFunc(d, func() { close(ch) })
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ManualClock is a [Clock] that moves only when told to: for tests and for
// the simulator. Timers set with AfterFunc fire, in order of their due time,
// from the goroutine that calls [ManualClock.Advance] or [ManualClock.Set],
// after the clock's lock is released. It is safe for concurrent use.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers []*manualTimer
}

// NewManualClock returns a manual clock that reads start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc arranges for f to be called once the clock has moved d past now.
// A d of zero or less fires on the next Advance, even Advance(0).
func (c *ManualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{c: c, when: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock forward by d, firing every timer that falls due,
// each at its own due time, in order.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	c.Set(target)
}

// Set moves the clock to t, firing timers due by then in order. Moving
// backwards sets the time and fires nothing.
func (c *ManualClock) Set(t time.Time) {
	for {
		c.mu.Lock()
		next := c.nextDueLocked(t)
		if next == nil {
			c.now = t
			c.mu.Unlock()
			return
		}
		if next.when.After(c.now) {
			c.now = next.when
		}
		c.removeLocked(next)
		c.mu.Unlock()
		next.f()
	}
}

// Pending returns how many timers are waiting to fire.
func (c *ManualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// NextDue returns the due time of the earliest pending timer.
func (c *ManualClock) NextDue() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	c.sortLocked()
	return c.timers[0].when, true
}

func (c *ManualClock) sortLocked() {
	sort.SliceStable(c.timers, func(i, j int) bool {
		a, b := c.timers[i], c.timers[j]
		if !a.when.Equal(b.when) {
			return a.when.Before(b.when)
		}
		return a.seq < b.seq
	})
}

func (c *ManualClock) nextDueLocked(t time.Time) *manualTimer {
	if len(c.timers) == 0 {
		return nil
	}
	c.sortLocked()
	if first := c.timers[0]; !first.when.After(t) {
		return first
	}
	return nil
}

func (c *ManualClock) removeLocked(t *manualTimer) bool {
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

type manualTimer struct {
	c    *ManualClock
	when time.Time
	seq  uint64
	f    func()
}

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.c.removeLocked(t)
}
