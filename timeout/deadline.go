package timeout

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
)

// A call's context is made in one of two ways (see newDeadline):
//
//   - When the parent can be cancelled by its owner (a request's context) and
//     the clock is the real one, it is context.WithDeadline's: the only way
//     to order the parent's cancellation against the deadline exactly,
//     whatever the function asks and when, is to be registered with the
//     parent and to arm a timer from the start, which is what
//     context.WithDeadline does.
//   - Otherwise (context.Background and other parents nothing can cancel, the
//     context of an enclosing timeout, or a clock of the caller's), it is a
//     deadlineCtx: lazy, it costs one allocation and no timer until the
//     function asks for Done.

// epoch is the origin of deadlines on the real clock: a time since epoch
// costs one read of the monotonic clock, half of what time.Now costs.
var epoch = time.Now()

// deadlineAfter returns the time d from now on clock (nil: the real clock),
// saturated rather than overflowed for a d near math.MaxInt64. On the real
// clock the result carries a monotonic reading unless it saturated.
func deadlineAfter(clock rampart.Clock, d time.Duration) time.Time {
	if clock != nil {
		return clock.Now().Add(d) // Time.Add saturates
	}
	off := time.Since(epoch) // negative in a testing/synctest bubble, whose clock starts in 2000
	if off+d < off {
		return epoch.Add(math.MaxInt64) // drops the monotonic reading, saturates
	}
	return epoch.Add(off + d)
}

// deadline is one call's deadline and the context its function runs under.
// It is a value: a call keeps it on its stack.
type deadline struct {
	ctx    context.Context    // given to the function
	lazy   *deadlineCtx       // ctx when it is a deadlineCtx
	cancel context.CancelFunc // ctx's when it is context.WithDeadline's
	parent context.Context
	at     time.Time // this timeout's own deadline, before the parent's is considered
	clock  rampart.Clock
}

func newDeadline(parent context.Context, clock rampart.Clock, d time.Duration) deadline {
	dl := deadline{parent: parent, at: deadlineAfter(clock, d), clock: clock}
	if _, enclosing := parent.(*deadlineCtx); clock == nil && !enclosing && parent.Done() != nil {
		dl.ctx, dl.cancel = context.WithDeadline(parent, dl.at)
		return dl
	}
	dl.lazy = newDeadlineCtx(parent, clock, dl.at)
	dl.ctx = dl.lazy
	return dl
}

// passed reports whether this timeout's own deadline has passed and came
// before the parent's. It reads the clock, not the context, so the verdict
// does not depend on which of several timers due at the same time ran first.
func (d *deadline) passed() bool {
	if pd, ok := d.parent.Deadline(); ok && !d.at.Before(pd) {
		return false // the parent's deadline is the earlier: it is the caller's
	}
	if d.clock == nil {
		return time.Until(d.at) <= 0
	}
	return !d.clock.Now().Before(d.at)
}

// end ends the context when the function has returned err and reports
// whether the call timed out: err is not nil and this timeout's own deadline
// had passed. The clock is read only when err is not nil.
func (d *deadline) end(err error) (timedOut bool) {
	timedOut = err != nil && d.passed()
	if d.lazy != nil {
		d.lazy.release(err != nil)
	} else {
		d.cancel()
	}
	return timedOut
}

// deadlineCtx is a lazy context with a deadline: until the function asks for
// Done it has no timer and no channel, and Err compares the deadline with
// the clock. Its parent is one whose end it learns of in time without
// watching it (see newDeadline):
//
//   - a parent that nothing can cancel: only the deadline ends the context;
//   - an enclosing timeout's deadlineCtx: its deadline is folded into this
//     one's (expires), and its other end, the enclosing call's return, ends
//     this context synchronously through children;
//   - under a clock of the caller's, any parent: Err looks at the parent
//     directly, and Done is closed through context.AfterFunc, from another
//     goroutine, as for any context package context does not know.
//
// Err is lock-free: one atomic load once the context is armed or done. An
// unarmed Err reads the clock; after armAfter such reads the context arms its
// timer, so a function that polls Err in a loop pays a load per poll.
//
// It implements the AfterFunc method that package context looks for:
// contexts derived from it register a callback, run synchronously by
// whatever ends this context, as package context cancels its own children.
type deadlineCtx struct {
	parent context.Context
	outer  *deadlineCtx  // the parent, when it is an enclosing timeout's context
	clock  rampart.Clock // nil: the real clock
	// expires is the earlier of this timeout's deadline and the enclosing
	// timeout's. Deadline, the earlier of expires and the parent's
	// deadline, is this timeout's or the parent's, as it should be.
	expires time.Time

	state    atomic.Uint32 // statePollParent, stateArmed, stateDone
	lazyErrs atomic.Uint32 // Err calls that read the clock

	mu   sync.Mutex
	err  error           // set once under mu, before stateDone is published
	done <-chan struct{} // made when armed, before stateArmed is published
	// On the real clock, arming makes inner with context.WithDeadline, and
	// the armed context is inner's: derived contexts, even through
	// context.WithValue, are inner's children, ended synchronously, with
	// its error and cause. Set before stateArmed is published.
	inner       context.Context
	cancelInner context.CancelFunc
	children    map[*deadlineCtx]struct{} // enclosed timeouts' contexts
	arm2        *clockArm                 // under a clock of the caller's, once armed
}

// clockArm is what an armed context needs under a clock of the caller's,
// where it cannot be context.WithDeadline's. Kept apart, deadlineCtx is
// 144 bytes: what a call that never watches Done allocates, as before.
type clockArm struct {
	done       chan struct{}
	timer      rampart.Timer
	stopParent func() bool
	funcs      map[*afterFunc]struct{} // derived contexts (package context)
}

const (
	stateArmed      uint32 = 1 << iota // done exists; a timer watches the deadline
	stateDone                          // err is set; done, if any, is about to close
	statePollParent                    // set at creation: see pollParent
)

// pollParent reports whether the parent's end reaches this context through
// a goroutine (context.AfterFunc), here or in an enclosing timeout, so that
// Err looks at the parent itself.
func (c *deadlineCtx) pollParent() bool { return c.state.Load()&statePollParent != 0 }

// armAfter is how many Err calls read the clock before the timer is armed.
// On the 2-core VM the benchmarks run on, a clock read costs about 35 ns and
// arming (context.WithDeadline: five allocations and a runtime timer) about
// 600 ns to 1 µs: a function that checks a few times pays clock reads only;
// one that checks in a loop pays the timer once, then a load per check, and
// never more than about twice what the better choice in hindsight costs.
const armAfter = 16

type afterFunc struct{ f func() }

func newDeadlineCtx(parent context.Context, clock rampart.Clock, at time.Time) *deadlineCtx {
	c := &deadlineCtx{parent: parent, clock: clock, expires: at}
	if outer, ok := parent.(*deadlineCtx); ok {
		c.outer = outer
		if outer.pollParent() {
			c.state.Store(statePollParent)
		}
		if outer.expires.Before(at) {
			c.expires = outer.expires
		}
		if err := outer.addChild(c); err != nil {
			c.err = err
			c.state.Or(stateDone)
		}
	} else if clock != nil && parent.Done() != nil {
		c.state.Store(statePollParent)
	}
	return c
}

// addChild registers an enclosed timeout's context, to be ended with this
// one; if this one has ended, it returns its error instead.
func (c *deadlineCtx) addChild(child *deadlineCtx) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Load()&stateDone != 0 {
		return c.err
	}
	if c.children == nil {
		c.children = map[*deadlineCtx]struct{}{}
	}
	c.children[child] = struct{}{}
	return nil
}

func (c *deadlineCtx) removeChild(child *deadlineCtx) {
	c.mu.Lock()
	delete(c.children, child)
	c.mu.Unlock()
}

// remaining returns the time left until the context expires; zero or less
// once it has.
func (c *deadlineCtx) remaining() time.Duration {
	if c.clock == nil {
		return time.Until(c.expires)
	}
	return c.expires.Sub(c.clock.Now())
}

// Deadline returns the earlier of this timeout's deadline and the parent's.
func (c *deadlineCtx) Deadline() (time.Time, bool) {
	if pd, ok := c.parent.Deadline(); ok && pd.Before(c.expires) {
		return pd, true
	}
	return c.expires, true
}

// Value returns the parent's value for key.
func (c *deadlineCtx) Value(key any) any {
	if c.state.Load()&stateArmed != 0 && c.inner != nil {
		return c.inner.Value(key) // package context finds inner's cancellation here
	}
	return c.parent.Value(key)
}

// Done arms the context: from now on a timer ends it when it expires.
func (c *deadlineCtx) Done() <-chan struct{} {
	if c.state.Load()&stateArmed == 0 {
		c.arm()
	}
	return c.done
}

// Err returns nil, DeadlineExceeded, the parent's error, or Canceled once the
// call has returned.
func (c *deadlineCtx) Err() error {
	s := c.state.Load()
	if s&stateArmed != 0 && c.inner != nil {
		return c.inner.Err()
	}
	if s&stateDone != 0 {
		if s&stateArmed != 0 {
			<-c.done // closed just after stateDone is published
		}
		return c.err
	}
	if s&(stateArmed|statePollParent) == stateArmed {
		return nil // the timer watches the deadline
	}
	return c.slowErr(s)
}

func (c *deadlineCtx) slowErr(s uint32) error {
	if s&statePollParent != 0 {
		if perr := c.parent.Err(); perr != nil {
			c.end(perr)
			return c.Err()
		}
	}
	if s&stateArmed != 0 {
		return nil
	}
	if c.remaining() <= 0 {
		c.end(context.DeadlineExceeded)
		return c.Err()
	}
	if c.lazyErrs.Add(1) >= armAfter {
		c.arm()
	}
	return nil
}

// arm makes the done channel and starts the timer, and the watch on the
// parent under a clock of the caller's.
func (c *deadlineCtx) arm() {
	var stop func() bool
	if s := c.state.Load(); s&statePollParent != 0 && c.outer == nil && s&stateDone == 0 {
		// Before publishing stateArmed. An ended parent calls
		// parentDone at once.
		stop = context.AfterFunc(c.parent, c.parentDone)
	}
	if c.clock != nil && c.state.Load()&stateDone == 0 && c.remaining() <= 0 {
		c.end(context.DeadlineExceeded)
	}
	c.mu.Lock()
	if c.state.Load()&stateArmed != 0 {
		c.mu.Unlock()
		if stop != nil {
			stop()
		}
		return
	}
	if c.clock == nil {
		c.armInner() // context.WithDeadline judges an expired deadline itself
		c.mu.Unlock()
		return
	}
	a := &clockArm{done: make(chan struct{})}
	c.arm2, c.done = a, a.done
	if c.state.Load()&stateDone != 0 {
		close(a.done)
		c.state.Or(stateArmed)
		c.mu.Unlock()
		if stop != nil {
			stop()
		}
		return
	}
	a.timer = c.clock.AfterFunc(c.remaining(), c.fire)
	a.stopParent = stop
	c.state.Or(stateArmed)
	c.mu.Unlock()
}

// armInner arms a context on the real clock, with c.mu held: inner is
// context.WithDeadline's, or, if the context has ended already, a context
// that ended the same way.
func (c *deadlineCtx) armInner() {
	var inner context.Context
	var cancel context.CancelFunc
	switch {
	case c.state.Load()&stateDone == 0:
		inner, cancel = context.WithDeadline(c.parent, c.expires)
	case c.err == context.DeadlineExceeded:
		inner, cancel = context.WithDeadline(context.WithoutCancel(c.parent), time.Time{})
	default:
		inner, cancel = context.WithCancel(context.WithoutCancel(c.parent))
		cancel()
	}
	c.inner, c.cancelInner, c.done = inner, cancel, inner.Done()
	c.state.Or(stateArmed)
}

// AfterFunc is found by package context, which then registers derived
// contexts here instead of watching Done from a goroutine each. f runs in
// the goroutine that ends this context.
func (c *deadlineCtx) AfterFunc(f func()) (stop func() bool) {
	c.Done() // someone now waits on the deadline: arm the timer
	if c.inner != nil {
		return context.AfterFunc(c.inner, f)
	}
	c.mu.Lock()
	if c.state.Load()&stateDone != 0 {
		c.mu.Unlock()
		f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f}
	if c.arm2.funcs == nil {
		c.arm2.funcs = map[*afterFunc]struct{}{}
	}
	c.arm2.funcs[a] = struct{}{}
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.arm2.funcs == nil {
			return false
		}
		_, ok := c.arm2.funcs[a]
		delete(c.arm2.funcs, a)
		return ok
	}
}

func (c *deadlineCtx) fire() { c.end(context.DeadlineExceeded) }

func (c *deadlineCtx) parentDone() { c.end(c.parent.Err()) }

// outerEnded is called when the enclosing timeout's context ends with err.
// It comes synchronously, so if this context expired first, as
// context.WithDeadline's timer would have told, the clock says so now.
func (c *deadlineCtx) outerEnded(err error) {
	if c.state.Load()&stateDone == 0 && c.remaining() <= 0 {
		err = context.DeadlineExceeded
	}
	c.end(err)
}

// release ends the context when the call returns: with the parent's error
// if the parent has ended, else with DeadlineExceeded if judge is set (the
// call failed) and the context has expired, else with Canceled. A call that
// succeeded does not read the clock: if its deadline passed unwatched, the
// context still ends with Canceled, as if the call had returned first.
func (c *deadlineCtx) release(judge bool) {
	if c.state.Load()&stateDone != 0 {
		return
	}
	err := context.Canceled
	if c.pollParent() {
		if perr := c.parent.Err(); perr != nil {
			err = perr
		}
	}
	if err == context.Canceled && judge && c.remaining() <= 0 {
		err = context.DeadlineExceeded
	}
	c.end(err)
}

// end sets err once, publishes it, closes done, stops the timer and the
// parent's watch, and ends derived contexts, every time: whichever of Err,
// the timer, the parent or release gets here first.
func (c *deadlineCtx) end(err error) {
	c.mu.Lock()
	if c.state.Load()&stateDone != 0 {
		c.mu.Unlock()
		return
	}
	c.err = err
	c.state.Or(stateDone) // before done closes: Err waits for the close
	var timer rampart.Timer
	var stopParent func() bool
	var funcs map[*afterFunc]struct{}
	if a := c.arm2; a != nil {
		close(a.done)
		timer, stopParent, funcs = a.timer, a.stopParent, a.funcs
		a.timer, a.stopParent, a.funcs = nil, nil, nil
	}
	cancelInner, children := c.cancelInner, c.children
	c.children = nil
	c.mu.Unlock()
	if cancelInner != nil {
		cancelInner()
	}
	if timer != nil {
		timer.Stop()
	}
	if stopParent != nil {
		stopParent()
	}
	c.leaveOuter()
	if len(children) > 0 {
		for child := range children {
			child.outerEnded(err)
		}
	}
	if len(funcs) > 0 {
		for a := range funcs {
			a.f()
		}
	}
}

func (c *deadlineCtx) leaveOuter() {
	if c.outer != nil {
		c.outer.removeChild(c)
	}
}
