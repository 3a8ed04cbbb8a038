package timeout

import (
	"context"
	"sync"
	"time"

	"github.com/rampart-go/rampart"
)

// deadlineCtx is the context a cooperative timeout runs a call under. It is
// lazy: the timer and the done channel are made only when the function asks
// for Done (as every network call does). A function that never asks cannot be
// interrupted anyway, so it pays for no timer: one allocation and one clock
// read. Err checks the deadline against the clock on each call.
//
// It implements the AfterFunc method that package context looks for, so
// contexts derived from it register a callback instead of starting a
// goroutine each.
type deadlineCtx struct {
	parent context.Context
	clock  rampart.Clock
	// The deadline: on the real clock (clock == nil) as a monotonic offset
	// from epoch, which costs half the clock read of time.Now; else as a
	// time on clock.
	mono     time.Duration
	deadline time.Time

	mu         sync.Mutex
	done       chan struct{} // made on the first Done
	err        error         // set once: DeadlineExceeded (fired), the parent's error, or Canceled (released)
	fired      bool          // this timeout's deadline passed first
	timer      rampart.Timer // on a clock of the caller's
	realTimer  *time.Timer   // on the real clock
	stopParent func() bool
	funcs      map[*afterFunc]struct{}
}

type afterFunc struct{ f func() }

// epoch is the origin of monotonic offsets on the real clock.
var epoch = time.Now()

func newDeadlineCtx(parent context.Context, clock rampart.Clock, d time.Duration) *deadlineCtx {
	c := &deadlineCtx{parent: parent, clock: clock}
	if clock == nil {
		c.mono = time.Since(epoch) + d
	} else {
		c.deadline = clock.Now().Add(d)
	}
	return c
}

// remaining returns the time left until the deadline; zero or less once it
// has passed.
func (c *deadlineCtx) remaining() time.Duration {
	if c.clock == nil {
		return c.mono - time.Since(epoch)
	}
	return c.deadline.Sub(c.clock.Now())
}

func (c *deadlineCtx) Deadline() (time.Time, bool) {
	dl := c.deadline
	if c.clock == nil {
		dl = epoch.Add(c.mono)
	}
	if pd, ok := c.parent.Deadline(); ok && pd.Before(dl) {
		return pd, true
	}
	return dl, true
}

func (c *deadlineCtx) Value(key any) any { return c.parent.Value(key) }

func (c *deadlineCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err != nil {
		close(c.done)
		return c.done
	}
	if perr := c.parent.Err(); perr != nil {
		c.cancelLocked(perr, false)
		return c.done
	}
	wait := c.remaining()
	if wait <= 0 {
		c.cancelLocked(context.DeadlineExceeded, true)
		return c.done
	}
	if c.clock == nil {
		// A fresh timer per call: pooling stopped timers would halve the
		// cost, but a timer belongs to the testing/synctest bubble that
		// made it, so a pool would break callers' synctest tests.
		c.realTimer = time.AfterFunc(wait, c.fire)
	} else {
		c.timer = c.clock.AfterFunc(wait, c.fire)
	}
	if c.parent.Done() != nil {
		c.stopParent = context.AfterFunc(c.parent, c.parentDone)
	}
	return c.done
}

func (c *deadlineCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	if perr := c.parent.Err(); perr != nil {
		c.cancelLocked(perr, false)
	} else if c.done == nil && c.remaining() <= 0 {
		// No timer armed: judge the deadline by the clock.
		c.cancelLocked(context.DeadlineExceeded, true)
	}
	return c.err
}

// AfterFunc is found by package context, which then registers derived
// contexts here instead of watching Done from a goroutine.
func (c *deadlineCtx) AfterFunc(f func()) (stop func() bool) {
	c.Done() // arm the timer: someone is now waiting on the deadline
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f}
	if c.funcs == nil {
		c.funcs = map[*afterFunc]struct{}{}
	}
	c.funcs[a] = struct{}{}
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.funcs[a]
		delete(c.funcs, a)
		return ok
	}
}

func (c *deadlineCtx) fire() {
	c.mu.Lock()
	funcs := c.cancelLocked(context.DeadlineExceeded, true)
	c.mu.Unlock()
	runAll(funcs)
}

func (c *deadlineCtx) parentDone() {
	c.mu.Lock()
	funcs := c.cancelLocked(c.parent.Err(), false)
	c.mu.Unlock()
	runAll(funcs)
}

// release ends the context when the call returns, freeing its timer and
// parent registration, and reports whether this timeout's deadline fired.
// With judge false the caller does not need to know (the call succeeded),
// which saves a clock read when no timer was armed.
func (c *deadlineCtx) release(judge bool) (fired bool) {
	c.mu.Lock()
	var funcs []func()
	if judge && c.err == nil && c.done == nil && c.parent.Err() == nil && c.remaining() <= 0 {
		// No timer was armed, but the deadline passed during the call.
		funcs = c.cancelLocked(context.DeadlineExceeded, true)
	} else {
		funcs = c.cancelLocked(context.Canceled, false)
	}
	fired = c.fired
	c.mu.Unlock()
	runAll(funcs)
	return fired
}

// firedFirst reports whether the context ended because this timeout's
// deadline passed.
func (c *deadlineCtx) firedFirst() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired
}

// cancelLocked sets err once, stops the timer and the parent registration,
// closes done and returns the callbacks to run after the lock is released.
func (c *deadlineCtx) cancelLocked(err error, fired bool) []func() {
	if c.err != nil {
		return nil
	}
	c.err = err
	c.fired = fired
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.realTimer != nil {
		c.realTimer.Stop()
	}
	if c.stopParent != nil {
		c.stopParent()
	}
	if c.done != nil {
		close(c.done)
	}
	if len(c.funcs) == 0 {
		return nil
	}
	funcs := make([]func(), 0, len(c.funcs))
	for a := range c.funcs {
		funcs = append(funcs, a.f)
	}
	c.funcs = nil
	return funcs
}

// runAll runs the callbacks of derived contexts; they only cancel those
// contexts, so they run in the cancelling goroutine.
func runAll(funcs []func()) {
	for _, f := range funcs {
		f()
	}
}
