package hedge

import (
	"context"
	"fmt"
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
	over   atomic.Bool // the first attempt's context is cancelled: it lost, or the call ended
	asked  atomic.Bool // the first attempt asked for Done
	// Under mu: Err has been not nil, and stays what it was then: the
	// parent's error if errParent, else Canceled.
	errSet, errParent bool

	mu     sync.Mutex
	closed bool // done is closed, the parent registration released
	shared bool // the call has been in the policy's timer queue
	queued bool // the call is in the policy's timer queue, under its lock

	done       chan struct{} // the first attempt's Done, made when asked
	timer      rampart.Timer // a timer of the call's own, if any
	stopParent func() bool
	plan       Call // the decisions; under mu once hedging
	h          *hedging

	// In the policy's timer queue, under its lock.
	due          time.Duration // on monoNow
	qprev, qnext *call
}

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
// itself first. Once not nil, Err stays what it was first, as package
// context's does: the caller's context's error if it had ended by then,
// else Canceled. That takes the lock only on a context that has ended.
func (c *call) Err() error {
	if !c.over.Load() && c.parent.Err() == nil {
		return nil
	}
	c.mu.Lock()
	if !c.errSet {
		c.errSet, c.errParent = true, c.parent.Err() != nil
	}
	byParent := c.errParent
	c.closeLocked()
	c.mu.Unlock()
	if byParent {
		return c.parent.Err()
	}
	return context.Canceled
}

// Done implements [context.Context] for the first attempt. The first call
// makes the channel and arms the hedge timer: the attempt is about to wait.
func (c *call) Done() <-chan struct{} {
	c.mu.Lock()
	if c.done != nil {
		defer c.mu.Unlock()
		return c.done
	}
	done := make(chan struct{})
	c.done = done
	c.asked.Store(true)
	if c.closed || c.over.Load() || c.parent.Err() != nil {
		c.closed = true
		close(done)
		c.mu.Unlock()
		return done
	}
	if c.phase.Load() == phaseFirst {
		if d, ok := c.plan.p.Delay(); ok {
			// In quantile mode the delay counts from the call's start.
			c.armLocked(d, c.plan.p.est != nil)
		}
	}
	c.mu.Unlock()
	if c.parent.Done() != nil {
		// Registered outside the lock, so no code of the parent's (its
		// AfterFunc method, if it has one) runs under it.
		stop := context.AfterFunc(c.parent, c.parentDone)
		c.mu.Lock()
		if c.closed {
			stop()
		} else {
			c.stopParent = stop
		}
		c.mu.Unlock()
	}
	return done
}

func (c *call) parentDone() {
	c.mu.Lock()
	c.closeLocked()
	c.mu.Unlock()
}

// String names the context, as the contexts of package context do.
func (c *call) String() string { return fmt.Sprintf("%v.WithHedge(%s)", c.parent, c.plan.p.name) }

// closeLocked closes the first attempt's Done channel, if made, and
// releases the parent registration. The timer stays: hedges may still be
// due while the first attempt has ended.
func (c *call) closeLocked() {
	if c.closed {
		return
	}
	c.closed = true
	if c.done != nil {
		close(c.done)
	}
	if c.stopParent != nil {
		c.stopParent()
	}
}

// armLocked sets the timer that starts the next hedge after d from now,
// or from the call's start if fromStart: the policy's shared timer on the
// real clock, a timer of the call's own in a testing/synctest bubble (see
// timerQueue) or on the policy's clock.
func (c *call) armLocked(d time.Duration, fromStart bool) {
	if c.plan.p.clock == nil && c.timer == nil {
		if now, ok := monoNow(); ok {
			from := now
			if fromStart {
				from = c.start // on p.mono, which outside a bubble is monoNow's clock
			}
			c.shared = true
			c.plan.p.q.add(c, now, dueAt(from, max(d, 0)))
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
	c.timer = clock.AfterFunc(max(d, 0), c.fire)
}

func (c *call) stopTimerLocked() {
	if c.shared {
		c.plan.p.q.remove(c)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
}

// end releases what a call that never hedged holds: the first attempt's
// context is cancelled, its timer stopped.
func (c *call) end() {
	c.over.Store(true)
	// over is stored before asked is read, and Done stores asked before
	// it reads over: one of the two sees the other, so a Done racing with
	// the end of the call either finds it over or is released here.
	if c.asked.Load() {
		c.mu.Lock()
		c.stopTimerLocked()
		c.closeLocked()
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
		c.over.Store(true)
		c.closeLocked()
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
