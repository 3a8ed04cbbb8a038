package adaptive

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/striped"
)

// Limiter is an adaptive concurrency limiter: it lets at most Limit calls
// run at once and moves the limit with the latency and drops it measures.
// It is safe for concurrent use.
//
// Acquire and Release take no lock: a call is admitted by one
// compare-and-swap on the in-flight count and measured with a few atomic
// adds into the current window. The limit itself moves once a window, by
// whichever call closes it, under a lock the others never wait for. On the
// real clock a busy limiter measures the latency of a random sample of
// calls (at least one in 64, enough for 40 samples a window), because
// reading the clock costs more than the rest of a call's admission; with a
// Config.Clock every call is measured, so runs in virtual time replay
// exactly.
type Limiter struct {
	inflight atomic.Int64
	caps     atomic.Uint64 // the admission threshold of each priority, packed
	waiting  atomic.Int64  // calls in the queue
	_        [40]byte      // keep the admission words off the samples' line

	// The current window's samples.
	n, sum, drops atomic.Int64
	least         atomic.Int64 // ns; math.MaxInt64 when none
	peak          atomic.Int64
	saturated     atomic.Bool
	windowEnd     atomic.Int64 // when the window may close, in the limiter's time
	stride        atomic.Int64 // one call in stride has its latency measured
	est           atomic.Int64 // expected latency of a call, in ns
	limitBits     atomic.Uint64

	rejected striped.Counter

	s    settings
	base time.Time // the limiter's time zero on its clock

	mu sync.Mutex // held by the call that closes a window
	st state

	qmu sync.Mutex // guards q
	q   queue

	errLimited, errTimeout, errDeadline, errShed *RejectedError
}

// New returns a limiter for c, or a [*rampart.ConfigError] naming the first
// invalid field.
func New(c Config) (*Limiter, error) {
	s, err := c.settings()
	if err != nil {
		return nil, err
	}
	l := &Limiter{s: s, base: rampart.Now(s.clock)}
	l.st.limit = float64(s.initial)
	l.least.Store(math.MaxInt64)
	l.windowEnd.Store(s.window)
	l.setLimit(l.st.limit)
	l.errLimited = &RejectedError{l: l, reason: ErrLimited}
	l.errTimeout = &RejectedError{l: l, reason: ErrQueueTimeout}
	l.errDeadline = &RejectedError{l: l, reason: ErrDeadline}
	l.errShed = &RejectedError{l: l, reason: ErrShed}
	return l, nil
}

// Priority levels inside the limiter: sheddable, default, critical.
const levels = 3

func level(p rampart.Priority) int {
	switch {
	case p < rampart.PriorityDefault:
		return 0
	case p > rampart.PriorityDefault:
		return 2
	}
	return 1
}

// thresholds returns how many calls in flight each level may find and
// still be admitted: 90 % of the limit for sheddable calls, the limit for
// default ones, 10 % more (at least one) for critical ones. So sheddable
// calls are refused first, and critical ones still get in when the limit
// is reached.
func thresholds(limit float64) [levels]int64 {
	d := max(int64(limit), 1)
	return [levels]int64{max(int64(limit*0.9), 1), d, d + max(d/10, 1)}
}

const capBits = 21

func (l *Limiter) setLimit(limit float64) {
	t := thresholds(limit)
	l.caps.Store(uint64(t[0]) | uint64(t[1])<<capBits | uint64(t[2])<<(2*capBits))
	l.limitBits.Store(math.Float64bits(limit))
}

func (l *Limiter) capOf(lv int) int64 {
	return int64(l.caps.Load()>>(capBits*uint(lv))) & (1<<capBits - 1)
}

// now returns the time on the limiter's clock, in ns since it was built.
func (l *Limiter) now() int64 { return int64(rampart.Since(l.s.clock, l.base)) }

// Permit is a [Limiter]'s leave to run one call. It is a small value:
// getting and finishing one allocates nothing. Finish it exactly once,
// with Release, Drop, Ignore or Done; the zero Permit ignores all four.
type Permit struct {
	l     *Limiter
	start int64
}

// Acquire asks for leave to run one call with the priority ctx carries
// ([rampart.PriorityFrom]). It returns at once with a permit while fewer
// calls than the priority's threshold are in flight; otherwise, with a
// queue configured, it waits for a slot, at most until the queue's timeout
// or ctx's deadline, and never past the point where the call could no
// longer finish before that deadline. A rejection matches [ErrLimited] and
// [rampart.ErrRejected]; a ctx already done, or done while waiting, gives
// an error matching [ErrAbandoned] and ctx's error. ctx's deadline is read
// on the limiter's clock (Config.Clock).
//
// Admission takes no lock, and allocates nothing; waiting does both.
func (l *Limiter) Acquire(ctx context.Context) (Permit, error) {
	if ctx.Err() != nil {
		return Permit{}, abandoned(ctx)
	}
	lv := level(rampart.PriorityFrom(ctx))
	if p, ok := l.tryAcquire(lv); ok {
		return p, nil
	}
	return l.acquireSlow(ctx, lv)
}

// tryAcquire admits a call of level lv if its threshold allows and nobody
// waits ahead of it.
func (l *Limiter) tryAcquire(lv int) (Permit, bool) {
	limit := l.capOf(lv)
	for {
		n := l.inflight.Load()
		if n >= limit || l.waiting.Load() > 0 {
			return Permit{}, false
		}
		if l.inflight.CompareAndSwap(n, n+1) {
			l.admitted(n+1, limit)
			if st := l.stride.Load(); st > 1 && rand.Uint64()&uint64(st-1) != 0 {
				return Permit{l: l, start: unmeasured}, true
			}
			return Permit{l: l, start: l.now()}, true
		}
	}
}

// unmeasured is the start of a permit whose latency is not sampled.
const unmeasured = -1

// admitted notes that n calls are now in flight, against a threshold of
// limit.
func (l *Limiter) admitted(n, limit int64) {
	if n > l.peak.Load() {
		l.peak.Store(n)
	}
	if n >= limit && !l.saturated.Load() {
		l.saturated.Store(true)
	}
}

// reject counts a rejection and tells the observers.
func (l *Limiter) reject(e *RejectedError) error {
	l.rejected.Add(1)
	if !l.saturated.Load() {
		l.saturated.Store(true)
	}
	if len(l.s.observers) > 0 {
		rampart.Emit(l.s.observers, rampart.Event{
			Kind: rampart.EventRejected, Policy: l.s.name, Time: rampart.Now(l.s.clock),
			Reason: reasonName(e.reason), Delay: e.RetryAfter(), Err: e,
		})
	}
	return e
}

func reasonName(err error) string {
	switch err {
	case ErrQueueTimeout:
		return "queue_timeout"
	case ErrDeadline:
		return "deadline"
	case ErrShed:
		return "shed"
	}
	return "limit"
}

// Release finishes the permitted call and gives its latency to the
// limiter as a sample: the call was served, successfully or not, and its
// latency says how loaded the service is.
func (p Permit) Release() { p.finish(false, true) }

// Drop finishes the permitted call as a drop: the service refused it or
// timed out, a sign of overload that lowers the limit.
func (p Permit) Drop() { p.finish(true, true) }

// Ignore finishes the permitted call without a sample: its slot is freed
// but the limiter learns nothing from it (the caller gave up).
func (p Permit) Ignore() { p.finish(false, false) }

// Done finishes the permitted call with the error it returned: nil is a
// sample, an error the Config's IsDrop picks (by default a deadline or a
// rejection) is a drop, anything else a sample.
func (p Permit) Done(err error) {
	if err == nil {
		p.finish(false, true)
		return
	}
	p.finish(p.l != nil && p.l.isDrop(err), true)
}

// DoneContext is Done for a call made for ctx: an error caused by ctx's
// own cancellation finishes the call without a sample, as Ignore does.
func (p Permit) DoneContext(ctx context.Context, err error) {
	if err != nil && rampart.CausedByCaller(ctx, err) {
		p.finish(false, false)
		return
	}
	p.Done(err)
}

func (l *Limiter) isDrop(err error) bool {
	if l.s.isDrop != nil {
		return l.s.isDrop(err)
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, rampart.ErrRejected)
}

func (p Permit) finish(drop, measure bool) {
	l := p.l
	if l == nil {
		return
	}
	if p.start == unmeasured {
		l.inflight.Add(-1)
		if l.waiting.Load() > 0 {
			l.handoff(l.now())
		}
		return
	}
	now := l.now()
	l.inflight.Add(-1)
	if measure {
		rtt := now - p.start
		if l.s.timeout > 0 && rtt >= l.s.timeout {
			drop = true
		}
		if drop {
			l.drops.Add(1)
		} else {
			l.n.Add(1)
			l.sum.Add(rtt)
			for m := l.least.Load(); rtt < m && !l.least.CompareAndSwap(m, rtt); m = l.least.Load() {
			}
		}
	}
	if l.waiting.Load() > 0 {
		l.handoff(now)
	}
	if now >= l.windowEnd.Load() {
		l.closeWindow(now)
	}
}

// closeWindow moves the limit once the window has lasted Window and holds
// MinSamples samples (or a drop). A call finishing meanwhile may have its
// sample counted in the next window instead.
func (l *Limiter) closeWindow(now int64) {
	if !l.mu.TryLock() {
		return
	}
	defer l.mu.Unlock()
	if now < l.windowEnd.Load() {
		return
	}
	if l.n.Load() < l.s.minSamples && l.drops.Load() == 0 {
		return
	}
	w := sample{
		n:         l.n.Swap(0),
		drops:     l.drops.Swap(0),
		peak:      l.peak.Swap(l.inflight.Load()),
		saturated: l.saturated.Swap(false),
	}
	sum := l.sum.Swap(0)
	least := l.least.Swap(math.MaxInt64)
	if w.n > 0 {
		w.avg = float64(sum) / float64(w.n)
		w.min = float64(least)
	}
	l.st.limit = l.s.update(&l.st, w)
	l.setLimit(l.st.limit)
	if w.n > 0 {
		est := float64(l.est.Load())
		if est == 0 {
			est = w.avg
		}
		l.est.Store(int64((est + w.avg) / 2))
	}
	l.windowEnd.Store(addSat(now, l.s.window))
	if l.s.clock == nil {
		l.stride.Store(stride(w.n, l.stride.Load(), l.s.minSamples))
	}
}

// maxStride bounds the sampling of latencies: at least one call in 64 is
// measured.
const maxStride = 64

// stride returns how many calls to count per measured one in the next
// window, so that a window measures about 4 × MinSamples calls: reading the
// real clock costs more than the rest of Acquire and Release together, and
// a busy limiter does not need every call's latency to follow the service.
// A quiet one measures every call.
func stride(measured, old, minSamples int64) int64 {
	calls := measured * max(old, 1)
	st := int64(1)
	for st < maxStride && calls/(st*2) >= 4*minSamples {
		st *= 2
	}
	return st
}

// Execute implements [rampart.Policy]: it runs next with a permit from
// Acquire and finishes the permit with the call's outcome
// ([Permit.DoneContext]). A call whose context is already done is dropped
// before it runs, with an error matching [ErrAbandoned]; a rejection runs
// nothing and returns the [*RejectedError]. A panic in next releases the
// permit and is raised again.
func (l *Limiter) Execute(ctx context.Context, next rampart.Next) error {
	p, err := l.Acquire(ctx)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			p.Release()
		}
	}()
	err = next.Run(ctx)
	ok = true
	p.DoneContext(ctx, err)
	return err
}

// Do runs fn under the limiter; see [rampart.Do].
func (l *Limiter) Do(ctx context.Context, fn func(context.Context) error) error {
	return rampart.Do(ctx, l, fn)
}

// Snapshot is a limiter's state at one moment.
type Snapshot struct {
	// Name is the limiter's Config.Name.
	Name string
	// Limit is the current limit, rounded down (the threshold of
	// default-priority calls).
	Limit int
	// InFlight is how many permitted calls have not finished.
	InFlight int
	// Queued is how many calls wait in the queue.
	Queued int
	// Latency is the limiter's estimate of a call's latency: a moving
	// average over the last windows. Its queue's deadline checks and its
	// rejections' retry-after hints use it.
	Latency time.Duration
	// Rejected counts every rejection since the limiter was built.
	Rejected uint64
}

// Snapshot returns the limiter's state. It takes no lock.
func (l *Limiter) Snapshot() Snapshot {
	return Snapshot{
		Name:     l.s.name,
		Limit:    int(l.capOf(1)),
		InFlight: int(l.inflight.Load()),
		Queued:   int(l.waiting.Load()),
		Latency:  time.Duration(l.est.Load()),
		Rejected: uint64(l.rejected.Load()),
	}
}

// Limit returns the current limit, with its fraction.
func (l *Limiter) Limit() float64 { return math.Float64frombits(l.limitBits.Load()) }

// addSat returns a + b, both ≥ 0, saturating at math.MaxInt64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
