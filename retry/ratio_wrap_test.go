package retry_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

// A counter word keeps 32 bits of its bucket's number. The window that spans
// the wrap of those bits must still hold ten buckets: before the fix the
// slot was chosen from the truncated number, so just after the wrap four
// slots fell out of the window and their calls were forgotten.
func TestRatioBudgetKeepsItsWindowAcrossTheBucketNumberWrap(t *testing.T) {
	const width = time.Millisecond // Window 10ms: 2³² buckets are about 50 days
	start := time.Unix(0, 0)
	clock := rampart.NewManualClock(start)
	b := ratio(t, retry.RatioBudgetConfig{Ratio: 1, Window: 10 * width, MinPerSecond: 1e-9, Clock: clock})
	// One call in each of the ten buckets numbered 2³²-5 … 2³²+4.
	first := time.Duration(1<<32-5) * width
	clock.Set(start.Add(first))
	for i := range 10 {
		b.OnRequest()
		if i < 9 {
			clock.Advance(width)
		}
	}
	if calls, _ := b.Counts(); calls != 10 {
		t.Fatalf("the window across the wrap counts %d calls, want 10", calls)
	}
	clock.Advance(5 * width) // five buckets leave
	if calls, _ := b.Counts(); calls != 5 {
		t.Fatalf("five buckets later the window counts %d calls, want 5", calls)
	}
}

// A NaN MinPerSecond used to pass validation (NaN fails every comparison)
// and make every retry granted, since "retries+1 > NaN" is false.
func TestRatioBudgetRejectsNonFiniteFloats(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for field, c := range map[string]retry.RatioBudgetConfig{
			"Ratio":        {Ratio: v},
			"MinPerSecond": {MinPerSecond: v},
		} {
			_, err := retry.NewRatioBudget(c)
			var ce *rampart.ConfigError
			if !errors.As(err, &ce) || ce.Field != field {
				t.Errorf("%s = %v: error %v, want a ConfigError naming %s", field, v, err, field)
			}
		}
	}
}

func TestFloatFieldsRejectNonFiniteValues(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for field, c := range map[string]retry.Config{
			"Backoff.Multiplier":      {Backoff: retry.BackoffConfig{Multiplier: v}},
			"BudgetConfig.MaxTokens":  {BudgetConfig: retry.TokenBucketConfig{MaxTokens: v}},
			"BudgetConfig.TokenRatio": {BudgetConfig: retry.TokenBucketConfig{TokenRatio: v}},
			"BudgetConfig.RetryCost":  {BudgetConfig: retry.TokenBucketConfig{RetryCost: v}},
		} {
			_, err := retry.New(c)
			var ce *rampart.ConfigError
			if !errors.As(err, &ce) || ce.Field != field {
				t.Errorf("%s = %v: error %v, want a ConfigError naming %s", field, v, err, field)
			}
		}
	}
}
