package ratelimit

import (
	"fmt"
	"math"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

// Mode says how a limiter spends its rate.
type Mode uint8

const (
	// Bursty, the default, lets up to Burst calls through at once after an
	// idle spell, then Rate per second: a token bucket of Burst tokens.
	Bursty Mode = iota
	// Smooth spaces calls evenly: no two are let through less than 1/Rate
	// apart, whatever the idle time before them, as uber-go/ratelimit
	// without slack and failsafe-go's smooth limiter. Burst must be 0 or 1.
	Smooth
)

// String returns "bursty" or "smooth".
func (m Mode) String() string {
	switch m {
	case Bursty:
		return "bursty"
	case Smooth:
		return "smooth"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// MarshalText implements [encoding.TextMarshaler].
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (m *Mode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "", "bursty":
		*m = Bursty
	case "smooth":
		*m = Smooth
	default:
		return fmt.Errorf("ratelimit: unknown mode %q (want \"bursty\" or \"smooth\")", b)
	}
	return nil
}

// Config configures a [Limiter]. Rate is required; the zero value of every
// other field means its documented default.
type Config struct {
	// Name identifies the limiter in events, snapshots and errors.
	// Default "ratelimit".
	Name string `json:"name,omitempty"`
	// Rate is the sustained number of calls let through per second.
	// Required, in (0, 1e9]. The interval between calls, 1/Rate, is kept in
	// whole nanoseconds, so rates above 1e6 per second are rounded by up
	// to 0.05 % (1e6) to 50 % (near 1e9).
	Rate float64 `json:"rate"`
	// Burst is how many calls may go through at once after an idle spell
	// (Bursty mode). Default 1. Rate and Burst together define the limit:
	// over any window of length w, at most Rate×w + Burst calls.
	Burst int `json:"burst,omitempty"`
	// Mode is Bursty (default) or Smooth.
	Mode Mode `json:"mode,omitempty"`
	// MaxWait is how long Execute (and Do) may wait for a token before
	// rejecting the call, within the caller's deadline. 0, the default,
	// rejects at once: a rate limiter in front of a server should shed, not
	// queue.
	MaxWait time.Duration `json:"max_wait,omitempty"`
	// Clock is the time source; nil means the real clock (see the package
	// documentation for its cost).
	Clock rampart.Clock `json:"-"`
	// Observers receive EventRejected for every call refused, with Delay
	// the time until a token is due.
	Observers []rampart.Observer `json:"-"`
}

// MarshalJSON writes the config with durations as strings ("250ms").
func (c Config) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads the config; durations may be strings ("250ms").
func (c *Config) UnmarshalJSON(b []byte) error { return config.Unmarshal("ratelimit", b, c) }

// maxSpan bounds Burst × interval, the longest stretch of time a limiter's
// state covers, so that sums of times never overflow an int64 (about 73
// years).
const maxSpan = 1 << 61

// gcraParams are the validated limits shared by [Limiter] and [Keyed].
type gcraParams struct {
	interval int64 // 1/Rate, in nanoseconds, ≥ 1
	limit    int64 // Burst × interval: how far ahead of now the state may run
	burst    int64
}

// params validates rate, burst and mode, naming fields as JSON keys where the
// config is read from JSON.
func params(pkg string, rate float64, burst int, mode Mode) (gcraParams, error) {
	switch {
	case math.IsNaN(rate) || math.IsInf(rate, 0):
		return gcraParams{}, config.Errorf(pkg, "Rate", "must be a finite number, got %v", rate)
	case !(rate > 0):
		return gcraParams{}, config.Errorf(pkg, "Rate", "must be > 0, got %v", rate)
	case rate > 1e9:
		return gcraParams{}, config.Errorf(pkg, "Rate", "must be at most 1e9 per second, got %v", rate)
	case burst < 0:
		return gcraParams{}, config.Errorf(pkg, "Burst", "must be >= 0, got %d", burst)
	case mode > Smooth:
		return gcraParams{}, config.Errorf(pkg, "Mode", "must be Bursty or Smooth, got %v", mode)
	case mode == Smooth && burst > 1:
		return gcraParams{}, config.Errorf(pkg, "Burst", "must be 0 or 1 in smooth mode, got %d", burst)
	}
	if burst == 0 {
		burst = 1
	}
	iv := math.Round(1e9 / rate)
	if iv > maxSpan || float64(burst) > maxSpan/iv {
		return gcraParams{}, config.Errorf(pkg, "Rate", "of %v with Burst %d spans more than %v", rate, burst, time.Duration(maxSpan))
	}
	interval := max(int64(iv), 1)
	return gcraParams{interval: interval, limit: int64(burst) * interval, burst: int64(burst)}, nil
}

// checkDuration rejects a negative duration in field.
func checkDuration(pkg, field string, d time.Duration) error {
	if d < 0 {
		return config.Errorf(pkg, field, "must be >= 0, got %v", d)
	}
	return nil
}
