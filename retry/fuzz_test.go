package retry_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

// These fuzz tests attack each config's validation: New either returns an
// error naming a field of the config, or a policy (budget, backoff) whose
// delays and decisions stay in range. Their seed corpora run in plain
// `go test`; `go test -fuzz FuzzConfig ./retry` explores further.

var (
	kinds   = []retry.Kind{"", retry.KindConstant, retry.KindLinear, retry.KindExponential, "cubic"}
	jitters = []retry.Jitter{"", retry.JitterNone, retry.JitterFull, retry.JitterEqual, retry.JitterDecorrelated, retry.JitterSmooth, "wild"}
	reasons = []string{retry.ReasonAttempts, retry.ReasonDeadline, retry.ReasonMaxElapsed, retry.ReasonRetryAfter,
		retry.ReasonBudget, retry.ReasonNotRetryable, retry.ReasonCanceled}
)

// checkConfigError fails t unless err is a ConfigError of package retry
// naming one of fields.
func checkConfigError(t *testing.T, err error, fields ...string) {
	t.Helper()
	var ce *rampart.ConfigError
	if !errors.As(err, &ce) || ce.Package != "retry" || !slices.Contains(fields, ce.Field) {
		t.Fatalf("error %v: want a retry ConfigError naming one of %v", err, fields)
	}
}

var backoffFields = []string{"Kind", "Base", "Step", "Multiplier", "Max", "Jitter"}

func prefixed(prefix string, fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = prefix + f
	}
	return out
}

// delayBound is the longest delay a valid backoff config may give.
func delayBound(c retry.BackoffConfig) time.Duration {
	if c.Max > 0 {
		return c.Max
	}
	base := c.Base
	if base == 0 {
		base = retry.DefaultBase
	}
	return max(retry.DefaultMax, base)
}

func backoffConfig(kind, jitter uint8, base, step int64, mult float64, maxDelay int64) retry.BackoffConfig {
	return retry.BackoffConfig{
		Kind:       kinds[int(kind)%len(kinds)],
		Base:       time.Duration(base),
		Step:       time.Duration(step),
		Multiplier: mult,
		Max:        time.Duration(maxDelay),
		Jitter:     jitters[int(jitter)%len(jitters)],
	}
}

func FuzzBackoffConfig(f *testing.F) {
	f.Add(uint8(0), uint8(0), int64(0), int64(0), 0.0, int64(0), uint64(1))
	f.Add(uint8(3), uint8(2), int64(time.Millisecond), int64(0), math.Inf(1), int64(0), uint64(2))
	f.Add(uint8(3), uint8(5), int64(math.MaxInt64), int64(0), math.NaN(), int64(math.MaxInt64), uint64(3))
	f.Add(uint8(2), uint8(1), int64(time.Second), int64(math.MaxInt64), 1.0, int64(math.MaxInt64), uint64(4))
	f.Add(uint8(3), uint8(4), int64(1), int64(-1), 1e308, int64(-5), uint64(5))
	f.Add(uint8(1), uint8(6), int64(-1), int64(1), -math.MaxFloat64, int64(1), uint64(6))
	f.Add(uint8(3), uint8(5), int64(math.MaxInt64/2), int64(0), 1e300, int64(0), uint64(7))
	f.Fuzz(func(t *testing.T, kind, jitter uint8, base, step int64, mult float64, maxDelay int64, seed uint64) {
		c := backoffConfig(kind, jitter, base, step, mult, maxDelay)
		b, err := retry.NewBackoff(c)
		if err != nil {
			checkConfigError(t, err, backoffFields...)
			return
		}
		r := &seq{n: seed}
		var st retry.BackoffState
		bound := delayBound(c)
		for n := 1; n <= 70; n++ {
			var d time.Duration
			d, st = b.Delay(n, st, r)
			if d < 0 || d > bound {
				t.Fatalf("%+v: delay %d = %v, want within [0, %v]", c, n, d, bound)
			}
		}
	})
}

// seq is a deterministic Rand for the fuzz tests.
type seq struct{ n uint64 }

func (s *seq) Uint64() uint64 {
	s.n = s.n*6364136223846793005 + 1442695040888963407
	return s.n
}

func FuzzConfig(f *testing.F) {
	f.Add(0, int64(0), int64(0), uint8(0), uint8(0), int64(0), int64(0), 0.0, int64(0), 0.0, 0.0, 0.0, int64(0), int64(0))
	f.Add(5, int64(time.Second), int64(time.Second), uint8(3), uint8(1), int64(time.Millisecond), int64(0), 2.0, int64(time.Second), 10.0, 1.0, 0.5, int64(0), int64(time.Minute))
	f.Add(-1, int64(-1), int64(-1), uint8(0), uint8(0), int64(0), int64(0), math.NaN(), int64(0), math.NaN(), math.NaN(), math.NaN(), int64(-1), int64(-1))
	f.Add(math.MaxInt, int64(math.MaxInt64), int64(math.MaxInt64), uint8(3), uint8(4), int64(math.MaxInt64), int64(0), 0.0, int64(0), 1e9, 1e9, 1e9, int64(math.MaxInt64), int64(math.MaxInt64))
	f.Add(3, int64(0), int64(0), uint8(3), uint8(1), int64(0), int64(0), math.Inf(1), int64(0), math.Inf(1), math.Inf(-1), math.Inf(1), int64(0), int64(0))
	f.Add(40, int64(0), int64(time.Hour), uint8(2), uint8(2), int64(time.Millisecond), int64(time.Millisecond), 0.0, int64(0), 2.0, 2.0, 0.0, int64(time.Minute), int64(0))
	f.Add(8, int64(0), int64(0), uint8(3), uint8(5), int64(time.Millisecond), int64(0), 0.0, int64(0), 0.0, 0.0, 0.0, int64(-time.Second), int64(time.Second))
	f.Fuzz(func(t *testing.T, attempts int, maxElapsed, maxRetryAfter int64, kind, jitter uint8, base, step int64,
		mult float64, maxDelay int64, maxTokens, tokenRatio, retryCost float64, hint, deadlineIn int64) {
		c := retry.Config{
			MaxAttempts:   attempts,
			MaxElapsed:    time.Duration(maxElapsed),
			MaxRetryAfter: time.Duration(maxRetryAfter),
			Backoff:       backoffConfig(kind, jitter, base, step, mult, maxDelay),
			BudgetConfig:  retry.TokenBucketConfig{MaxTokens: maxTokens, TokenRatio: tokenRatio, RetryCost: retryCost},
			Rand:          &seq{n: uint64(base)},
		}
		p, err := retry.New(c)
		if err != nil {
			checkConfigError(t, err, append(append([]string{"MaxAttempts", "MaxElapsed", "MaxRetryAfter"},
				prefixed("Backoff.", backoffFields)...),
				prefixed("BudgetConfig.", []string{"MaxTokens", "TokenRatio", "RetryCost"})...)...)
			return
		}
		maxAttempts := cmp(attempts, retry.DefaultMaxAttempts)
		maxHint := time.Duration(cmp(maxRetryAfter, int64(retry.DefaultMaxRetryAfter)))
		maxTok := cmp(maxTokens, retry.DefaultMaxTokens)
		bucket := p.Budget().(*retry.TokenBucket)
		now := time.Unix(1e9, 0)
		var deadline time.Time
		if deadlineIn > 0 {
			deadline = now.Add(time.Duration(deadlineIn))
		}
		cause := rampart.WithRetryAfter(errTransient, time.Duration(hint))
		call := p.Begin(now, deadline)
		for n := 1; n <= min(maxAttempts, 64); n++ {
			d := call.Failed(context.Background(), cause, now)
			if tok := bucket.Tokens(); !(tok >= 0 && tok <= maxTok) {
				t.Fatalf("budget holds %v tokens, want within [0, %v]", tok, maxTok)
			}
			if !d.Retry {
				if d.Err == nil || !slices.Contains(reasons, d.Reason) {
					t.Fatalf("attempt %d: stop with %v, reason %q", n, d.Err, d.Reason)
				}
				return
			}
			if d.Attempt != n+1 || d.Attempt > maxAttempts {
				t.Fatalf("attempt %d: scheduled attempt %d of %d", n, d.Attempt, maxAttempts)
			}
			want := delayBound(c.Backoff)
			if hint > 0 {
				want = min(time.Duration(hint), maxHint)
			}
			if d.Delay < 0 || d.Delay > want || (hint > 0 && d.Delay != time.Duration(hint)) {
				t.Fatalf("attempt %d: delay %v, want within [0, %v] (hint %v)", n, d.Delay, want, time.Duration(hint))
			}
			end := now.Add(d.Delay)
			if !deadline.IsZero() && !end.Before(deadline) {
				t.Fatalf("attempt %d: a wait of %v ends past the deadline", n, d.Delay)
			}
			if maxElapsed > 0 && end.Sub(time.Unix(1e9, 0)) > time.Duration(maxElapsed) {
				t.Fatalf("attempt %d: a wait of %v ends past MaxElapsed", n, d.Delay)
			}
			now = end
		}
	})
}

// cmp returns v, or def when v is zero.
func cmp[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func FuzzRatioBudgetConfig(f *testing.F) {
	f.Add(0.0, int64(0), 0.0, uint16(100))
	f.Add(0.1, int64(10*time.Second), 1.0, uint16(1000))
	f.Add(math.NaN(), int64(0), math.NaN(), uint16(10))
	f.Add(0.5, int64(10*time.Millisecond), math.Inf(1), uint16(10))
	f.Add(10.0, int64(math.MaxInt64), 1e9, uint16(0))
	f.Add(1e-300, int64(10*time.Millisecond), 1e-300, uint16(65535))
	f.Add(-1.0, int64(-1), -1.0, uint16(1))
	f.Fuzz(func(t *testing.T, ratio float64, window int64, floor float64, calls uint16) {
		clock := rampart.NewManualClock(time.Unix(0, 0))
		c := retry.RatioBudgetConfig{Ratio: ratio, Window: time.Duration(window), MinPerSecond: floor, Clock: clock}
		b, err := retry.NewRatioBudget(c)
		if err != nil {
			checkConfigError(t, err, "Ratio", "Window", "MinPerSecond")
			return
		}
		for range calls {
			b.OnRequest()
		}
		ratio = cmp(ratio, retry.DefaultRatio)
		floor = cmp(floor, retry.DefaultMinPerSecond)
		w := time.Duration(cmp(window, int64(retry.DefaultWindow)))
		limit := ratio*float64(calls) + floor*w.Seconds()
		const most = 100000
		granted := 0
		for granted < most && b.TryRetry() {
			granted++
		}
		if float64(granted) > limit || (limit >= 1 && limit < most && float64(granted) < math.Floor(limit)) {
			t.Fatalf("%+v: %d calls, %d retries granted, want ⌊%v⌋", c, calls, granted, limit)
		}
	})
}
