package adaptive

import (
	"math"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

// Algorithm names how a [Limiter] moves its limit.
type Algorithm string

// The algorithms. Their defaults are those Netflix's concurrency-limits
// publishes, with the changes listed in the package documentation.
const (
	// Gradient2 (the default) compares the window's average latency with
	// a baseline: limit × min(1, Tolerance × baseline / latency), plus
	// QueueSize of headroom while there is no queueing.
	Gradient2 Algorithm = "gradient2"
	// Vegas estimates the queue as limit × (1 − baseline / latency) and
	// keeps it between alpha = 3·log10(limit) and beta = 6·log10(limit).
	Vegas Algorithm = "vegas"
	// AIMD grows the limit by one a window while the limiter is in use,
	// and multiplies it by BackoffRatio after a window with a drop. It
	// reads no latency other than Timeout.
	AIMD Algorithm = "aimd"
)

// Config configures a [Limiter]. The zero value of every field means its
// documented default, so Config{} is a working Gradient2 limiter.
type Config struct {
	// Name identifies the limiter in events and snapshots. Default
	// "adaptive".
	Name string `json:"name,omitempty"`

	// Algorithm is "gradient2" (default), "vegas" or "aimd".
	Algorithm Algorithm `json:"algorithm,omitempty"`

	// InitialLimit is the limit before any measurement. Default 20.
	InitialLimit int `json:"initial_limit,omitempty"`
	// MinLimit is the floor of the limit. Default 20 for gradient2 and
	// aimd, 1 for vegas (the published defaults). Set it to the
	// concurrency the protected service surely handles: the limit never
	// goes below it, whatever the latency.
	MinLimit int `json:"min_limit,omitempty"`
	// MaxLimit is the ceiling of the limit. Default 200 for gradient2 and
	// aimd, 1000 for vegas. At most 100 000.
	MaxLimit int `json:"max_limit,omitempty"`

	// Window is the shortest time between two updates of the limit; an
	// update also waits for MinSamples samples. Default 100ms (Netflix's
	// windowed limit uses 1 s; a tenth of it lets the limit follow a
	// fault of a few seconds).
	Window time.Duration `json:"window,omitempty"`
	// MinSamples is how many samples a window needs. Default 10.
	MinSamples int `json:"min_samples,omitempty"`

	// Timeout makes a call that took at least this long count as a drop
	// (an overload signal), whatever its outcome. Default 5s for aimd,
	// 0 (off) for the others.
	Timeout time.Duration `json:"timeout,omitempty"`

	// Smoothing, in (0, 1], weighs a new limit against the old one:
	// limit = (1 − Smoothing) × old + Smoothing × new. Default 0.2 for
	// gradient2, 1 for vegas; aimd ignores it. Gradient2 smooths a rise,
	// and a fall after a drop, but lowers the limit for a rise in latency
	// at once.
	Smoothing float64 `json:"smoothing,omitempty"`
	// Tolerance, at least 1, is how much above the baseline the latency
	// may go before gradient2 lowers the limit. Default 1.5.
	Tolerance float64 `json:"tolerance,omitempty"`
	// QueueSize is gradient2's headroom: how much it adds to the limit
	// per window while the latency stays within Tolerance. Default 4.
	QueueSize float64 `json:"queue_size,omitempty"`
	// BackoffRatio, in (0, 1), multiplies the limit after a window with a
	// drop: aimd's decrease, and gradient2's. Default 0.9 for aimd, 0.5
	// for gradient2; vegas subtracts log10(limit) instead.
	BackoffRatio float64 `json:"backoff_ratio,omitempty"`

	// MaxQueue bounds the wait queue: a call that finds the limit reached
	// waits for a slot while fewer than MaxQueue calls wait. 0 (default)
	// means no queue: such a call is rejected at once.
	MaxQueue int `json:"max_queue,omitempty"`
	// QueueTarget is the CoDel target: how long a call may wait while the
	// queue has not been empty within QueueInterval (the limiter is
	// overloaded). Default 5ms.
	QueueTarget time.Duration `json:"queue_target,omitempty"`
	// QueueInterval is how long a call may wait while the queue has been
	// empty within the last QueueInterval. Default 100ms; at least
	// QueueTarget. A call whose context has a deadline waits less: never
	// past the point where the limiter's latency estimate no longer fits
	// before the deadline, so a caller whose timeout is QueueInterval is
	// not admitted too late to finish. (Measured in the simulator, with a
	// 100-ms client timeout: 50ms changed no figure by more than noise;
	// with 20ms, recovery after a 5-s outage took up to 20 s instead of
	// 0.)
	QueueInterval time.Duration `json:"queue_interval,omitempty"`
	// FIFO keeps the queue first in, first out under overload. By
	// default it turns last in, first out while the queue has not been
	// empty for QueueTarget, so the calls served are the freshest, whose
	// callers are likeliest to still be waiting: in the simulator, with a
	// 100-ms client timeout and a 60-ms service time, FIFO wasted a
	// quarter of the workers on calls that timed out while served.
	FIFO bool `json:"fifo,omitempty"`

	// IsDrop says whether a call's error is an overload signal (a drop)
	// rather than a sample of the latency. nil means: an error matching
	// [context.DeadlineExceeded] or [rampart.ErrRejected] that the
	// caller's own context did not cause.
	IsDrop func(err error) bool `json:"-"`

	// Clock is the source of time. nil means the real clock.
	Clock rampart.Clock `json:"-"`
	// Observers receive rejection events and limit changes.
	Observers []rampart.Observer `json:"-"`
}

// maxLimitCap bounds MaxLimit so that the per-priority thresholds fit in
// the packed word Acquire reads.
const maxLimitCap = 100_000

// settings is a validated Config with its defaults filled in.
type settings struct {
	name                                 string
	algo                                 Algorithm
	initial, min, max                    int
	window                               int64
	minSamples                           int64
	timeout                              int64
	smoothing, tolerance, queue, backoff float64
	maxQueue                             int
	target, interval                     int64
	fifo                                 bool
	isDrop                               func(error) bool
	clock                                rampart.Clock
	observers                            []rampart.Observer
}

func (c Config) settings() (settings, error) {
	s := settings{
		name:      c.Name,
		algo:      c.Algorithm,
		isDrop:    c.IsDrop,
		clock:     c.Clock,
		observers: append([]rampart.Observer(nil), c.Observers...),
		fifo:      c.FIFO,
	}
	if s.name == "" {
		s.name = "adaptive"
	}
	if s.algo == "" {
		s.algo = Gradient2
	}
	var defMin, defMax int
	var defSmooth, defBackoff float64
	var defTimeout time.Duration
	switch s.algo {
	case Gradient2:
		defMin, defMax, defSmooth, defBackoff = 20, 200, 0.2, 0.5
	case Vegas:
		defMin, defMax, defSmooth, defBackoff = 1, 1000, 1, 0.9
	case AIMD:
		defMin, defMax, defSmooth, defBackoff, defTimeout = 20, 200, 1, 0.9, 5*time.Second
	default:
		return s, errf("Algorithm", "algorithm", "must be %q, %q or %q, got %q", Gradient2, Vegas, AIMD, c.Algorithm)
	}
	var err error
	if s.min, err = intField(c.MinLimit, defMin, 1, maxLimitCap, "MinLimit", "min_limit"); err != nil {
		return s, err
	}
	if s.max, err = intField(c.MaxLimit, defMax, 1, maxLimitCap, "MaxLimit", "max_limit"); err != nil {
		return s, err
	}
	if c.MinLimit == 0 && s.min > s.max {
		s.min = s.max
	}
	if s.min > s.max {
		return s, errf("MinLimit", "min_limit", "must be at most MaxLimit (%d), got %d", s.max, s.min)
	}
	if s.initial, err = intField(c.InitialLimit, 20, 1, maxLimitCap, "InitialLimit", "initial_limit"); err != nil {
		return s, err
	}
	s.initial = min(max(s.initial, s.min), s.max)
	if c.InitialLimit != 0 && c.InitialLimit != s.initial {
		return s, errf("InitialLimit", "initial_limit", "must be within [MinLimit, MaxLimit] = [%d, %d], got %d", s.min, s.max, c.InitialLimit)
	}
	if s.window, err = durField(c.Window, 100*time.Millisecond, "Window", "window"); err != nil {
		return s, err
	}
	ms, err := intField(c.MinSamples, 10, 1, 1<<30, "MinSamples", "min_samples")
	if err != nil {
		return s, err
	}
	s.minSamples = int64(ms)
	if c.Timeout < 0 {
		return s, errf("Timeout", "timeout", "must be >= 0, got %v", c.Timeout)
	}
	s.timeout = int64(c.Timeout)
	if s.timeout == 0 {
		s.timeout = int64(defTimeout)
	}
	if s.smoothing, err = floatField(c.Smoothing, defSmooth, "Smoothing", "smoothing", func(v float64) bool { return v > 0 && v <= 1 }, "in (0, 1]"); err != nil {
		return s, err
	}
	if s.tolerance, err = floatField(c.Tolerance, 1.5, "Tolerance", "tolerance", func(v float64) bool { return v >= 1 && v <= 1000 }, "in [1, 1000]"); err != nil {
		return s, err
	}
	if s.queue, err = floatField(c.QueueSize, 4, "QueueSize", "queue_size", func(v float64) bool { return v > 0 && v <= maxLimitCap }, "in (0, 100000]"); err != nil {
		return s, err
	}
	if s.backoff, err = floatField(c.BackoffRatio, defBackoff, "BackoffRatio", "backoff_ratio", func(v float64) bool { return v > 0 && v < 1 }, "in (0, 1)"); err != nil {
		return s, err
	}
	if c.MaxQueue < 0 || c.MaxQueue > 1<<24 {
		return s, errf("MaxQueue", "max_queue", "must be in [0, %d], got %d", 1<<24, c.MaxQueue)
	}
	s.maxQueue = c.MaxQueue
	if s.target, err = durField(c.QueueTarget, 5*time.Millisecond, "QueueTarget", "queue_target"); err != nil {
		return s, err
	}
	if s.interval, err = durField(c.QueueInterval, 100*time.Millisecond, "QueueInterval", "queue_interval"); err != nil {
		return s, err
	}
	if s.interval < s.target {
		return s, errf("QueueInterval", "queue_interval", "must be at least QueueTarget (%v), got %v", time.Duration(s.target), time.Duration(s.interval))
	}
	return s, nil
}

func errf(field, key, format string, args ...any) error {
	return config.Errorf("adaptive", field+" ("+key+")", format, args...)
}

func intField(v, def, lo, hi int, field, key string) (int, error) {
	if v == 0 {
		return def, nil
	}
	if v < lo || v > hi {
		return 0, errf(field, key, "must be in [%d, %d], got %d", lo, hi, v)
	}
	return v, nil
}

func durField(v, def time.Duration, field, key string) (int64, error) {
	if v == 0 {
		return int64(def), nil
	}
	if v < 0 {
		return 0, errf(field, key, "must be > 0, got %v", v)
	}
	return int64(v), nil
}

func floatField(v, def float64, field, key string, ok func(float64) bool, want string) (float64, error) {
	if v == 0 {
		return def, nil
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || !ok(v) {
		return 0, errf(field, key, "must be %s, got %v", want, v)
	}
	return v, nil
}

// MarshalJSON writes c as JSON with durations as strings such as "100ms".
func (c Config) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads c from JSON; durations may be strings such as
// "100ms"; an unknown key is an error.
func (c *Config) UnmarshalJSON(data []byte) error { return config.Unmarshal("adaptive", data, c) }
