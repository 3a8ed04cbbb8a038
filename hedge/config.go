package hedge

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
	"github.com/rampart-go/rampart/retry"
)

const pkg = "hedge"

// Defaults of [Config].
const (
	DefaultQuantile   = 0.95
	DefaultMaxHedges  = 1
	DefaultMinSamples = 100
	DefaultWindow     = 1000
	// DefaultBudgetTokens is the size of a policy's own budget: a burst
	// of 50 hedges (half of it) before the long-run limit of about one
	// hedge per ten successful calls applies. Larger than a retry budget's
	// 10, because a straggling replica makes a burst of slow calls that
	// hedging exists to rescue; the whole destination slowing down still
	// drains it within a few dozen calls.
	DefaultBudgetTokens = 100.0
)

// Limits of [Config].
const (
	// MaxMaxHedges bounds Config.MaxHedges: each hedge is one more
	// goroutine and one more request downstream.
	MaxMaxHedges = 16
	// MaxWindow bounds Config.Window and Config.MinSamples.
	MaxWindow = 1 << 24
)

// Config configures a hedging [Policy]. The zero value hedges once, after
// the 95th percentile of recent latencies (no hedge until 100 calls have
// been seen), spending from a retry budget of its own.
type Config struct {
	// Name identifies the policy in events, logs and metrics. Default
	// "hedge".
	Name string `json:"name,omitempty"`

	// Delay is how long an attempt runs before the next one starts. With
	// Quantile zero and Delay set, the delay is fixed. With Quantile set,
	// the delay follows recent latencies and Delay is the one used until
	// MinSamples calls have been seen (zero: no hedge until then).
	// Negative is invalid.
	Delay time.Duration `json:"delay,omitempty"`

	// Quantile, in (0, 1), makes the delay that quantile of the latencies
	// of recent first attempts, so only the slowest 1-Quantile of calls
	// are hedged. Default 0.95 when Delay is zero; 0 with Delay set means
	// a fixed delay.
	Quantile float64 `json:"quantile,omitempty"`

	// MinSamples is how many latencies the policy needs before it trusts
	// its quantile, at most Window. Default 100 (or Window if smaller).
	MinSamples int `json:"min_samples,omitempty"`

	// Window is how many recent latencies the quantile is taken over: the
	// estimate covers the last Window to 2×Window calls, so it follows a
	// change of latency within about 2×Window calls. Default 1000.
	Window int `json:"window,omitempty"`

	// MaxHedges is the most attempts started beside the first, in
	// [1, 16]. Default 1.
	MaxHedges int `json:"max_hedges,omitempty"`

	// NonFatal reports whether a failed attempt lets the next hedge start
	// at once (as gRPC's nonFatalStatusCodes do) while the others keep
	// running. A fatal failure ends the call: the other attempts are
	// cancelled and the failure is returned. Nil means every failure is
	// non-fatal except a [rampart.Permanent] one, a rejection
	// ([rampart.ErrRejected]) and a missing function or policy
	// ([rampart.ErrNilFunc], [rampart.ErrNilPolicy]).
	NonFatal func(err error) bool `json:"-"`

	// Classifier judges each attempt's error: a success (or an ignored
	// outcome, such as the caller's own cancellation) ends the call as its
	// answer; a failure is fatal or not per NonFatal. Nil means
	// [rampart.Classify].
	Classifier rampart.Classifier `json:"-"`

	// Budget is the retry budget hedges spend from; share the one of the
	// retry policy calling the same destination (see [retry.Budgets]), so
	// retries and hedges together stay within it. Each hedge asks
	// TryRetry and, granted, counts the attempt it hedges as a failure
	// (OnFailure): an attempt slower than the delay did not answer in
	// time. A call that succeeds counts one OnSuccess. So with a
	// [retry.TokenBucket] hedges stop once the whole destination slows
	// down, and resume as successes earn tokens back. (Shared with a retry
	// policy around this one, a successful call is counted by both, so it
	// earns twice the bucket's TokenRatio.) Nil means a token bucket of
	// the policy's own, configured by BudgetConfig.
	Budget retry.Budget `json:"-"`

	// BudgetConfig configures the policy's own token bucket when Budget is
	// nil. The zero value is a bucket of [DefaultBudgetTokens] (100)
	// tokens, 0.1 earned per success, so hedges add at most about 10% to
	// the load in the long run.
	BudgetConfig retry.TokenBucketConfig `json:"budget,omitempty"`

	// DisableBudget lets every hedge the other rules allow start. Only for
	// comparisons and tests: a slow destination then gets up to
	// 1+MaxHedges times its load.
	DisableBudget bool `json:"disable_budget,omitempty"`

	// Clock is the time source for delays and latencies; nil is the real
	// clock.
	Clock rampart.Clock `json:"-"`

	// Observers receive EventHedge, EventHedgeWon and
	// EventBudgetExhausted.
	Observers []rampart.Observer `json:"-"`
}

// MarshalJSON writes the config with durations as strings; fields that
// hold code (NonFatal, Classifier, Budget, Clock, Observers) are left out.
func (c Config) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads the config; durations may be strings ("10ms").
func (c *Config) UnmarshalJSON(data []byte) error { return config.Unmarshal(pkg, data, c) }

// validate returns c with defaults filled in, or an error naming the first
// invalid field.
func (c Config) validate() (Config, error) {
	if c.Name == "" {
		c.Name = "hedge"
	}
	if c.Delay < 0 {
		return c, config.Errorf(pkg, "Delay", "must be ≥ 0, got %v", c.Delay)
	}
	if math.IsNaN(c.Quantile) || math.IsInf(c.Quantile, 0) || c.Quantile < 0 || c.Quantile >= 1 {
		return c, config.Errorf(pkg, "Quantile", "must be in (0, 1), got %v", c.Quantile)
	}
	if c.Quantile == 0 && c.Delay == 0 {
		c.Quantile = DefaultQuantile
	}
	if c.Window < 0 || c.Window > MaxWindow {
		return c, config.Errorf(pkg, "Window", "must be in [1, %d], got %d", MaxWindow, c.Window)
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.MinSamples < 0 || c.MinSamples > c.Window {
		// The estimate holds at least Window samples once warm, so a
		// larger minimum would switch it off at every turn of the window.
		return c, config.Errorf(pkg, "MinSamples", "must be in [1, Window (%d)], got %d", c.Window, c.MinSamples)
	}
	if c.MinSamples == 0 {
		c.MinSamples = min(DefaultMinSamples, c.Window)
	}
	if c.MaxHedges < 0 || c.MaxHedges > MaxMaxHedges {
		return c, config.Errorf(pkg, "MaxHedges", "must be in [1, %d], got %d", MaxMaxHedges, c.MaxHedges)
	}
	if c.MaxHedges == 0 {
		c.MaxHedges = DefaultMaxHedges
	}
	if c.Budget != nil && c.DisableBudget {
		return c, config.Errorf(pkg, "DisableBudget", "must be false when Budget is set")
	}
	if c.Budget != nil && c.BudgetConfig != (retry.TokenBucketConfig{}) {
		return c, config.Errorf(pkg, "BudgetConfig", "must be left zero when Budget is set, got %+v", c.BudgetConfig)
	}
	if c.Budget == nil && !c.DisableBudget {
		bc := c.BudgetConfig
		if bc.MaxTokens == 0 {
			bc.MaxTokens = DefaultBudgetTokens
		}
		b, err := retry.NewTokenBucket(bc)
		if err != nil {
			var ce *rampart.ConfigError
			if errors.As(err, &ce) {
				return c, config.Errorf(pkg, "BudgetConfig."+ce.Field, "%s", ce.Reason)
			}
			return c, err
		}
		c.Budget = b
	}
	if c.Budget == retry.NoBudget {
		c.Budget = nil
	}
	return c, nil
}

// nonFatal is the default [Config.NonFatal].
func nonFatal(err error) bool {
	return !rampart.IsPermanent(err) && !errors.Is(err, rampart.ErrRejected) &&
		!errors.Is(err, rampart.ErrNilFunc) && !errors.Is(err, rampart.ErrNilPolicy)
}

// judge says what an attempt's error means for the call: final (an answer
// to return: a success, an ignored outcome, a fatal failure) or not (a
// non-fatal failure: the next hedge may start at once). It calls user code,
// so never under the call's lock.
func (p *Policy) judge(ctx context.Context, err error) (final bool) {
	if err == nil && p.classifier == nil {
		return true
	}
	if rampart.ClassifyWith(p.classifier, ctx, err) != rampart.Failure {
		return true
	}
	if p.nonFatal == nil {
		return !nonFatal(err)
	}
	return !p.nonFatal(err)
}
