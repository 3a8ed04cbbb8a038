package circuitbreaker_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

// FuzzConfig builds breakers from arbitrary configurations: New either
// rejects the configuration with an error naming a field, or returns a
// breaker whose open durations stay within [OpenDuration, MaxOpenDuration]
// (never negative, whatever overflows) and whose rejections carry a hint in
// that range.
func FuzzConfig(f *testing.F) {
	f.Add(0, 0.0, int64(0), 0.0, 0, 0, int64(0), 0, int64(0), 0.0, int64(0), int64(0), 0, 0, 0.0, int64(0))
	f.Add(3, 0.5, int64(time.Second), 0.5, 10, 100, int64(0), 0, int64(time.Second), 2.0, int64(time.Minute), int64(0), 2, 1, 0.5, int64(time.Second))
	f.Add(0, math.NaN(), int64(0), math.Inf(1), 0, 0, int64(10*time.Second), 10, int64(math.MaxInt64), math.Inf(1), int64(0), int64(-1), 0, 0, math.Inf(-1), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, consec int, rate float64, slow int64, slowRate float64, minCalls, size int, dur int64, buckets int,
		open int64, mult float64, maxOpen, resetAfter int64, probes, successes int, probeRate float64, halfMax int64) {
		c := circuitbreaker.Config{
			ConsecutiveFailures: consec, FailureRateThreshold: rate, SlowCallThreshold: time.Duration(slow),
			SlowCallRateThreshold: slowRate, MinimumCalls: minCalls, WindowSize: size, WindowDuration: time.Duration(dur),
			WindowBuckets: buckets, OpenDuration: time.Duration(open), OpenDurationMultiplier: mult,
			MaxOpenDuration: time.Duration(maxOpen), OpenDurationResetAfter: time.Duration(resetAfter),
			HalfOpenMaxProbes: probes, HalfOpenSuccesses: successes, HalfOpenFailureRate: probeRate,
			HalfOpenMaxDuration: time.Duration(halfMax),
		}
		if c.WindowBuckets > 1000 || c.WindowSize > 10000 {
			return // valid but slow to build; the bounds are tested elsewhere
		}
		clock := rampart.NewManualClock(t0)
		c.Clock = clock
		cb, err := circuitbreaker.New(c)
		for _, v := range []float64{rate, slowRate, mult, probeRate} {
			if (math.IsNaN(v) || math.IsInf(v, 0)) && err == nil {
				t.Fatalf("New accepted a NaN or infinite float: %+v", c)
			}
		}
		if err != nil {
			var ce *rampart.ConfigError
			if !errors.As(err, &ce) || ce.Field == "" || !strings.Contains(err.Error(), ce.Field) {
				t.Fatalf("New: %v, want a ConfigError naming the field", err)
			}
			return
		}
		openDur := c.OpenDuration
		if openDur == 0 {
			openDur = 5 * time.Second
		}
		for round := range 4 {
			cb.Open()
			if round > 0 {
				cb.Close()
				for i := 0; i < 200 && cb.State() == circuitbreaker.StateClosed; i++ {
					p, err := cb.Allow()
					if err != nil {
						break
					}
					p.Done(errBoom)
				}
			}
			_, err := cb.Allow()
			var oe *circuitbreaker.OpenError
			if !errors.As(err, &oe) {
				if cb.State() == circuitbreaker.StateOpen {
					t.Fatalf("open breaker admitted a call or rejected with %v", err)
				}
				continue
			}
			d := oe.RetryAfter()
			if d <= 0 || d < min(openDur, time.Duration(math.MaxInt64)) && round == 0 {
				t.Fatalf("round %d: open for %v, want at least OpenDuration %v", round, d, openDur)
			}
			if c.MaxOpenDuration != 0 && d > c.MaxOpenDuration {
				t.Fatalf("round %d: open for %v, more than MaxOpenDuration %v", round, d, c.MaxOpenDuration)
			}
			if s := cb.Snapshot(); s.UntilHalfOpen < 0 {
				t.Fatalf("UntilHalfOpen %v", s.UntilHalfOpen)
			}
		}
	})
}
