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
// share it. A breaker takes about 1.5 KB, plus its window (see
// Config.WindowSize and Config.WindowBuckets): its counters are spread over
// cache lines so that calls on different cores do not contend.
type Breaker struct {
	// cur is the current epoch: state, generation and the counts of this
	// stretch of the state. It is the only shared word every call reads;
	// it is replaced, never modified in place, on every state change.
	cur atomic.Pointer[epoch]

	s    settings
	base time.Time // origin of the breaker's int64 times

	mu       sync.Mutex // serialises state changes; guards the fields below
	gen      uint64
	openings int // consecutive openings, for the open duration's growth

	rejected striped.Counter // every rejection adds to it, from any core
}

// epoch is one stretch of one state. A permit points to the epoch that
// admitted it, so an outcome that arrives after the state changed lands in
// a dead epoch and counts for nothing.
type epoch struct {
	b     *Breaker
	state State
	gen   uint64
	since int64 // when the epoch began

	// plain: Allow admits with nothing to do (closed or metrics-only, no
	// slow-call detection). stamp: Allow records the start time
	// (slow-call detection).
	plain, stamp bool
	// fast says how a plain success is recorded without classifying it
	// (closed or metrics-only, default classifier, no slow-call detection).
	fast fastPath

	count *window.Count // closed, metrics-only: count-based window
	debt  *atomic.Int64 // closed, metrics-only: zero while a success changes nothing in count (see window.Count.Debt)
	timed *window.Time  // closed, metrics-only: time-based window

	until   int64      // open: when the next call may probe
	openErr *OpenError // open: the rejection of every call until then

	_        [64]byte
	consec   atomic.Int64 // closed, metrics-only: current run of failures
	_        [56]byte
	inflight atomic.Int32 // half-open: probes running

	// half-open, guarded by b.mu
	probeOK, probeFailed, probeSlow int
}

// New returns a breaker configured by c, or a [*rampart.ConfigError] naming
// the first invalid field.
func New(c Config) (*Breaker, error) {
	s, err := c.settings()
	if err != nil {
		return nil, err
	}
	b := &Breaker{s: s, base: rampart.Now(s.clock)}
	var st State
	switch s.mode {
	case ModeDisabled:
		st = StateDisabled
	case ModeMetricsOnly:
		st = StateMetricsOnly
	case ModeIsolated:
		st = StateIsolated
	}
	b.cur.Store(b.newEpochLocked(st, 0))
	return b, nil
}

// Name returns Config.Name, or its default.
func (b *Breaker) Name() string { return b.s.name }

// State returns the breaker's current state. An open breaker whose open
// period has passed stays StateOpen until the next call moves it to
// half-open; [Breaker.Snapshot] reports the time left.
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
		return e.b.guard(ctx, fn, nil)
	}
	done := false
	defer func() {
		if !done {
			Permit{ep: e, fast: e.fast}.panicked()
		}
	}()
	err := fn(ctx)
	done = true
	switch {
	case err != nil:
		Permit{ep: e, fast: e.fast}.doneContext(ctx, err)
	case e.fast == fastCount:
		e.success()
	default:
		e.timedSuccess()
	}
	return err
}

// Execute implements [rampart.Policy]: it asks for a permit, runs next,
// and reports the outcome, judged with ctx (see [Permit.DoneContext]). A
// rejected call returns the rejection without running next.
//
// If next panics, the call is recorded as a failure ([rampart.ErrPanic]),
// its probe slot, if any, is freed, and the panic continues up the caller's
// goroutine.
func (b *Breaker) Execute(ctx context.Context, next rampart.Next) error {
	return b.guard(ctx, nil, &next)
}

// guard runs fn, or next when fn is nil, under the breaker.
func (b *Breaker) guard(ctx context.Context, fn func(context.Context) error, next *rampart.Next) error {
	// Allow and Done, by hand: the closed-state success path makes no
	// calls of its own.
	var p Permit
	if ep := b.cur.Load(); ep.plain {
		p = Permit{ep: ep, fast: ep.fast}
	} else {
		var err error
		if p, err = b.allowSlow(); err != nil {
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
		p.ep.success()
	} else {
		p.doneContext(ctx, err)
	}
	return err
}

// now returns the time on the breaker's clock as nanoseconds since New.
func (b *Breaker) now() int64 { return int64(rampart.Since(b.s.clock, b.base)) }

// timeAt turns one of the breaker's times back into a time.Time.
func (b *Breaker) timeAt(t int64) time.Time { return b.base.Add(time.Duration(t)) }

// newEpochLocked returns a fresh epoch of state st that began at now.
func (b *Breaker) newEpochLocked(st State, now int64) *epoch {
	b.gen++
	e := &epoch{b: b, state: st, gen: b.gen, since: now, debt: &noDebt}
	if st == StateClosed || st == StateMetricsOnly {
		s := &b.s
		switch {
		case s.windowSize != 0:
			e.count = window.NewCount(s.windowSize)
			e.debt = e.count.Debt()
		case s.bucketWidth != 0:
			e.timed = window.NewTime(s.bucketWidth, s.buckets)
		}
		e.stamp = s.slowThreshold != 0
		e.plain = !e.stamp
		if e.plain && s.classifier == nil {
			e.fast = fastCount
			if e.timed != nil {
				e.fast = fastTimed
			}
		}
	}
	return e
}

// noDebt is the debt of an epoch without a count-based window: always
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
