package rampartgrpc

import (
	"math"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/hedge"
	"github.com/rampart-go/rampart/retry"
)

// MaxAttempts is gRFC A6's cap on attempts, for retries and hedging alike:
// a larger maxAttempts is treated as 5.
const MaxAttempts = 5

// RetryPolicy is gRPC's service-config retryPolicy (gRFC A6) as plain
// data. Its Config gives the retry.Config that behaves as A6 describes.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt; at least 2, capped at 5.
	MaxAttempts int
	// InitialBackoff, MaxBackoff and BackoffMultiplier define A6's full
	// jitter: retry n waits uniform(0, min(InitialBackoff ·
	// BackoffMultiplier^(n-1), MaxBackoff)). Both durations must be
	// positive, the multiplier at least 1 (A6 asks only that it be
	// positive; rampart's backoff does not shrink).
	InitialBackoff    time.Duration
	MaxBackoff        time.Duration
	BackoffMultiplier float64
	// RetryableStatusCodes are given to the client with [WithRetryable];
	// RetryPolicy keeps them only to document the mapping.
	RetryableStatusCodes []codes.Code
}

// Config returns the retry.Config of p: MaxAttempts capped at 5, an
// exponential backoff with full jitter, and budget (nil: the policy's own
// default token bucket; see [RetryThrottling.Budget]).
func (p RetryPolicy) Config(budget retry.Budget) (retry.Config, error) {
	if p.MaxAttempts < 2 {
		return retry.Config{}, a6Error("MaxAttempts", "must be at least 2, got "+strconv.Itoa(p.MaxAttempts))
	}
	if p.InitialBackoff <= 0 || p.MaxBackoff <= 0 {
		return retry.Config{}, a6Error("InitialBackoff", "InitialBackoff and MaxBackoff must be positive")
	}
	if !(p.BackoffMultiplier >= 1) || math.IsInf(p.BackoffMultiplier, 0) {
		return retry.Config{}, a6Error("BackoffMultiplier", "must be a finite number ≥ 1")
	}
	return retry.Config{
		MaxAttempts: min(p.MaxAttempts, MaxAttempts),
		Backoff: retry.BackoffConfig{Kind: retry.KindExponential, Base: p.InitialBackoff,
			Multiplier: p.BackoffMultiplier, Max: p.MaxBackoff, Jitter: retry.JitterFull},
		Budget: budget,
	}, nil
}

// HedgingPolicy is gRPC's service-config hedgingPolicy (gRFC A6) as plain
// data. Its Config gives the hedge.Config that behaves as A6 describes,
// within what package hedge does (see the package documentation).
type HedgingPolicy struct {
	// MaxAttempts counts the first attempt; at least 2, capped at 5.
	MaxAttempts int
	// HedgingDelay is the wait before each hedge; zero sends all
	// attempts at once.
	HedgingDelay time.Duration
	// NonFatalStatusCodes let the next hedge start at once; any other
	// failure cancels every attempt.
	NonFatalStatusCodes []codes.Code
}

// Config returns the hedge.Config of p: a fixed delay, MaxAttempts-1
// hedges, [NonFatal] of its codes, and budget (nil: the policy's own).
func (p HedgingPolicy) Config(budget retry.Budget) (hedge.Config, error) {
	if p.MaxAttempts < 2 {
		return hedge.Config{}, a6Error("MaxAttempts", "must be at least 2, got "+strconv.Itoa(p.MaxAttempts))
	}
	if p.HedgingDelay < 0 {
		return hedge.Config{}, a6Error("HedgingDelay", "must not be negative")
	}
	d := p.HedgingDelay
	if d == 0 {
		d = 1 // hedge treats zero as "no fixed delay"; a nanosecond is at once
	}
	return hedge.Config{
		Delay:     d,
		MaxHedges: min(p.MaxAttempts, MaxAttempts) - 1,
		NonFatal:  NonFatal(p.NonFatalStatusCodes...),
		Budget:    budget,
	}, nil
}

// RetryThrottling is gRPC's service-config retryThrottling (gRFC A6):
// each failed attempt takes a token, each success gives back TokenRatio,
// and retries and hedges go only while more than MaxTokens/2 remain.
type RetryThrottling struct {
	// MaxTokens is in (0, 1000].
	MaxTokens float64
	// TokenRatio is positive; A6 keeps three decimal places, as does the
	// bucket.
	TokenRatio float64
}

// Budget returns a retry.TokenBucket with p's parameters, to share
// between the retry and hedging policies (and HTTP clients) of one
// destination.
func (p RetryThrottling) Budget() (*retry.TokenBucket, error) {
	if !(p.MaxTokens > 0 && p.MaxTokens <= 1000) {
		return nil, a6Error("MaxTokens", "must be in (0, 1000]")
	}
	if !(p.TokenRatio > 0) || math.IsInf(p.TokenRatio, 0) {
		return nil, a6Error("TokenRatio", "must be a positive finite number")
	}
	return retry.NewTokenBucket(retry.TokenBucketConfig{MaxTokens: p.MaxTokens, TokenRatio: min(p.TokenRatio, p.MaxTokens)})
}

func a6Error(field, reason string) error {
	return &rampart.ConfigError{Package: "rampartgrpc", Field: field, Reason: reason}
}
