package retry

import (
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

// Defaults of [RatioBudgetConfig].
const (
	DefaultRatio        = 0.1
	DefaultWindow       = 10 * time.Second
	DefaultMinPerSecond = 1.0
)

// RatioBudgetConfig configures a [RatioBudget]. The zero value is the
// default: retries at most 10% of calls over the last 10 seconds, plus one
// retry a second.
type RatioBudgetConfig struct {
	// Ratio is the most retries allowed per call, in (0, 10]. Default 0.1:
	// retries add at most 10% to the load, whatever the failure rate.
	Ratio float64 `json:"ratio,omitempty"`
	// Window is how far back calls and retries are counted. Default 10s,
	// long enough to smooth bursts, short enough to follow a change of
	// traffic.
	Window time.Duration `json:"window,omitempty"`
	// MinPerSecond is a floor of retries per second granted whatever the
	// traffic, so a quiet client can still retry a lone failure. Default
	// 1. Zero means the default; there is no way to set no floor other
	// than a tiny value.
	MinPerSecond float64 `json:"min_per_second,omitempty"`
	// Clock is the time source; nil is the real clock.
	Clock rampart.Clock `json:"-"`
}

// MarshalJSON writes the config with durations as strings.
func (c RatioBudgetConfig) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads the config; durations may be strings ("10s").
func (c *RatioBudgetConfig) UnmarshalJSON(data []byte) error {
	return config.Unmarshal("retry", data, c)
}

// ratioSlots is the number of buckets the window is cut into.
const ratioSlots = 10

// RatioBudget is a [Budget] that keeps retries below a fixed share of calls
// over a sliding window (as Finagle's RetryBudget does), with a small floor
// of retries per second. It counts calls, not outcomes: a retry is granted
// when retries + 1 ≤ Ratio·calls + MinPerSecond·Window over the window.
//
// The window is ten buckets of Window/10, each counter one atomic word that
// carries its bucket's number, so buckets roll over without locks. Counting
// a call reads the clock once and updates a shared word, which costs more
// than [TokenBucket]'s read-only success path; that is why the token
// bucket is the default. Concurrent TryRetry calls may overshoot the limit
// by the number of goroutines racing at its edge.
type RatioBudget struct {
	clock    rampart.Clock
	origin   time.Time
	width    time.Duration
	ratio    float64
	floor    float64
	requests [ratioSlots]atomic.Uint64
	retries  [ratioSlots]atomic.Uint64
}

// NewRatioBudget returns a ratio budget, or an error naming the first
// invalid field of c.
func NewRatioBudget(c RatioBudgetConfig) (*RatioBudget, error) {
	for _, f := range [...]struct {
		name string
		v    float64
	}{{"Ratio", c.Ratio}, {"MinPerSecond", c.MinPerSecond}} {
		if err := config.CheckFinite(pkg, f.name, f.v); err != nil {
			return nil, err
		}
	}
	if c.Ratio != 0 && !(c.Ratio > 0 && c.Ratio <= 10) {
		return nil, config.Errorf(pkg, "Ratio", "must be in (0, 10], got %v", c.Ratio)
	}
	if c.Ratio == 0 {
		c.Ratio = DefaultRatio
	}
	if c.Window < 0 || (c.Window > 0 && c.Window < ratioSlots*time.Millisecond) {
		return nil, config.Errorf(pkg, "Window", "must be at least 10ms, got %v", c.Window)
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.MinPerSecond < 0 || c.MinPerSecond > 1e9 {
		return nil, config.Errorf(pkg, "MinPerSecond", "must be in [0, 1e9], got %v", c.MinPerSecond)
	}
	if c.MinPerSecond == 0 {
		c.MinPerSecond = DefaultMinPerSecond
	}
	return &RatioBudget{
		clock:  c.Clock,
		origin: rampart.Now(c.Clock),
		width:  c.Window / ratioSlots,
		ratio:  c.Ratio,
		floor:  c.MinPerSecond * c.Window.Seconds(),
	}, nil
}

// epoch returns the number of the bucket the current time falls in.
//
// A counter's word keeps only the low 32 bits of its bucket's number, and
// the slot is chosen from the whole number, so a window that spans the
// moment those bits wrap keeps all its slots. A slot left untouched for 2³²
// buckets (50 days at the narrowest bucket of 1ms, 136 years at the
// default 1s) would be taken for a current one; any call landing in it in
// between resets it.
func (b *RatioBudget) epoch() uint64 {
	d := rampart.Since(b.clock, b.origin)
	if d < 0 {
		d = 0
	}
	return uint64(d / b.width)
}

// bump adds one to the counter w for bucket e, resetting it first if it
// still holds an older bucket's count.
func bump(w *atomic.Uint64, e uint64) {
	tag := uint32(e)
	for {
		old := w.Load()
		var n uint64
		if uint32(old>>32) != tag {
			n = uint64(tag)<<32 | 1
		} else if uint32(old) == ^uint32(0) {
			return
		} else {
			n = old + 1
		}
		if w.CompareAndSwap(old, n) {
			return
		}
	}
}

// sum returns the counts in the window ending with bucket e.
func sum(ws *[ratioSlots]atomic.Uint64, e uint64) float64 {
	var n uint64
	for i := range ws {
		w := ws[i].Load()
		if uint32(e)-uint32(w>>32) < ratioSlots {
			n += uint64(uint32(w))
		}
	}
	return float64(n)
}

// OnRequest counts a call.
func (b *RatioBudget) OnRequest() {
	e := b.epoch()
	bump(&b.requests[e%ratioSlots], e)
}

// OnSuccess does nothing: a ratio budget counts calls, not outcomes.
func (b *RatioBudget) OnSuccess() {}

// OnFailure does nothing: a ratio budget counts calls, not outcomes.
func (b *RatioBudget) OnFailure() {}

// TryRetry grants a retry if it keeps retries within Ratio·calls plus the
// floor over the window, and counts it.
func (b *RatioBudget) TryRetry() bool {
	e := b.epoch()
	if sum(&b.retries, e)+1 > b.ratio*sum(&b.requests, e)+b.floor {
		return false
	}
	bump(&b.retries[e%ratioSlots], e)
	return true
}

// Counts returns the calls and retries counted in the current window.
func (b *RatioBudget) Counts() (calls, retries int64) {
	e := b.epoch()
	return int64(sum(&b.requests, e)), int64(sum(&b.retries, e))
}
