package throttle

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
	"github.com/rampart-go/rampart/internal/fastrand"
)

// ErrThrottled matches every call the throttle refused locally. It also
// matches [rampart.ErrRejected], so retry policies do not retry it.
var ErrThrottled = errors.New("throttle: refused locally, the destination is rejecting calls")

type throttledError struct{}

func (throttledError) Error() string { return ErrThrottled.Error() }
func (throttledError) Is(target error) bool {
	return target == ErrThrottled || target == rampart.ErrRejected
}

var errThrottled error = throttledError{}

// Config configures a [Throttle]. The zero value of every field means its
// documented default.
type Config struct {
	// Name identifies the throttle in events and snapshots. Default
	// "throttle".
	Name string `json:"name,omitempty"`
	// K is the book's multiplier: the throttle refuses nothing while the
	// destination accepts at least 1/K of the requests. Default 2; at
	// least 1.
	K float64 `json:"k,omitempty"`
	// Window is the time constant over which requests and accepts are
	// counted: older ones weigh e^(−age/Window). Default 250ms. After a
	// total outage the book's formula lets through at most K times more
	// requests per Window (the accepts must climb back), so recovery takes
	// a few Windows: 250ms keeps it within about 2 s at 700 requests a
	// second, where 1 s took 5 s. The book suggests 2 minutes for a steady
	// fleet.
	Window time.Duration `json:"window,omitempty"`
	// MinSent is how many calls, per Window, the throttle lets through
	// however bad things look, so that it learns soon when the
	// destination is healthy again: the refusal probability is capped at
	// 1 − MinSent/requests. Below MinSent requests per Window the
	// throttle never refuses: a process that sends a few requests a
	// second has too little evidence to refuse on, and a throttle that
	// refuses on thin evidence stays stuck refusing long after the
	// destination has recovered (the simulator's sweep measured 12–88 s
	// with 200 clients of 3.5 requests a second each). Leave such callers
	// to a circuit breaker, or share one Throttle among them ([Group]).
	// Default 8: in the simulator's sweep, 4 left 50 clients of 14
	// requests a second each refusing about 1 % of calls for 34–54 s after
	// a fault; 8 recovers as retries alone do. At least 1.
	MinSent float64 `json:"min_sent,omitempty"`
	// Classifier judges whether the destination accepted a call: a
	// [rampart.Failure] is a rejection, anything else an accept. nil means
	// [rampart.Classify].
	Classifier rampart.Classifier `json:"-"`
	// Seed seeds the random draws, so a simulation replays exactly. 0
	// means the runtime's generator.
	Seed uint64 `json:"seed,omitempty"`
	// Clock is the source of time. nil means the real clock.
	Clock rampart.Clock `json:"-"`
	// Observers receive an event for each refusal.
	Observers []rampart.Observer `json:"-"`
}

// MarshalJSON writes c as JSON with durations as strings such as "250ms".
func (c Config) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads c from JSON; durations may be strings such as
// "250ms"; an unknown key is an error.
func (c *Config) UnmarshalJSON(data []byte) error { return config.Unmarshal("throttle", data, c) }

// Throttle is client-side adaptive throttling, as in the Google SRE book
// ("Handling Overload"): each request is refused locally with probability
//
//	max(0, (requests − K × accepts) / (requests + 1))
//
// where requests counts every request, the throttle's own refusals
// included, and accepts those the destination accepted, both over the last
// Window. Share one Throttle per destination among all its callers. It is
// safe for concurrent use.
type Throttle struct {
	requests atomic.Int64  // every request with its outcome, refusals included
	accepts  atomic.Int64  // requests the destination accepted
	prob     atomic.Uint64 // the refusal probability, as float64 bits
	stride   atomic.Int64  // fold the counts every stride requests
	refused  atomic.Int64

	rng       *fastrand.Source // nil: the runtime's generator
	name      string
	k, minS   float64
	tau       float64 // Window, in ns
	clock     rampart.Clock
	classify  rampart.Classifier
	observers []rampart.Observer
	base      time.Time

	mu               sync.Mutex
	last             int64   // when the counts were last folded, ns since base
	seenReq, seenAcc int64   // the counters at that time
	reqAvg, accAvg   float64 // the decayed counts
}

// New returns a throttle for c, or a [*rampart.ConfigError] naming the
// first invalid field.
func New(c Config) (*Throttle, error) {
	t := &Throttle{name: c.Name, k: c.K, minS: c.MinSent, clock: c.Clock, classify: c.Classifier,
		observers: append([]rampart.Observer(nil), c.Observers...)}
	if t.name == "" {
		t.name = "throttle"
	}
	switch {
	case t.k == 0:
		t.k = 2
	case math.IsNaN(t.k) || math.IsInf(t.k, 0) || t.k < 1 || t.k > 1e6:
		return nil, config.Errorf("throttle", "K (k)", "must be in [1, 1e6], got %v", c.K)
	}
	switch {
	case t.minS == 0:
		t.minS = 8
	case math.IsNaN(t.minS) || math.IsInf(t.minS, 0) || t.minS < 1 || t.minS > 1e9:
		return nil, config.Errorf("throttle", "MinSent (min_sent)", "must be in [1, 1e9], got %v", c.MinSent)
	}
	switch {
	case c.Window == 0:
		t.tau = float64(250 * time.Millisecond)
	case c.Window < 0:
		return nil, config.Errorf("throttle", "Window (window)", "must be > 0, got %v", c.Window)
	default:
		t.tau = float64(c.Window)
	}
	if c.Seed != 0 {
		t.rng = fastrand.New(c.Seed)
	}
	t.base = rampart.Now(t.clock)
	t.stride.Store(1)
	return t, nil
}

// Allow decides whether to send one request. Report the outcome of an
// allowed request with [Throttle.Record]; a refused one is counted as a
// request at once and needs nothing more.
//
// While the destination accepts enough, Allow is one atomic load: no
// lock, no clock, no random draw, no write.
func (t *Throttle) Allow() bool {
	p := math.Float64frombits(t.prob.Load())
	if p == 0 || t.draw() >= p {
		return true
	}
	t.refused.Add(1)
	t.count(t.requests.Add(1))
	if len(t.observers) > 0 {
		rampart.Emit(t.observers, rampart.Event{Kind: rampart.EventRejected, Policy: t.name,
			Time: rampart.Now(t.clock), Reason: "throttled", Err: errThrottled})
	}
	return false
}

// count folds the counts every stride requests.
func (t *Throttle) count(n int64) {
	if n&(t.stride.Load()-1) == 0 {
		t.fold()
	}
}

func (t *Throttle) draw() float64 {
	if t.rng != nil {
		return fastrand.Float64(t.rng.Uint64())
	}
	return fastrand.Float64(fastrand.Runtime{}.Uint64())
}

// Record reports whether the destination accepted an allowed request. The
// request is counted now, with its outcome, rather than when it was
// allowed: counted while in flight, requests would outnumber accepts by the
// calls under way, which at a few requests a second is enough to refuse
// calls to a healthy destination.
func (t *Throttle) Record(accepted bool) {
	if accepted {
		t.accepts.Add(1)
	}
	t.count(t.requests.Add(1))
}

// fold brings the decayed counts up to date and recomputes the refusal
// probability. It runs every stride requests; stride grows with the rate
// so that a fold happens about every Window/32 (the clock read costs more
// than the rest of Allow), and is 1 at low rates.
func (t *Throttle) fold() {
	if !t.mu.TryLock() {
		return
	}
	defer t.mu.Unlock()
	now := int64(rampart.Since(t.clock, t.base))
	req, acc := t.requests.Load(), t.accepts.Load()
	dReq, dAcc := req-t.seenReq, acc-t.seenAcc
	dt := now - t.last
	if dt < 0 {
		dt = 0
	}
	f := math.Exp(-float64(dt) / t.tau)
	// New counts arrived over dt: weigh them as if spread evenly, so a
	// fold's timing does not change the result much.
	w := 1.0
	if dt > 0 {
		x := float64(dt) / t.tau
		w = (1 - f) / x
	}
	t.reqAvg = t.reqAvg*f + float64(dReq)*w
	t.accAvg = t.accAvg*f + float64(dAcc)*w
	t.seenReq, t.seenAcc, t.last = req, acc, now
	p := max(0, (t.reqAvg-t.k*t.accAvg)/(t.reqAvg+1))
	if t.reqAvg > 0 {
		p = min(p, max(0, 1-t.minS/t.reqAvg))
	}
	t.prob.Store(math.Float64bits(p))
	// Fold about 32 times a Window.
	st := int64(1)
	// The rate is the decayed count over the Window, not dReq/dt: a burst
	// of outcomes at one instant (a queue's timeouts firing together)
	// would otherwise make the stride huge, and at a few requests a
	// second the next fold, and so the end of the refusals, would wait
	// for 1024 more requests.
	perFold := t.reqAvg / 32
	for st < 1024 && float64(st*2) <= perFold {
		st *= 2
	}
	t.stride.Store(st)
}

// Probability returns the current refusal probability.
func (t *Throttle) Probability() float64 { return math.Float64frombits(t.prob.Load()) }

// Execute implements [rampart.Policy]: a refused call returns an error
// matching [ErrThrottled] and [rampart.ErrRejected] without running; an
// allowed one runs, and its outcome is judged by the Classifier (a failure
// is a rejection by the destination; the caller's own cancellation counts
// as an accept, so a caller leaving never throttles a healthy destination).
func (t *Throttle) Execute(ctx context.Context, next rampart.Next) error {
	if !t.Allow() {
		return errThrottled
	}
	accepted := false
	defer func() { t.Record(accepted) }()
	err := next.Run(ctx)
	accepted = rampart.ClassifyWith(t.classify, ctx, err) != rampart.Failure
	return err
}

// Do runs fn under the throttle; see [rampart.Do].
func (t *Throttle) Do(ctx context.Context, fn func(context.Context) error) error {
	return rampart.Do(ctx, t, fn)
}

// Snapshot is a throttle's state at one moment.
type Snapshot struct {
	Name string
	// Probability is the current refusal probability.
	Probability float64
	// Requests and Accepts are the decayed counts as of the last update.
	Requests, Accepts float64
	// Refused counts every refusal since the throttle was built.
	Refused int64
}

// Snapshot returns the throttle's state.
func (t *Throttle) Snapshot() Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Snapshot{Name: t.name, Probability: t.Probability(), Requests: t.reqAvg, Accepts: t.accAvg, Refused: t.refused.Load()}
}

// Group holds one Throttle per destination, built from one Config on first
// use: the throttle is shared by every caller of a destination, as the
// book asks, so a process with many callers learns from all of them.
type Group struct {
	c Config
	m sync.Map // string → *Throttle
}

// NewGroup returns a group whose throttles are built from c, after
// checking c.
func NewGroup(c Config) (*Group, error) {
	if _, err := New(c); err != nil {
		return nil, err
	}
	return &Group{c: c}, nil
}

// For returns the throttle of destination dest.
func (g *Group) For(dest string) *Throttle {
	if t, ok := g.m.Load(dest); ok {
		return t.(*Throttle)
	}
	c := g.c
	if c.Name == "" {
		c.Name = "throttle"
	}
	c.Name += ":" + dest
	t, _ := New(c) // c was checked by NewGroup
	actual, _ := g.m.LoadOrStore(dest, t)
	return actual.(*Throttle)
}
