package circuitbreaker

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/striped"
	"github.com/rampart-go/rampart/internal/window"
)

// Breaker is a circuit breaker. It is safe for concurrent use by multiple
// goroutines. Build one with [New], once per protected dependency, and
// share it.
//
// # Memory
//
// A breaker takes about 530 bytes, plus its window (see Config.WindowSize
// and Config.WindowBuckets). Its state changes allocate nothing but the
// [*OpenError] of each opening: the window and the per-state bookkeeping
// are kept and reused. Counters that many cores write at once (rejections,
// the time window's calls) start as single words and spread over cache
// lines, sized to GOMAXPROCS, only once contention is seen.
type Breaker struct {
	// cur is the current epoch: the state and its bookkeeping. It is the
	// only shared word every call reads.
	cur atomic.Pointer[epoch]

	s    settings
	base time.Time // origin of the breaker's int64 times

	// The closed and metrics-only states' window, emptied on entering
	// either and reused.
	debt  *atomic.Int64
	count *window.Count
	timed *window.Time

	mu       sync.Mutex // serialises state changes; guards the fields below
	gen      uint64
	openings int // consecutive openings, for the open duration's growth
	epochs   [stateCount]*epoch
	timer    *time.Timer // real clock: ends the open period; made once, reused
	probesOK int64       // lifetime successful probes

	rejected  striped.Counter // every rejection adds to it, from any core
	failures  atomic.Int64    // lifetime failures recorded
	successes striped.Counter // lifetime successes, with Config.CountSuccesses
}

const stateCount = int(StateMetricsOnly) + 1

// epoch is the bookkeeping of one state. Each state has one epoch, made on
// first use and reused every time the breaker enters that state again: its
// generation tells the stretches apart. A permit carries the generation
// that admitted it, so an outcome that arrives after the state changed
// counts for nothing.
type epoch struct {
	b     *Breaker
	state State

	// plain: Allow admits with nothing to do (closed or metrics-only, no
	// slow-call detection). stamp: Allow records the start time
	// (slow-call detection).
	plain, stamp bool
	// fast says how a plain success is recorded without classifying it
	// (closed or metrics-only, default classifier, no slow-call detection).
	fast fastPath

	consec atomic.Int64  // closed, metrics-only: current run of failures
	debt   *atomic.Int64 // the breaker's, for the success path

	gen   atomic.Uint64 // generation of the current stretch
	since atomic.Int64  // when the stretch began

	// open
	due     atomic.Uint32 // dueWait, dueNow or dueClock
	until   atomic.Int64  // when the next call may probe
	openErr atomic.Pointer[OpenError]

	// half-open: the low 32 bits of the generation, then the probes in
	// flight; one word, so a stale permit can never take or free a slot
	// of a later stretch.
	slots atomic.Uint64
	// half-open, guarded by b.mu
	probeOK, probeFailed, probeSlow int
}

// How an open epoch learns that its period has ended.
const (
	dueWait  = iota // a timer will say: calls are rejected without reading the clock
	dueNow          // the timer fired: the next call probes
	dueClock        // no timer (a Clock is set, or a synctest bubble): each call reads the clock
)

// New returns a breaker configured by c, or a [*rampart.ConfigError] naming
// the first invalid field.
func New(c Config) (*Breaker, error) {
	s, err := c.settings()
	if err != nil {
		return nil, err
	}
	b := &Breaker{s: s, base: rampart.Now(s.clock)}
	b.debt = &noDebt
	switch {
	case s.windowSize != 0:
		b.count = window.NewCount(s.windowSize)
		b.debt = b.count.Debt()
	case s.bucketWidth != 0:
		b.timed = window.NewTime(s.bucketWidth, s.buckets)
	}
	var st State
	switch s.mode {
	case ModeDisabled:
		st = StateDisabled
	case ModeMetricsOnly:
		st = StateMetricsOnly
	case ModeIsolated:
		st = StateIsolated
	}
	b.cur.Store(b.armLocked(st, 0))
	return b, nil
}

// Name returns Config.Name, or its default.
func (b *Breaker) Name() string { return b.s.name }

// State returns the breaker's current state. An open breaker whose open
// period has passed stays StateOpen until the next call moves it to
// half-open; [Breaker.Snapshot] reports whether a probe is due.
func (b *Breaker) State() State { return b.cur.Load().state }

// Do runs fn under the breaker; see [rampart.Do]. It calls fn directly,
// without the pipeline plumbing of Execute.
func (b *Breaker) Do(ctx context.Context, fn func(context.Context) error) error {
	return b.cur.Load().do(ctx, fn)
}

// do is Do in epoch e. Its common case, the closed state when a plain
// success is recorded without classifying it (e.fast is set), is guard
// specialised: a smaller frame and no pipeline plumbing save about a fifth
// of the call's cost.
func (e *epoch) do(ctx context.Context, fn func(context.Context) error) error {
	if e.fast == fastNone || fn == nil {
		if fn == nil {
			return rampart.ErrNilFunc
		}
		if err := e.rejectOpen(); err != nil {
			return err
		}
		return e.b.guard(ctx, fn, nil)
	}
	gen := e.gen.Load()
	done := false
	defer func() {
		if !done {
			Permit{ep: e, gen: gen, fast: e.fast}.panicked()
		}
	}()
	err := fn(ctx)
	done = true
	switch {
	case err != nil:
		Permit{ep: e, gen: gen, fast: e.fast}.doneContext(ctx, err)
	case e.fast == fastCount:
		e.success(gen)
	default:
		e.timedSuccess(gen)
	}
	return err
}

// Execute implements [rampart.Policy]: it asks for a permit, runs next,
// and reports the outcome, judged with ctx (see [Permit.DoneContext]). A
// rejected call returns the rejection without running next.
//
// If next panics, the call is recorded as a failure ([rampart.ErrPanic]),
// its probe slot, if any, is freed, and the panic continues up the caller's
// goroutine. A panic in the classifier, or in a method of the error it
// judges, frees the probe slot too, and continues up the same way.
func (b *Breaker) Execute(ctx context.Context, next rampart.Next) error {
	return b.guard(ctx, nil, &next)
}

// guard runs fn, or next when fn is nil, under the breaker.
func (b *Breaker) guard(ctx context.Context, fn func(context.Context) error, next *rampart.Next) error {
	// Allow and Done, by hand: the closed-state success path makes no
	// calls of its own.
	var p Permit
	if ep := b.cur.Load(); ep.plain {
		p = Permit{ep: ep, gen: ep.gen.Load(), fast: ep.fast}
	} else {
		var err error
		if p, err = b.allowSlow(ep); err != nil {
			return err
		}
	}
	done := false
	defer func() {
		if !done {
			p.panicked()
		}
	}()
	var err error
	if fn != nil {
		err = fn(ctx)
	} else {
		err = next.Run(ctx)
	}
	done = true
	if err == nil && p.fast == fastCount {
		p.ep.success(p.gen)
	} else {
		p.doneContext(ctx, err)
	}
	return err
}

// now returns the time on the breaker's clock as nanoseconds since New.
func (b *Breaker) now() int64 { return int64(rampart.Since(b.s.clock, b.base)) }

// timeAt turns one of the breaker's times back into a time.Time.
func (b *Breaker) timeAt(t int64) time.Time { return b.base.Add(time.Duration(t)) }

// armLocked starts a new stretch of state st at now, in the state's epoch
// (made on first use), and returns the epoch for the caller to publish. The
// closed and metrics-only states start with an empty window.
func (b *Breaker) armLocked(st State, now int64) *epoch {
	b.gen++
	e := b.epochs[st]
	if e == nil {
		e = b.newEpoch(st)
		b.epochs[st] = e
	}
	switch st {
	case StateClosed, StateMetricsOnly:
		e.consec.Store(0)
		if b.count != nil {
			b.count.Reset()
		}
		if b.timed != nil {
			b.timed.Reset()
		}
	case StateHalfOpen:
		e.slots.Store(b.gen << 32)
		e.probeOK, e.probeFailed, e.probeSlow = 0, 0, 0
	}
	e.since.Store(now)
	e.gen.Store(b.gen)
	return e
}

// newEpoch returns the epoch of state st.
func (b *Breaker) newEpoch(st State) *epoch {
	e := &epoch{b: b, state: st, debt: b.debt}
	if st == StateClosed || st == StateMetricsOnly {
		e.stamp = b.s.slowThreshold != 0
		e.plain = !e.stamp
		if e.plain && b.s.classifier == nil && !b.s.countSuccesses {
			e.fast = fastCount
			if b.timed != nil {
				e.fast = fastTimed
			}
		}
	}
	return e
}

// live reports whether gen is the current stretch of e, e being current.
func (e *epoch) live(gen uint64) bool { return e.b.cur.Load() == e && e.gen.Load() == gen }

// noDebt is the debt of a breaker without a count-based window: always
// zero, never written.
var noDebt atomic.Int64

// emit passes e to the observers. Never called with b.mu held.
func (b *Breaker) emit(e rampart.Event) {
	if e.Kind == 0 {
		return
	}
	e.Policy = b.s.name
	rampart.Emit(b.s.observers, e)
}

// eventTime returns the current time for an event, reading the clock only
// when someone is listening.
func (b *Breaker) eventTime() (t time.Time) {
	if len(b.s.observers) != 0 {
		t = b.timeAt(b.now())
	}
	return t
}

func durationOf(ns int64) time.Duration { return time.Duration(ns) }
