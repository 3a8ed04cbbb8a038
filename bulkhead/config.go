package bulkhead

import (
	"math"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

// Config configures a [Bulkhead]. MaxConcurrent is required; the zero value
// of every other field means its documented default.
type Config struct {
	// Name identifies the bulkhead in events, metrics and logs. Default
	// "bulkhead".
	Name string `json:"name,omitempty"`

	// MaxConcurrent is the most calls that run at once. Required, > 0.
	MaxConcurrent int `json:"max_concurrent"`

	// MaxQueue is the most calls that wait for a slot, first come first
	// served. Zero means no queue: a call that finds every slot taken is
	// rejected at once.
	MaxQueue int `json:"max_queue,omitempty"`

	// MaxWait bounds how long a call waits in the queue; the caller's
	// context bounds it too. Zero means only the context bounds it.
	MaxWait time.Duration `json:"max_wait,omitempty"`

	// MinTimeLeft is the least time the caller's deadline must leave for
	// a call to join the queue: a call whose context ends sooner is
	// rejected at once instead of waiting for a slot it could not use.
	// Zero means any deadline not yet passed is enough. Only calls that
	// would wait pay for the clock read.
	MinTimeLeft time.Duration `json:"min_time_left,omitempty"`

	// Clock is the time source for MaxWait and MinTimeLeft; nil means the
	// real clock.
	Clock rampart.Clock `json:"-"`

	// Observers receive [rampart.EventRejected] for every rejected call.
	Observers []rampart.Observer `json:"-"`
}

// MarshalJSON writes the config with durations as strings ("250ms").
func (c Config) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads the config; durations may be strings ("250ms").
func (c *Config) UnmarshalJSON(b []byte) error { return config.Unmarshal(pkg, b, c) }

const pkg = "bulkhead"

// maxLimit keeps MaxConcurrent and MaxQueue inside the 32-bit halves of
// the bulkhead's state word.
const maxLimit = math.MaxInt32

func (c Config) validate() (Config, error) {
	if c.MaxConcurrent <= 0 || c.MaxConcurrent > maxLimit {
		return c, config.Errorf(pkg, "MaxConcurrent", "(max_concurrent) must be in [1, %d], got %d", maxLimit, c.MaxConcurrent)
	}
	if c.MaxQueue < 0 || c.MaxQueue > maxLimit {
		return c, config.Errorf(pkg, "MaxQueue", "(max_queue) must be in [0, %d], got %d", maxLimit, c.MaxQueue)
	}
	if c.MaxWait < 0 {
		return c, config.Errorf(pkg, "MaxWait", "(max_wait) must be ≥ 0, got %v", c.MaxWait)
	}
	if c.MinTimeLeft < 0 {
		return c, config.Errorf(pkg, "MinTimeLeft", "(min_time_left) must be ≥ 0, got %v", c.MinTimeLeft)
	}
	if c.Name == "" {
		c.Name = pkg
	}
	return c, nil
}
