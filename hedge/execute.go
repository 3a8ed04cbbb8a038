package hedge

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
)

// Phases of a call, in one atomic word so the path on which the first
// attempt answers before the delay takes no lock.
const (
	phaseFirst   int32 = iota // only the first attempt has started
	phaseHedging              // a hedge started, or the first attempt failed: the call is coordinated under mu
	phaseOver                 // the first attempt answered before any hedge: no hedge will start
)

// epoch is the origin of monotonic offsets on the real clock.
var epoch = time.Now()

// Execute implements [rampart.Policy].
//
// The first attempt runs on the caller's goroutine, under a context of the
// policy's that costs one allocation and arms the hedge timer only when
// the attempt asks for its Done channel, that is, when it starts to wait.
// An attempt that answers without waiting costs that allocation (and two
// clock reads in quantile mode): no timer, no goroutine, no lock. One that
// waits costs its Done channel too, and a place in the policy's shared
// timer (a timer of its own in a testing/synctest bubble or on the
// policy's Clock; see the package documentation).
//
// Once the delay has passed, each hedge runs in a goroutine of its own on
// a fork of next ([rampart.Next.Fork]), so no two attempts write the same
// result; the winner's result is adopted. Execute returns once every
// attempt has returned: the losers are cancelled first, so an attempt that
// watches its context returns at once, and no goroutine outlives the call.
// An attempt that ignores its context holds the call until it returns.
// (A hedge timer that fires just as the call ends may still be returning
// from its callback, which then finds the call over and does nothing.)
//
// A panic in an attempt cancels the others, waits for them, and is raised
// again in the caller's goroutine (a hedge's panic with its value; the
// first attempt's as it was, stack included).
func (p *Policy) Execute(ctx context.Context, next rampart.Next) error {
	c := &call{parent: ctx, next: next}
	if p.est != nil {
		c.start = p.mono()
	}
	c.plan = p.Begin() // c.plan.p is the policy
	ok := false
	defer func() {
		if !ok {
			c.abort()
		}
	}()
	err := next.Run(c)
	if err == nil && c.phase.CompareAndSwap(phaseFirst, phaseOver) {
		c.end()
		if p.est != nil {
			p.Observe(p.mono() - c.start)
		}
		c.plan.Succeeded(1, time.Time{})
		ok = true
		return nil
	}
	final := true
	if err != nil {
		final = p.final(ctx, err)
		if final && c.phase.CompareAndSwap(phaseFirst, phaseOver) {
			// A fatal failure (or the caller's cancellation) before any
			// hedge: nothing to cancel, nothing to wait for.
			c.end()
			ok = true
			return err
		}
	}
	err = c.join(err, final)
	ok = true
	return err
}

// mono returns the time on the policy's clock as an offset from epoch.
func (p *Policy) mono() time.Duration {
	if p.clock == nil {
		return time.Since(epoch)
	}
	return p.clock.Now().Sub(epoch)
}

// call is one call of Execute: the first attempt's context, and the
// coordination of the hedges once there are any.
type call struct {
	parent context.Context
	next   rampart.Next
	start  time.Duration // on p.mono, in quantile mode
	phase  atomic.Int32
	flags  atomic.Int32 // flagOver and the others below
	// done is the first attempt's Done channel, made by the first Done:
	// written once, by the Done that set flagAsked, before flagMade.
	done chan struct{}

	mu         sync.Mutex
	timer      rampart.Timer // a timer of the call's own, if any
	stopParent func() bool
	plan       Call // the decisions; under mu once hedging
	h          *hedging

	// In the policy's timer queue, under its lock (and flagQueued).
	due          time.Duration // on monoNow
	qprev, qnext *call
}

// Flags of a call, set by atomic or (never cleared, but flagQueued).
const (
	flagOver   int32 = 1 << iota // the first attempt's context is cancelled: it lost, or the call ended
	flagAsked                    // a Done has started to make done
	flagMade                     // done is made
	flagClosed                   // done is closed, or about to be by whoever set this
	flagOwn                      // the call has a timer of its own (timer, under mu), never a place in the queue
	flagReg                      // Done registered with the parent (stopParent, under mu)
	flagQueued                   // in the policy's timer queue (under its lock)
	// Why Err is not nil, once it is not (the first to decide wins):
	causeEnded  // Canceled: the attempt lost, or the call ended
	causeParent // the caller's context had ended: its Err
	causes      = causeEnded | causeParent
	ended       = flagOver | causes // Err is, or will be, not nil
)

// has reports whether any of the flags f is set.
func (c *call) has(f int32) bool { return c.flags.Load()&f != 0 }

// set sets the flags f, and reports whether any of them was set before.
func (c *call) set(f int32) bool { return c.flags.Or(f)&f != 0 }

// mark sets the flags f (one locked instruction, where set is a loop).
func (c *call) mark(f int32) { c.flags.Or(f) }

// hedging is the state of a call that went past its first attempt. All
// fields are guarded by call.mu until idle is closed.
type hedging struct {
	ctx       context.Context // parent of the hedges' contexts
	cancel    context.CancelFunc
	running   int  // attempts still running, the first included
	firstDone bool // the first attempt has returned
	decided   bool
	err       error          // the call's outcome, once decided
	winner    int            // the number of the attempt that answered, 0 if none
	forks     []rampart.Next // forks[i] runs attempt i+2
	lastErr   error          // the latest non-fatal failure
	panicked  bool
	panicVal  any
	idle      chan struct{} // closed once decided and nothing runs
}

// Deadline implements [context.Context] for the first attempt.
func (c *call) Deadline() (time.Time, bool) { return c.parent.Deadline() }

// Value implements [context.Context] for the first attempt.
func (c *call) Value(key any) any { return c.parent.Value(key) }

// Err implements [context.Context] for the first attempt. A context whose
// Err is not nil must have Done closed: the end of the call and the
// parent's cancellation close Done a moment after they become visible here
// (the parent's through a goroutine of package context), so Err closes it
// itself first, or waits for whoever is closing it. The first Err that is
// not nil is kept: the caller's context's error if it had ended by then,
// else Canceled.
func (c *call) Err() error {
	flags := c.flags.Load()
	if flags&causes == 0 {
		cause := causeEnded
		switch {
		case c.parent.Err() != nil:
			cause = causeParent
		case flags&flagOver == 0:
			return nil
		}
		for !c.flags.CompareAndSwap(flags, flags|cause) {
			if flags = c.flags.Load(); flags&causes != 0 {
				break // decided by another Err
			}
		}
		flags = c.flags.Load()
	}
	c.closeDone()
	if flags&causeParent != 0 {
		return c.parent.Err()
	}
	return context.Canceled
}

// Done implements [context.Context] for the first attempt. The first call
// makes the channel and arms the hedge timer: the attempt is about to wait.
// It takes no lock of the call's on the policy's shared timer.
func (c *call) Done() <-chan struct{} {
	if c.flags.Load()&flagMade != 0 {
		return c.done
	}
	done := make(chan struct{})
	old := c.flags.Or(flagAsked)
	if old&flagAsked != 0 { // another Done makes it
		return c.waitMade()
	}
	// Published with a compare-and-swap unless the context has ended
	// (end, or Err that found the parent done, set a flag first): then
	// published closed, so that no Done ever returns an open channel
	// after an Err that was not nil.
	c.done = done
	f := old | flagAsked
	for f&ended == 0 && !c.flags.CompareAndSwap(f, f|flagMade) {
		f = c.flags.Load()
	}
	if f&ended != 0 {
		close(done)
		c.mark(flagMade | flagClosed)
		return done
	}
	if c.parent.Err() != nil {
		c.closeDone()
		return done
	}
	if c.phase.Load() == phaseFirst {
		if d, ok := c.plan.p.Delay(); ok {
			// In quantile mode the delay counts from the call's start.
			c.armFirst(d, c.plan.p.est != nil)
		}
	}
	if c.parent.Done() != nil {
		// Registered outside the lock, so no code of the parent's (its
		// AfterFunc method, if it has one) runs under it. reg is stored
		// before over is read under mu, and end stores over before it
		// reads reg: one of the two releases the registration.
		c.mark(flagReg)
		stop := context.AfterFunc(c.parent, c.parentDone)
		c.mu.Lock()
		if c.has(flagOver) {
			c.mu.Unlock()
			stop()
		} else {
			c.stopParent = stop
			c.mu.Unlock()
		}
	}
	return done
}

// String names the context, as the contexts of package context do.
func (c *call) String() string { return fmt.Sprintf("%v.WithHedge(%s)", c.parent, c.plan.p.name) }

// closeDone closes the first attempt's Done channel once the context has
// ended (over, a cause set, or the parent done), without a lock. A Done
// that has not started yet finds the context ended and returns a closed
// channel; one that has, is waited for. Of those that then find the
// channel made, the one that sets flagClosed closes it and the others wait
// until it has, so that none returns while Done is open. It reports
// whether Done had been asked for.
func (c *call) closeDone() (asked bool) {
	if c.flags.Load()&flagAsked == 0 {
		return false
	}
	done := c.waitMade()
	if !c.set(flagClosed) {
		close(done)
	} else {
		<-done
	}
	return true
}

// waitMade returns done once the Done that asked first has made it: it is
// between two atomic instructions, so this yields rarely, and briefly.
func (c *call) waitMade() chan struct{} {
	for c.flags.Load()&flagMade == 0 {
		runtime.Gosched()
	}
	return c.done
}

func (c *call) parentDone() { c.closeDone() }

// releaseParentLocked releases the parent registration, if any.
func (c *call) releaseParentLocked() {
	if c.stopParent != nil {
		c.stopParent()
		c.stopParent = nil
	}
}

// armFirst arms the first hedge from Done, before any hedge: on the
// policy's shared timer without a lock of the call's (the queue drops a
// call that ended meanwhile), else under mu on a timer of the call's own.
// own is stored before phase is read under mu, and end stores phase
// before it reads own: one of the two stops the timer.
func (c *call) armFirst(d time.Duration, fromStart bool) {
	if c.plan.p.clock == nil {
		if now, ok := monoNow(); ok {
			c.plan.p.q.add(c, now, c.dueFrom(now, d, fromStart), true)
			return
		}
	}
	c.mark(flagOwn)
	c.mu.Lock()
	if c.phase.Load() == phaseFirst {
		c.armLocked(d, fromStart)
	}
	c.mu.Unlock()
}

// dueFrom returns when a hedge d after now, or after the call's start if
// fromStart, is due on monoNow's clock.
func (c *call) dueFrom(now, d time.Duration, fromStart bool) time.Duration {
	if fromStart {
		now = c.start // on p.mono, which outside a bubble is monoNow's clock
	}
	return dueAt(now, max(d, 0))
}

// armLocked sets the timer that starts the next hedge after d from now,
// or from the call's start if fromStart: the policy's shared timer on the
// real clock, a timer of the call's own in a testing/synctest bubble (see
// timerQueue) or on the policy's clock.
func (c *call) armLocked(d time.Duration, fromStart bool) {
	if c.plan.p.clock == nil && !c.has(flagOwn) {
		if now, ok := monoNow(); ok {
			c.plan.p.q.add(c, now, c.dueFrom(now, d, fromStart), false)
			return
		}
	}
	if fromStart {
		d -= c.plan.p.mono() - c.start
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	clock := c.plan.p.clock
	if clock == nil {
		clock = rampart.SystemClock()
	}
	c.mark(flagOwn)
	c.timer = clock.AfterFunc(max(d, 0), c.fire)
}

// stopTimerLocked stops the call's timer: its own, or its place in the
// policy's shared one. A call that has a timer of its own is never in the
// queue.
func (c *call) stopTimerLocked() {
	if c.has(flagOwn) {
		if c.timer != nil {
			c.timer.Stop()
		}
	} else if c.plan.p.clock == nil {
		c.plan.p.q.remove(c)
	}
}

// end releases what a call holds once it is over: the first attempt's
// context is cancelled, its timer stopped, its registration with the
// parent released. A call whose first attempt never asked for Done has
// none of these: that costs a compare-and-swap.
func (c *call) end() {
	// over (and, on the way out of phaseFirst, phase) is stored before
	// asked, own and reg are read here; Done stores asked, then made,
	// before it reads over, armFirst stores own before it reads phase,
	// Done stores reg before it reads over: either Done sees the call
	// over, closes its channel and arms or registers nothing, or it is
	// released here.
	if c.flags.Or(flagOver)&flagAsked == 0 {
		return // Done was not asked for: if it is, it finds the call over
	}
	c.closeDone()
	if c.has(flagOwn) {
		c.mu.Lock()
		c.stopTimerLocked()
		c.mu.Unlock()
	} else if c.plan.p.clock == nil {
		c.plan.p.q.remove(c) // the queue's lock only
	}
	if c.has(flagReg) {
		c.mu.Lock()
		c.releaseParentLocked()
		c.mu.Unlock()
	}
}

// fire runs when the delay has passed: it starts the next hedge.
func (c *call) fire() {
	if c.phase.Load() == phaseOver {
		return
	}
	c.mu.Lock()
	if !c.phase.CompareAndSwap(phaseFirst, phaseHedging) && c.phase.Load() != phaseHedging {
		c.mu.Unlock()
		return
	}
	c.hedgingLocked()
	c.mu.Unlock()
	c.launch(nil)
}

// hedgingLocked makes the hedging state on the way into the hedging phase.
func (c *call) hedgingLocked() {
	if c.h != nil {
		return
	}
	hctx, cancel := context.WithCancel(c.parent)
	c.h = &hedging{
		ctx: hctx, cancel: cancel, running: 1, idle: make(chan struct{}),
		forks: make([]rampart.Next, c.plan.p.maxHedges),
	}
}

// launch starts the next hedge, if the call still wants one and the plan
// allows it: after the delay (err nil) or at once after the non-fatal
// failure err. The budget and the observers are called outside the lock.
func (c *call) launch(err error) {
	c.mu.Lock()
	h := c.h
	if h.decided || c.parent.Err() != nil || !c.plan.More() {
		c.settleLocked()
		c.mu.Unlock()
		return
	}
	h.running++ // reserved, so the call cannot end while the budget is asked
	c.plan.attempts++
	n := c.plan.attempts
	c.mu.Unlock()

	ok := c.spend(n, err)

	c.mu.Lock()
	if !ok {
		c.plan.refused = true
	}
	if !ok || h.decided {
		h.running--
		c.settleLocked()
		c.mu.Unlock()
		return
	}
	fork := c.next.Fork()
	h.forks[n-2] = fork
	actx := rampart.WithAttempt(h.ctx, rampart.Attempt{Number: n, Hedge: true})
	if c.plan.More() {
		if d, ok := c.plan.p.Delay(); ok {
			c.armLocked(d, false)
		}
	}
	c.mu.Unlock()
	go c.runHedge(actx, n, fork)
}

// spend asks the budget for hedge n and tells the observers, both user
// code: a panic there is recorded as the call's, to be raised again in the
// caller's goroutine, rather than crash a timer's goroutine.
func (c *call) spend(n int, err error) (ok bool) {
	defer func() {
		if !ok {
			if v := recover(); v != nil {
				c.plan.p.panics.Add(1)
				c.mu.Lock()
				if h := c.h; !h.decided {
					h.decided, h.panicked, h.panicVal = true, true, v
				}
				c.mu.Unlock()
			}
		}
	}()
	delay, _ := c.plan.p.Delay()
	return c.plan.p.spend(time.Time{}, n, delay, err)
}

// runHedge runs attempt n, a hedge, and reports its outcome.
func (c *call) runHedge(ctx context.Context, n int, fork rampart.Next) {
	ok := false
	defer func() {
		if !ok { // the attempt or the classifier panicked
			v := recover()
			c.plan.p.panics.Add(1)
			c.judged(n, nil, &panicValue{v: v, stack: debug.Stack()}, true)
		}
	}()
	err := fork.Run(ctx)
	final := c.plan.p.final(c.parent, err)
	ok = true
	c.judged(n, err, nil, final)
}

type panicValue struct {
	v     any
	stack []byte
}

// judged records the outcome of attempt n, err judged final or not, or its
// panic.
func (c *call) judged(n int, err error, pv *panicValue, final bool) {
	c.mu.Lock()
	h := c.h
	h.running--
	if n == 1 {
		h.firstDone = true
	}
	startNext := false
	switch {
	case h.decided:
	case pv != nil:
		h.decided, h.panicked, h.panicVal = true, true, pv.v
	case final:
		h.decided, h.err = true, err
		if err == nil {
			h.winner = n
		}
	default:
		h.lastErr = err
		startNext = true
	}
	if !startNext {
		c.settleLocked()
	}
	c.mu.Unlock()
	if startNext {
		c.launch(err)
	}
}

// settleLocked ends the call once it has an outcome, or once nothing runs
// and nothing more may start: it cancels what still runs and, when nothing
// does, wakes the caller.
func (c *call) settleLocked() {
	h := c.h
	if !h.decided && h.running == 0 {
		h.decided, h.err = true, h.lastErr
	}
	if !h.decided {
		return
	}
	c.stopTimerLocked()
	h.cancel()
	if !h.firstDone {
		c.mark(flagOver)
		c.closeDone()
		c.releaseParentLocked()
	}
	if h.running == 0 {
		select {
		case <-h.idle:
		default:
			close(h.idle)
		}
	}
}

// join is the caller's side once the call left the fast path: the first
// attempt returned err. It waits for every attempt to end and returns the
// call's outcome.
func (c *call) join(err error, final bool) error {
	latency := time.Duration(-1)
	if c.plan.p.est != nil {
		latency = c.plan.p.mono() - c.start
	}
	c.mu.Lock()
	c.phase.Store(phaseHedging) // from phaseFirst when the first attempt failed before any hedge
	c.hedgingLocked()
	h := c.h
	c.mu.Unlock()
	c.judged(1, err, nil, final)
	<-h.idle
	c.end()
	h.cancel()
	if h.panicked {
		panic(h.panicVal)
	}
	if latency >= 0 && h.winner > 0 {
		// The first attempt answered, or ran until a hedge did: either way
		// its time is a sample of how long a first attempt takes, and
		// keeping the losers' keeps the slow tail in the estimate.
		c.plan.p.Observe(latency)
	}
	if h.winner > 1 {
		c.next.Adopt(h.forks[h.winner-2])
	}
	if h.winner > 0 {
		c.plan.Succeeded(h.winner, time.Time{})
	}
	return h.err
}

// abort runs, without recovering, while a panic unwinds Execute (from the
// first attempt, or from a classifier, budget or observer called on the
// caller's goroutine): it cancels the hedges and waits for them, so the
// panic goes on up with no attempt left running. It is safe in every
// state of the call, including one that had already ended.
func (c *call) abort() {
	if c.phase.CompareAndSwap(phaseFirst, phaseOver) || c.phase.Load() == phaseOver {
		c.plan.p.panics.Add(1)
		c.end()
		return
	}
	c.mu.Lock()
	c.hedgingLocked()
	h := c.h
	if !h.panicked { // else a hedge's panic, counted, raised again by join
		c.plan.p.panics.Add(1)
	}
	if !h.firstDone {
		h.running--
		h.firstDone = true
	}
	h.decided = true
	c.settleLocked()
	c.mu.Unlock()
	<-h.idle
	c.end()
}
