package retry

import (
	"time"

	"github.com/rampart-go/rampart/internal/config"
)

// Kind names a backoff's growth: how the delay grows with each retry
// before jitter.
type Kind string

// Backoff kinds.
const (
	KindConstant    Kind = "constant"    // Base before every retry
	KindLinear      Kind = "linear"      // Base, Base+Step, Base+2·Step, …
	KindExponential Kind = "exponential" // Base, Base·Multiplier, Base·Multiplier², …
)

// Jitter names how randomness spreads the delays of clients that failed
// together, so they do not retry together.
type Jitter string

// Jitter modes. See the constructor each maps to for its formula.
const (
	JitterNone         Jitter = "none"         // the deterministic delay; only for comparisons and tests
	JitterFull         Jitter = "full"         // [FullJitter]
	JitterEqual        Jitter = "equal"        // [EqualJitter]
	JitterDecorrelated Jitter = "decorrelated" // [Decorrelated]: Base and Max only
	JitterSmooth       Jitter = "smooth"       // [SmoothDecorrelated]: Base is the first median
)

// Defaults of [BackoffConfig].
const (
	DefaultBase       = 100 * time.Millisecond
	DefaultMultiplier = 2.0
	DefaultMax        = 10 * time.Second
)

// BackoffConfig describes a backoff as plain data, so it can come from a
// file:
//
//	{"kind": "exponential", "base": "100ms", "multiplier": 2, "max": "10s", "jitter": "full"}
//
// The zero value is the default: exponential from 100ms, doubling, capped at
// 10s, with full jitter. [NewBackoff] builds the strategy it describes.
type BackoffConfig struct {
	// Kind is the growth: "constant", "linear" or "exponential". Default
	// "exponential". The decorrelated and smooth jitters define their own
	// growth and accept only "exponential".
	Kind Kind `json:"kind,omitempty"`
	// Base is the first delay before jitter (for smooth jitter, the
	// median of the first delay). Default 100ms.
	Base time.Duration `json:"base,omitempty"`
	// Step is what a linear backoff adds per retry. Default Base.
	Step time.Duration `json:"step,omitempty"`
	// Multiplier is an exponential backoff's growth factor, at least 1 and
	// finite.
	// Default 2. Decorrelated jitter always uses 3 (Brooker's formula) and
	// smooth jitter its own curve; both ignore it.
	Multiplier float64 `json:"multiplier,omitempty"`
	// Max caps every delay. Default 10s, or Base if Base is longer.
	Max time.Duration `json:"max,omitempty"`
	// Jitter is "none", "full", "equal", "decorrelated" or "smooth".
	// Default "full".
	Jitter Jitter `json:"jitter,omitempty"`
}

// MarshalJSON writes the config with durations as strings.
func (c BackoffConfig) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads the config; durations may be strings ("250ms").
func (c *BackoffConfig) UnmarshalJSON(data []byte) error {
	return config.Unmarshal("retry", data, c)
}

// withDefaults returns c with zero fields filled in and checks it. Errors
// name the field as prefix+Field.
func (c BackoffConfig) withDefaults(prefix string) (BackoffConfig, error) {
	if c.Kind == "" {
		c.Kind = KindExponential
	}
	switch c.Kind {
	case KindConstant, KindLinear, KindExponential:
	default:
		return c, config.Errorf(pkg, prefix+"Kind", "must be constant, linear or exponential, got %q", c.Kind)
	}
	if c.Base < 0 {
		return c, config.Errorf(pkg, prefix+"Base", "must be ≥ 0, got %v", c.Base)
	}
	if c.Base == 0 {
		c.Base = DefaultBase
	}
	if c.Step < 0 {
		return c, config.Errorf(pkg, prefix+"Step", "must be ≥ 0, got %v", c.Step)
	}
	if c.Step == 0 {
		c.Step = c.Base
	}
	if err := config.CheckFinite(pkg, prefix+"Multiplier", c.Multiplier); err != nil {
		return c, err
	}
	if c.Multiplier != 0 && !(c.Multiplier >= 1) {
		return c, config.Errorf(pkg, prefix+"Multiplier", "must be ≥ 1, got %v", c.Multiplier)
	}
	if c.Multiplier == 0 {
		c.Multiplier = DefaultMultiplier
	}
	if c.Max < 0 {
		return c, config.Errorf(pkg, prefix+"Max", "must be ≥ 0, got %v", c.Max)
	}
	if c.Max == 0 {
		c.Max = max(DefaultMax, c.Base)
	}
	if c.Max < c.Base {
		return c, config.Errorf(pkg, prefix+"Max", "must be ≥ Base (%v), got %v", c.Base, c.Max)
	}
	if c.Jitter == "" {
		c.Jitter = JitterFull
	}
	switch c.Jitter {
	case JitterNone, JitterFull, JitterEqual:
	case JitterDecorrelated, JitterSmooth:
		if c.Kind != KindExponential {
			return c, config.Errorf(pkg, prefix+"Jitter", "%q needs kind exponential, got kind %q", c.Jitter, c.Kind)
		}
	default:
		return c, config.Errorf(pkg, prefix+"Jitter", "must be none, full, equal, decorrelated or smooth, got %q", c.Jitter)
	}
	return c, nil
}

// NewBackoff builds the strategy c describes, or returns an error naming
// the first invalid field.
func NewBackoff(c BackoffConfig) (Backoff, error) {
	return newBackoff(c, "")
}

func newBackoff(c BackoffConfig, prefix string) (Backoff, error) {
	c, err := c.withDefaults(prefix)
	if err != nil {
		return nil, err
	}
	var b Backoff
	switch c.Kind {
	case KindConstant:
		b = Constant(c.Base)
	case KindLinear:
		b = Linear(c.Base, c.Step, c.Max)
	default:
		b = Exponential(c.Base, c.Multiplier, c.Max)
	}
	switch c.Jitter {
	case JitterFull:
		b = FullJitter(b)
	case JitterEqual:
		b = EqualJitter(b)
	case JitterDecorrelated:
		b = Decorrelated(c.Base, c.Max)
	case JitterSmooth:
		b = SmoothDecorrelated(c.Base, c.Max)
	}
	return b, nil
}
