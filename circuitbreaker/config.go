package circuitbreaker

import (
	"math"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

// Config configures a [Breaker]. The zero value of every field means the
// documented default, so Config{} is a working breaker: it opens after 5
// consecutive failures, stays open 5 s, then closes after one successful
// probe.
//
// # Trip conditions
//
// ConsecutiveFailures, FailureRateThreshold, SlowCallThreshold (with
// SlowCallRateThreshold) and TripFunc may be combined; each is off unless
// set, and the breaker trips when any of them holds. Only when none is set
// does ConsecutiveFailures default to 5. Conditions are judged when a failure
// or a slow call is recorded, never on a plain success: a breaker does not
// open on a call that went well.
//
// The rates are judged over a sliding window, either of the last WindowSize
// calls or, if WindowDuration is set, of the calls in the last
// WindowDuration; once it holds at least MinimumCalls calls.
type Config struct {
	// Name identifies the breaker in events, snapshots and errors.
	// Default "circuitbreaker".
	Name string `json:"name,omitempty"`

	// Mode is the state the breaker starts in: ModeNormal (closed, the
	// default), ModeDisabled, ModeMetricsOnly or ModeIsolated.
	Mode Mode `json:"mode,omitempty"`

	// ConsecutiveFailures trips the breaker after this many failures in a
	// row. 0 means off, unless no other trip condition is set: then 5.
	ConsecutiveFailures int `json:"consecutive_failures,omitempty"`

	// FailureRateThreshold trips the breaker when the share of failures in
	// the window reaches it, in (0, 1]. 0 means off.
	FailureRateThreshold float64 `json:"failure_rate_threshold,omitempty"`

	// SlowCallThreshold makes calls that take at least this long count as
	// slow (a slow call may still succeed). 0 means no call is slow. A
	// slow probe in half-open counts as a failed probe.
	SlowCallThreshold time.Duration `json:"slow_call_threshold,omitempty"`

	// SlowCallRateThreshold trips the breaker when the share of slow calls
	// in the window reaches it, in (0, 1]. Requires SlowCallThreshold.
	// Default 1 (every call in the window slow) when SlowCallThreshold is
	// set.
	SlowCallRateThreshold float64 `json:"slow_call_rate_threshold,omitempty"`

	// MinimumCalls is how many calls the window must hold before a rate is
	// judged. Default 10, or WindowSize if smaller. It does not gate
	// ConsecutiveFailures or TripFunc.
	MinimumCalls int `json:"minimum_calls,omitempty"`

	// TripFunc is a custom trip condition, called with the window's counts
	// each time a failure or slow call is recorded in closed state. It is
	// never called with a lock held, and may be called from several
	// goroutines at once. nil means none.
	TripFunc func(Counts) bool `json:"-"`

	// WindowSize is the length of a count-based window: the last
	// WindowSize calls. Default 100 when a window is needed (a rate
	// threshold or TripFunc is set) and WindowDuration is not set. At most
	// 1 000 000.
	WindowSize int `json:"window_size,omitempty"`

	// WindowDuration makes the window time-based: the calls of the last
	// WindowDuration, in WindowBuckets buckets. Cannot be combined with
	// WindowSize. 0 means a count-based window.
	WindowDuration time.Duration `json:"window_duration,omitempty"`

	// WindowBuckets is the number of buckets a time-based window is split
	// into; calls leave the window a bucket at a time. Default 10, at most
	// 10 000. Each bucket takes 40 bytes. Once calls on different cores
	// are seen contending, the buckets' call counters spread over cache
	// lines: 4 × GOMAXPROCS copies (at most 32) of 8 bytes a bucket,
	// rounded up to 128 bytes; made once and kept.
	WindowBuckets int `json:"window_buckets,omitempty"`

	// OpenDuration is how long the breaker stays open before it lets a
	// probe through. Default 5 s, as in Polly: long enough for a
	// struggling destination to drain its queue, short enough that a brief
	// fault does not turn into half a minute of rejections (the storm
	// simulator's sweep shows 30 s cutting goodput to 75% after a 5 s
	// fault, where 5 s keeps it above 95%). Use OpenDurationMultiplier to
	// back off further from a destination that stays down.
	OpenDuration time.Duration `json:"open_duration,omitempty"`

	// OpenDurationMultiplier grows the open duration with each consecutive
	// opening: the n-th lasts OpenDuration × OpenDurationMultiplier^(n-1),
	// capped at MaxOpenDuration. 0 or 1 means a fixed duration; otherwise
	// at least 1.
	OpenDurationMultiplier float64 `json:"open_duration_multiplier,omitempty"`

	// MaxOpenDuration caps the open duration, grown or lengthened by a
	// retry-after hint. Default 10 × OpenDuration; at least OpenDuration.
	MaxOpenDuration time.Duration `json:"max_open_duration,omitempty"`

	// OpenDurationResetAfter is how long the breaker must stay closed for
	// the growth to start again from OpenDuration. Default MaxOpenDuration.
	OpenDurationResetAfter time.Duration `json:"open_duration_reset_after,omitempty"`

	// IgnoreRetryAfter stops a retry-after hint on the failure that trips
	// the breaker (see [rampart.RetryAfter]) from lengthening the open
	// duration. By default the breaker stays open at least as long as the
	// hint, up to MaxOpenDuration.
	IgnoreRetryAfter bool `json:"ignore_retry_after,omitempty"`

	// MinOpenDuration lets a retry-after hint shorter than the open
	// duration shorten it: the breaker then stays open for the hint, but
	// at least MinOpenDuration. A destination that sheds load answers
	// with a short hint (rampart's adaptive limiter hints at one call's
	// latency), and a breaker that stayed open its full OpenDuration on
	// it would refuse every call for seconds after the shedding stopped.
	// 0 (the default) means a hint never shortens the open period. At
	// most OpenDuration; cannot be combined with IgnoreRetryAfter.
	MinOpenDuration time.Duration `json:"min_open_duration,omitempty"`

	// HalfOpenMaxProbes is how many probe calls a half-open breaker lets
	// run at once; others are rejected with [ErrTooManyProbes]. Default 1.
	HalfOpenMaxProbes int `json:"half_open_max_probes,omitempty"`

	// HalfOpenSuccesses is how many successful probes close the breaker.
	// Default HalfOpenMaxProbes.
	HalfOpenSuccesses int `json:"half_open_successes,omitempty"`

	// HalfOpenFailureRate, in (0, 1], tolerates some failed probes: the
	// breaker opens again only when, after at least HalfOpenSuccesses
	// probes, the share of failures among them reaches it, and closes once
	// HalfOpenSuccesses probes succeeded with the share below it. 0 (the
	// default) means the first failed probe opens the breaker again.
	HalfOpenFailureRate float64 `json:"half_open_failure_rate,omitempty"`

	// HalfOpenMaxDuration bounds the time in half-open: the first call
	// after it has passed opens the breaker again, as a failed probe
	// would, so a probe that hangs, or a permit from Allow never reported
	// with Done, cannot hold the breaker half-open. Default 1 minute,
	// longer than the timeouts a probe's call usually runs under.
	//
	// The probes still in flight when the bound reopens the breaker are
	// written off: they hold no slot in the next half-open period, and
	// their outcomes, whenever they arrive, count for nothing. So a hung
	// probe never pins the breaker again, and a slow one that finishes
	// during the next half-open period neither frees a slot there (which
	// would let an extra probe through) nor closes or reopens it.
	HalfOpenMaxDuration time.Duration `json:"half_open_max_duration,omitempty"`

	// CountSuccesses counts every success in [Snapshot].Totals. A
	// breaker with a time-based window counts them anyway, at no cost;
	// others keep no per-success count, because the closed success path
	// writes nothing to shared memory, and counting costs it an atomic
	// add (about 6 ns on a 2-core machine, doubling the call's cost).
	// Failures and rejections are always counted.
	CountSuccesses bool `json:"count_successes,omitempty"`

	// Classifier judges each outcome. nil means [rampart.Classify]:
	// nil is a success, the caller's own cancellation is ignored, anything
	// else is a failure. See [Permit.Done] for calls reported without a
	// context.
	Classifier rampart.Classifier `json:"-"`

	// Clock is the source of time. nil means the real clock, on which the
	// end of the open period is marked by a timer, so rejections read no
	// clock. With a Clock set, each rejection reads it (a custom clock need
	// not fire timers); so does a breaker that opens inside a
	// testing/synctest bubble, where a timer could not be reset from
	// outside the bubble nor fire after it ended.
	Clock rampart.Clock `json:"-"`

	// Observers receive state changes and rejections. They are never
	// called with a lock held, and may call back into the breaker.
	Observers []rampart.Observer `json:"-"`
}

// Counts are what the window holds, as given to Config.TripFunc.
type Counts struct {
	Calls    int64 // calls in the window (0 when the breaker has no window)
	Failures int64 // of which failed
	Slow     int64 // of which were slow (failed or not)

	// ConsecutiveFailures is the length of the current run of failures.
	ConsecutiveFailures int64
}

// FailureRate returns Failures / Calls, or 0 when there are no calls.
func (c Counts) FailureRate() float64 { return ratio(c.Failures, c.Calls) }

// SlowRate returns Slow / Calls, or 0 when there are no calls.
func (c Counts) SlowRate() float64 { return ratio(c.Slow, c.Calls) }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// MarshalJSON writes c as JSON, durations as strings such as "30s".
func (c Config) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads c from JSON; durations may be strings such as "30s".
// Unknown fields are an error.
func (c *Config) UnmarshalJSON(data []byte) error { return config.Unmarshal(pkg, data, c) }

const pkg = "circuitbreaker"

const (
	defaultName                = "circuitbreaker"
	defaultConsecutiveFailures = 5
	defaultWindowSize          = 100
	defaultWindowBuckets       = 10
	defaultMinimumCalls        = 10
	defaultOpenDuration        = 5 * time.Second
	defaultHalfOpenMaxDuration = time.Minute
	maxWindowSize              = 1_000_000
	maxWindowBuckets           = 10_000
)

// settings is a validated Config with its defaults filled in.
type settings struct {
	name             string
	consecutive      int64
	failureRate      float64
	slowThreshold    int64 // ns; 0 = no slow-call detection
	slowRate         float64
	minimumCalls     int64
	tripFunc         func(Counts) bool
	windowSize       int   // count window; 0 = none
	bucketWidth      int64 // time window, ns; 0 = none
	buckets          int
	openDuration     int64
	multiplier       float64
	maxOpenDuration  int64
	resetAfter       int64
	minOpenDuration  int64 // a shorter hint shortens the open period to at least this; 0 = never
	probeSuccesses   int
	probeFailureRate float64
	halfOpenMax      int64
	classifier       rampart.Classifier
	clock            rampart.Clock
	observers        []rampart.Observer
	// The small fields together, so that they share one word: the
	// settings are part of every breaker.
	maxProbes      int32
	mode           Mode
	retryAfter     bool
	countSuccesses bool
	needWindow     bool
}

func validRate(field string, v float64) error {
	if math.IsNaN(v) || v < 0 || v > 1 {
		return config.Errorf(pkg, field, "must be in (0, 1], or 0 for the default, got %v", v)
	}
	return nil
}

func nonNegative[T int | time.Duration](field string, v T) error {
	if v < 0 {
		return config.Errorf(pkg, field, "must not be negative, got %v", v)
	}
	return nil
}

func (c *Config) settings() (settings, error) {
	s := settings{
		name:       c.Name,
		mode:       c.Mode,
		tripFunc:   c.TripFunc,
		classifier: c.Classifier,
		clock:      c.Clock,
		observers:  append([]rampart.Observer(nil), c.Observers...),
		retryAfter: !c.IgnoreRetryAfter,
	}
	for _, err := range []error{
		nonNegative("ConsecutiveFailures", c.ConsecutiveFailures),
		validRate("FailureRateThreshold", c.FailureRateThreshold),
		nonNegative("SlowCallThreshold", c.SlowCallThreshold),
		validRate("SlowCallRateThreshold", c.SlowCallRateThreshold),
		nonNegative("MinimumCalls", c.MinimumCalls),
		nonNegative("WindowSize", c.WindowSize),
		nonNegative("WindowDuration", c.WindowDuration),
		nonNegative("WindowBuckets", c.WindowBuckets),
		nonNegative("OpenDuration", c.OpenDuration),
		nonNegative("MaxOpenDuration", c.MaxOpenDuration),
		nonNegative("OpenDurationResetAfter", c.OpenDurationResetAfter),
		nonNegative("MinOpenDuration", c.MinOpenDuration),
		nonNegative("HalfOpenMaxProbes", c.HalfOpenMaxProbes),
		nonNegative("HalfOpenSuccesses", c.HalfOpenSuccesses),
		validRate("HalfOpenFailureRate", c.HalfOpenFailureRate),
		nonNegative("HalfOpenMaxDuration", c.HalfOpenMaxDuration),
	} {
		if err != nil {
			return s, err
		}
	}
	if c.Mode > ModeIsolated {
		return s, config.Errorf(pkg, "Mode", "must be one of normal, disabled, metrics_only, isolated, got %v", c.Mode)
	}
	if s.name == "" {
		s.name = defaultName
	}

	// Trip conditions.
	s.consecutive = int64(c.ConsecutiveFailures)
	s.failureRate = c.FailureRateThreshold
	s.slowThreshold = int64(c.SlowCallThreshold)
	s.slowRate = c.SlowCallRateThreshold
	if s.slowRate != 0 && s.slowThreshold == 0 {
		return s, config.Errorf(pkg, "SlowCallRateThreshold", "needs SlowCallThreshold to be set, got %v", s.slowRate)
	}
	if s.slowThreshold != 0 && s.slowRate == 0 {
		s.slowRate = 1
	}
	if s.consecutive == 0 && s.failureRate == 0 && s.slowThreshold == 0 && s.tripFunc == nil {
		s.consecutive = defaultConsecutiveFailures
	}

	// Window.
	if c.WindowSize > maxWindowSize {
		return s, config.Errorf(pkg, "WindowSize", "must be at most %d, got %d", maxWindowSize, c.WindowSize)
	}
	if c.WindowDuration != 0 && c.WindowSize != 0 {
		return s, config.Errorf(pkg, "WindowDuration", "cannot be combined with WindowSize (%d): choose a time-based or a count-based window", c.WindowSize)
	}
	if c.WindowBuckets != 0 && c.WindowDuration == 0 {
		return s, config.Errorf(pkg, "WindowBuckets", "needs WindowDuration to be set, got %d", c.WindowBuckets)
	}
	if c.WindowBuckets > maxWindowBuckets {
		return s, config.Errorf(pkg, "WindowBuckets", "must be at most %d, got %d", maxWindowBuckets, c.WindowBuckets)
	}
	s.needWindow = c.WindowSize != 0 || c.WindowDuration != 0 || s.failureRate != 0 || s.slowThreshold != 0 || s.tripFunc != nil
	switch {
	case c.WindowDuration != 0:
		s.buckets = c.WindowBuckets
		if s.buckets == 0 {
			s.buckets = defaultWindowBuckets
		}
		s.bucketWidth = int64(c.WindowDuration) / int64(s.buckets)
		if s.bucketWidth == 0 {
			return s, config.Errorf(pkg, "WindowDuration", "must be at least WindowBuckets (%d) nanoseconds, got %v", s.buckets, c.WindowDuration)
		}
	case s.needWindow:
		s.windowSize = c.WindowSize
		if s.windowSize == 0 {
			s.windowSize = defaultWindowSize
		}
	}
	s.minimumCalls = int64(c.MinimumCalls)
	if s.minimumCalls == 0 {
		s.minimumCalls = defaultMinimumCalls
		if s.windowSize != 0 && s.windowSize < defaultMinimumCalls {
			s.minimumCalls = int64(s.windowSize)
		}
	} else if s.windowSize != 0 && c.MinimumCalls > s.windowSize {
		return s, config.Errorf(pkg, "MinimumCalls", "must be at most WindowSize (%d), got %d", s.windowSize, c.MinimumCalls)
	}

	// Open duration.
	s.openDuration = int64(c.OpenDuration)
	if s.openDuration == 0 {
		s.openDuration = int64(defaultOpenDuration)
	}
	s.multiplier = c.OpenDurationMultiplier
	if math.IsNaN(s.multiplier) || math.IsInf(s.multiplier, 0) || (s.multiplier != 0 && s.multiplier < 1) {
		return s, config.Errorf(pkg, "OpenDurationMultiplier", "must be at least 1, or 0 for a fixed duration, got %v", s.multiplier)
	}
	if s.multiplier == 0 {
		s.multiplier = 1
	}
	s.maxOpenDuration = int64(c.MaxOpenDuration)
	if s.maxOpenDuration == 0 {
		s.maxOpenDuration = satMul(s.openDuration, 10)
	} else if s.maxOpenDuration < s.openDuration {
		return s, config.Errorf(pkg, "MaxOpenDuration", "must be at least OpenDuration (%v), got %v", time.Duration(s.openDuration), c.MaxOpenDuration)
	}
	s.minOpenDuration = int64(c.MinOpenDuration)
	if s.minOpenDuration > s.openDuration {
		return s, config.Errorf(pkg, "MinOpenDuration", "must be at most OpenDuration (%v), got %v", time.Duration(s.openDuration), c.MinOpenDuration)
	}
	if s.minOpenDuration != 0 && c.IgnoreRetryAfter {
		return s, config.Errorf(pkg, "MinOpenDuration", "needs retry-after hints, but IgnoreRetryAfter is set")
	}
	s.resetAfter = int64(c.OpenDurationResetAfter)
	if s.resetAfter == 0 {
		s.resetAfter = s.maxOpenDuration
	}

	// Half-open.
	s.maxProbes = int32(c.HalfOpenMaxProbes)
	if c.HalfOpenMaxProbes > math.MaxInt32 {
		return s, config.Errorf(pkg, "HalfOpenMaxProbes", "must be at most %d, got %d", math.MaxInt32, c.HalfOpenMaxProbes)
	}
	if s.maxProbes == 0 {
		s.maxProbes = 1
	}
	s.probeSuccesses = c.HalfOpenSuccesses
	if s.probeSuccesses == 0 {
		s.probeSuccesses = int(s.maxProbes)
	}
	s.probeFailureRate = c.HalfOpenFailureRate
	s.halfOpenMax = int64(c.HalfOpenMaxDuration)
	if s.halfOpenMax == 0 {
		s.halfOpenMax = int64(defaultHalfOpenMaxDuration)
	}
	s.countSuccesses = c.CountSuccesses && s.bucketWidth == 0 // a time window counts them anyway
	return s, nil
}

func satMul(d int64, n int64) int64 {
	if d > math.MaxInt64/n {
		return math.MaxInt64
	}
	return d * n
}
