package retry

import (
	"math"
	"sync/atomic"

	"github.com/rampart-go/rampart/internal/config"
)

// Budget limits retries across many calls, so a struggling destination is
// not hit by a retry storm: when too many attempts fail, retries stop until
// successes earn them back. One budget is meant per destination and may be
// shared by every policy (and hedger) calling it. Implementations must be
// safe for concurrent use; those in this package are lock-free.
//
// A retry policy calls OnRequest when a call starts, OnSuccess or OnFailure
// as each attempt ends, and TryRetry before each retry. The first attempt
// is never refused.
type Budget interface {
	// OnRequest records a new call (its first attempt).
	OnRequest()
	// OnSuccess records an attempt that succeeded.
	OnSuccess()
	// OnFailure records an attempt that failed with an error the policy
	// would retry.
	OnFailure()
	// TryRetry asks for one retry and reports whether it is granted; a
	// granted retry is spent.
	TryRetry() bool
}

// Defaults of [TokenBucketConfig].
const (
	DefaultMaxTokens  = 10.0
	DefaultTokenRatio = 0.1
)

// TokenBucketConfig configures a [TokenBucket]. The zero value is the
// default: 10 tokens, 0.1 earned per success, no cost per retry.
type TokenBucketConfig struct {
	// MaxTokens is the bucket's size; it starts full. Retries are refused
	// while it holds MaxTokens/2 or less. Default 10, as in gRPC's retry
	// throttling: half of it, 5 failures, is the burst a healthy
	// destination may fail before retries stop. A budget is per client
	// process, so a fleet of N clients together gets N times that burst;
	// a small burst keeps a large fleet from storming a destination that
	// has just failed (the storm simulator's sweep shows 100 tokens
	// letting 200 clients hold an overload for 26 s where 10 recover in
	// 6 s).
	MaxTokens float64 `json:"max_tokens,omitempty"`
	// TokenRatio is what each success earns back, in (0, MaxTokens].
	// Default 0.1: once the burst is spent, retries continue only while
	// failures stay below about one in ten successes, so retries add at
	// most about 10% to the load on a struggling destination.
	TokenRatio float64 `json:"token_ratio,omitempty"`
	// RetryCost is what each granted retry spends on top of the failure
	// that caused it, as in the AWS SDK's retry quota (which charges 5 of
	// 500). Default 0, gRPC's rule: only failures spend.
	RetryCost float64 `json:"retry_cost,omitempty"`
}

// MarshalJSON writes the config as JSON.
func (c TokenBucketConfig) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads the config from JSON.
func (c *TokenBucketConfig) UnmarshalJSON(data []byte) error {
	return config.Unmarshal("retry", data, c)
}

func (c TokenBucketConfig) withDefaults(prefix string) (TokenBucketConfig, error) {
	for _, f := range [...]struct {
		name string
		v    float64
	}{{"MaxTokens", c.MaxTokens}, {"TokenRatio", c.TokenRatio}, {"RetryCost", c.RetryCost}} {
		if err := config.CheckFinite(pkg, prefix+f.name, f.v); err != nil {
			return c, err
		}
	}
	if c.MaxTokens != 0 && !(c.MaxTokens > 0 && c.MaxTokens <= 1e9) {
		return c, config.Errorf(pkg, prefix+"MaxTokens", "must be in (0, 1e9], got %v", c.MaxTokens)
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = DefaultMaxTokens
	}
	if c.TokenRatio != 0 && !(c.TokenRatio > 0 && c.TokenRatio <= c.MaxTokens) {
		return c, config.Errorf(pkg, prefix+"TokenRatio", "must be in (0, MaxTokens], got %v", c.TokenRatio)
	}
	if c.TokenRatio == 0 {
		c.TokenRatio = DefaultTokenRatio
	}
	if !(c.RetryCost >= 0 && c.RetryCost <= c.MaxTokens) {
		return c, config.Errorf(pkg, prefix+"RetryCost", "must be in [0, MaxTokens], got %v", c.RetryCost)
	}
	return c, nil
}

// TokenBucket is the default [Budget]: retry throttling as in gRPC (A6,
// "retryThrottling") with the AWS SDK's retry quota as an option. Every
// failure the policy would retry spends one token; every success earns
// TokenRatio back, up to MaxTokens; retries are refused while the bucket
// holds MaxTokens/2 or less. New calls are never refused.
//
// Tokens are kept in thousandths, as gRPC does, in one atomic word: no
// locks. A success on a full bucket reads that word and writes nothing, so
// a healthy destination's calls share the cache line without contending.
type TokenBucket struct {
	milli     atomic.Int64 // tokens × 1000
	max       int64
	threshold int64
	ratio     int64
	cost      int64
}

// NewTokenBucket returns a full bucket, or an error naming the first
// invalid field of c.
func NewTokenBucket(c TokenBucketConfig) (*TokenBucket, error) {
	c, err := c.withDefaults("")
	if err != nil {
		return nil, err
	}
	return newTokenBucket(c), nil
}

func newTokenBucket(c TokenBucketConfig) *TokenBucket {
	b := &TokenBucket{
		max:   milli(c.MaxTokens),
		ratio: max(milli(c.TokenRatio), 1),
		cost:  milli(c.RetryCost),
	}
	b.threshold = b.max / 2
	b.milli.Store(b.max)
	return b
}

func milli(f float64) int64 { return int64(math.Round(f * 1000)) }

// OnRequest does nothing: a token bucket counts attempts, not calls.
func (b *TokenBucket) OnRequest() {}

// OnSuccess earns TokenRatio tokens, up to MaxTokens. On a full bucket it
// only reads.
func (b *TokenBucket) OnSuccess() {
	if b.milli.Load() < b.max {
		b.earn()
	}
}

func (b *TokenBucket) earn() {
	for {
		old := b.milli.Load()
		n := min(old+b.ratio, b.max)
		if n == old || b.milli.CompareAndSwap(old, n) {
			return
		}
	}
}

// OnFailure spends one token, down to zero.
func (b *TokenBucket) OnFailure() { b.spend(1000) }

func (b *TokenBucket) spend(m int64) {
	for {
		old := b.milli.Load()
		n := max(old-m, 0)
		if n == old || b.milli.CompareAndSwap(old, n) {
			return
		}
	}
}

// TryRetry grants a retry while the bucket holds more than MaxTokens/2,
// spending RetryCost tokens if one is set.
func (b *TokenBucket) TryRetry() bool {
	for {
		old := b.milli.Load()
		if old <= b.threshold {
			return false
		}
		if b.cost == 0 {
			return true
		}
		if b.milli.CompareAndSwap(old, max(old-b.cost, 0)) {
			return true
		}
	}
}

// Tokens returns how many tokens the bucket holds now.
func (b *TokenBucket) Tokens() float64 { return float64(b.milli.Load()) / 1000 }

// noBudget grants every retry.
type noBudget struct{}

func (noBudget) OnRequest()     {}
func (noBudget) OnSuccess()     {}
func (noBudget) OnFailure()     {}
func (noBudget) TryRetry() bool { return true }

// NoBudget is a [Budget] that grants every retry, for comparisons with the
// unprotected retry loop. Setting [Config.DisableBudget] does the same.
var NoBudget Budget = noBudget{}
