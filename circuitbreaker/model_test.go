package circuitbreaker_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

func rejection(err error) string {
	var oe *circuitbreaker.OpenError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &oe):
		return fmt.Sprintf("open %v", oe.RetryAfter())
	case errors.Is(err, circuitbreaker.ErrTooManyProbes):
		return "probes"
	case errors.Is(err, circuitbreaker.ErrIsolated):
		return "isolated"
	}
	return "unexpected " + err.Error()
}

var modelConfigs = []circuitbreaker.Config{
	{},
	{ConsecutiveFailures: 3, OpenDuration: 50 * time.Millisecond, OpenDurationMultiplier: 2, MaxOpenDuration: 300 * time.Millisecond, OpenDurationResetAfter: 200 * time.Millisecond},
	{FailureRateThreshold: 0.5, WindowSize: 8, MinimumCalls: 4, OpenDuration: 40 * time.Millisecond, HalfOpenMaxProbes: 3, HalfOpenSuccesses: 2, CountSuccesses: true},
	{FailureRateThreshold: 0.4, WindowDuration: 100 * time.Millisecond, WindowBuckets: 5, MinimumCalls: 3, OpenDuration: 30 * time.Millisecond, HalfOpenMaxProbes: 4, HalfOpenSuccesses: 3, HalfOpenFailureRate: 0.5},
	{SlowCallThreshold: 15 * time.Millisecond, SlowCallRateThreshold: 0.5, WindowSize: 6, ConsecutiveFailures: 4, OpenDuration: 20 * time.Millisecond, HalfOpenMaxProbes: 2, HalfOpenMaxDuration: 60 * time.Millisecond},
	{ConsecutiveFailures: 2, OpenDuration: 100 * time.Millisecond, MinOpenDuration: 20 * time.Millisecond, OpenDurationMultiplier: 1.5, MaxOpenDuration: 400 * time.Millisecond},
	{FailureRateThreshold: 0.3, SlowCallThreshold: 10 * time.Millisecond, WindowDuration: 50 * time.Millisecond, WindowBuckets: 7, MinimumCalls: 5, OpenDuration: 25 * time.Millisecond, OpenDurationMultiplier: 1.5, IgnoreRetryAfter: true, HalfOpenMaxProbes: 2, HalfOpenSuccesses: 3, HalfOpenFailureRate: 0.34, HalfOpenMaxDuration: 40 * time.Millisecond},
}

// TestBreakerMatchesReferenceModel runs long random sequences of calls,
// outcomes, durations, clock steps and manual operations against the breaker
// and against the reference model (model_ref_test.go), and compares state
// and snapshot after every step. Seeds are fixed: a failure replays exactly.
func TestBreakerMatchesReferenceModel(t *testing.T) {
	steps := 20000
	if testing.Short() {
		steps = 2000
	}
	for ci, cfg := range modelConfigs {
		for seed := uint64(1); seed <= 5; seed++ {
			t.Run(fmt.Sprintf("config=%d/seed=%d", ci, seed), func(t *testing.T) {
				runModel(t, cfg, seed, steps)
			})
		}
	}
}

func runModel(t *testing.T, cfg circuitbreaker.Config, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	clock := rampart.NewManualClock(t0)
	cfg.Clock = clock
	cb, err := circuitbreaker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(cfg)
	var held []*mpermit
	var log []string
	fail := func(format string, args ...any) {
		t.Helper()
		tail := log[max(0, len(log)-15):]
		t.Fatalf("seed %d step %d: "+format+"\nlast steps:\n  %v", append([]any{seed, len(log)}, append(args, tail)...)...)
	}
	for range steps {
		switch r := rng.IntN(100); {
		case r < 40 && len(held) < 12: // a call starts
			want, mp := m.allow()
			p, err := cb.Allow()
			got := rejection(err)
			log = append(log, "allow:"+want)
			if got != want {
				fail("Allow: got %q, want %q", got, want)
			}
			if mp != nil {
				mp.real = p
				held = append(held, mp)
			}
		case r < 80 && len(held) > 0: // a call ends
			i := rng.IntN(len(held))
			mp := held[i]
			held = append(held[:i], held[i+1:]...)
			var o string
			var err error
			var hint int64
			switch x := rng.IntN(10); {
			case x < 5:
				o = "S"
			case x < 9:
				o, err = "F", errBoom
				if rng.IntN(4) == 0 {
					hint = int64(rng.IntN(200)) * int64(time.Millisecond)
					err = rampart.WithRetryAfter(errBoom, time.Duration(hint))
				}
			default:
				o, err = "I", contextCanceled()
			}
			log = append(log, fmt.Sprintf("done:%s hint=%v gen=%d", o, time.Duration(hint), mp.gen))
			m.done(mp, o, hint)
			mp.real.Done(err)
		case r < 97: // time passes
			d := int64(rng.IntN(12)) * int64(time.Millisecond)
			log = append(log, fmt.Sprintf("advance:%v", time.Duration(d)))
			m.now += d
			clock.Advance(time.Duration(d))
		default: // an operator steps in
			op := []string{"open", "close", "reset", "isolate", "disable", "metrics"}[rng.IntN(6)]
			log = append(log, "manual:"+op)
			m.manual(op)
			switch op {
			case "open":
				cb.Open()
			case "close":
				cb.Close()
			case "reset":
				cb.Reset()
			case "isolate":
				cb.Isolate()
			case "disable":
				cb.Disable()
			case "metrics":
				cb.MetricsOnly()
			}
		}
		if got, want := cb.State(), m.state; got != want {
			fail("State: got %v, want %v", got, want)
		}
		got, want := cb.Snapshot(), m.snapshot()
		got.WouldTrip = false
		if got != want {
			fail("Snapshot:\n got %+v\nwant %+v", got, want)
		}
	}
}
