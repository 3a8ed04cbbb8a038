package retry

import (
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

// Defaults of [Config].
const (
	DefaultMaxAttempts   = 3
	DefaultMaxRetryAfter = 30 * time.Second
)

// Config configures a retry [Policy]. The zero value is the safe default:
// 3 attempts in all, exponential backoff from 100ms with full jitter, a
// token-bucket budget of the policy's own, no limit of time other than the
// context's.
type Config struct {
	// Name identifies the policy in events, logs and metrics. Default
	// "retry".
	Name string `json:"name,omitempty"`

	// MaxAttempts is the most attempts a call makes, the first included;
	// 1 means no retries. Default 3.
	MaxAttempts int `json:"max_attempts,omitempty"`

	// MaxElapsed bounds the time from the start of a call to the start of
	// its last attempt: a wait that would end later is not started. Zero
	// means no bound other than the context's deadline. Setting it costs
	// one clock read per call, even when the first attempt succeeds.
	MaxElapsed time.Duration `json:"max_elapsed,omitempty"`

	// Backoff describes the delays between attempts. The zero value is
	// exponential from 100ms, doubling, capped at 10s, with full jitter.
	Backoff BackoffConfig `json:"backoff,omitempty"`

	// Strategy, when set, computes the delays instead of Backoff, which
	// must then be left zero.
	Strategy Backoff `json:"-"`

	// MaxRetryAfter is the longest server hint (see [rampart.RetryAfter])
	// the policy waits on. A failure whose hint is longer ends the call at
	// once: retrying sooner than the server asked is rude, and waiting
	// longer parks a caller that may have no deadline. Default 30s, which
	// honours usual Retry-After values but not the whole open period of a
	// circuit breaker.
	MaxRetryAfter time.Duration `json:"max_retry_after,omitempty"`

	// RetryAll retries every error: Permanent ones, ones the classifier
	// calls success or ignored, timeouts, rejections. With Jitter "none"
	// and DisableBudget it gives the naive retry loop, for comparisons; a
	// caller's context that is done still ends the loop.
	RetryAll bool `json:"retry_all,omitempty"`

	// Seed, when not zero, seeds the jitter's random source, so that a
	// single-threaded run (a simulation, a test) replays exactly. Zero
	// uses the runtime's lock-free generator.
	Seed uint64 `json:"seed,omitempty"`

	// Rand, when set, is the jitter's random source instead; it must be
	// safe for concurrent use if the policy is.
	Rand Rand `json:"-"`

	// Budget limits retries across calls; share one among the policies
	// that call the same destination (see [Budgets]). Nil means a
	// [TokenBucket] of the policy's own, configured by BudgetConfig.
	Budget Budget `json:"-"`

	// BudgetConfig configures the policy's own token bucket when Budget is
	// nil. The zero value is the default bucket.
	BudgetConfig TokenBucketConfig `json:"budget,omitempty"`

	// DisableBudget turns the retry budget off: every retry the other
	// rules allow is made. Only for comparisons and tests.
	DisableBudget bool `json:"disable_budget,omitempty"`

	// Classifier judges each attempt's error; only failures are retried
	// (and never a [rampart.Permanent] one). Nil means [rampart.Classify]:
	// any error except the caller's own cancellation.
	Classifier rampart.Classifier `json:"-"`

	// RetryOnResult, when set, is asked about the result of every attempt
	// of a call made with [rampart.Get] that returned no error; true
	// retries it. When attempts run out on such a result the call returns
	// that result with an [*ExhaustedError] wrapping [ErrRetryableResult].
	// Nil costs nothing: results are never looked at.
	RetryOnResult func(result any) bool `json:"-"`

	// Clock is the time source for waits, deadlines and events; nil is
	// the real clock. Context deadlines are compared with its time, so
	// with a manual clock set them from that clock's Now.
	Clock rampart.Clock `json:"-"`

	// Observers receive the policy's events: EventRetryScheduled,
	// EventRetriesExhausted, EventBudgetExhausted.
	Observers []rampart.Observer `json:"-"`
}

// MarshalJSON writes the config with durations as strings; fields that
// hold code (Strategy, Budget, Classifier, Clock, ...) are left out.
func (c Config) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads the config; durations may be strings ("250ms").
func (c *Config) UnmarshalJSON(data []byte) error {
	return config.Unmarshal("retry", data, c)
}

// validate returns c with defaults filled in, or an error naming the first
// invalid field.
func (c Config) validate() (Config, error) {
	if c.Name == "" {
		c.Name = "retry"
	}
	if c.MaxAttempts < 0 {
		return c, config.Errorf(pkg, "MaxAttempts", "must be ≥ 1, got %d", c.MaxAttempts)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxElapsed < 0 {
		return c, config.Errorf(pkg, "MaxElapsed", "must be ≥ 0, got %v", c.MaxElapsed)
	}
	if c.MaxRetryAfter < 0 {
		return c, config.Errorf(pkg, "MaxRetryAfter", "must be ≥ 0, got %v", c.MaxRetryAfter)
	}
	if c.MaxRetryAfter == 0 {
		c.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if c.Strategy != nil && c.Backoff != (BackoffConfig{}) {
		return c, config.Errorf(pkg, "Backoff", "must be left zero when Strategy is set, got %+v", c.Backoff)
	}
	if c.Budget != nil && c.DisableBudget {
		return c, config.Errorf(pkg, "DisableBudget", "must be false when Budget is set")
	}
	if c.Budget != nil && c.BudgetConfig != (TokenBucketConfig{}) {
		return c, config.Errorf(pkg, "BudgetConfig", "must be left zero when Budget is set, got %+v", c.BudgetConfig)
	}
	if c.Budget != nil {
		return c, nil
	}
	bc, err := c.BudgetConfig.withDefaults("BudgetConfig.")
	if err != nil {
		return c, err
	}
	c.BudgetConfig = bc
	return c, nil
}
