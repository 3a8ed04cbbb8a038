package retry_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/fastrand"
	"github.com/rampart-go/rampart/retry"
)

// delays returns the first n delays of one call through b.
func delays(b retry.Backoff, n int, r retry.Rand) []time.Duration {
	var s retry.BackoffState
	out := make([]time.Duration, n)
	for i := range n {
		out[i], s = b.Delay(i+1, s, r)
	}
	return out
}

func TestConstantBackoffWaitsTheSameBeforeEveryRetry(t *testing.T) {
	got := delays(retry.Constant(time.Second), 4, nil)
	want := []time.Duration{time.Second, time.Second, time.Second, time.Second}
	if !slices.Equal(got, want) {
		t.Fatalf("delays = %v, want %v", got, want)
	}
}

func TestLinearBackoffGrowsByStepUpToMax(t *testing.T) {
	got := delays(retry.Linear(100*time.Millisecond, 50*time.Millisecond, 220*time.Millisecond), 5, nil)
	want := []time.Duration{100 * time.Millisecond, 150 * time.Millisecond, 200 * time.Millisecond, 220 * time.Millisecond, 220 * time.Millisecond}
	if !slices.Equal(got, want) {
		t.Fatalf("delays = %v, want %v", got, want)
	}
}

func TestExponentialBackoffMultipliesUpToMax(t *testing.T) {
	got := delays(retry.Exponential(100*time.Millisecond, 2, time.Second), 6, nil)
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	if !slices.Equal(got, want) {
		t.Fatalf("delays = %v, want %v", got, want)
	}
}

func TestExponentialBackoffDoesNotOverflowAfterManyRetries(t *testing.T) {
	b := retry.Exponential(time.Second, 10, 0)
	if d, _ := b.Delay(1000, retry.BackoffState{}, nil); d <= 0 {
		t.Fatalf("delay(1000) = %v, want the largest duration", d)
	}
}

const draws = 20000

func TestFullJitterIsUniformBetweenZeroAndTheDelay(t *testing.T) {
	b := retry.FullJitter(retry.Exponential(100*time.Millisecond, 2, 10*time.Second))
	r := fastrand.New(1)
	for n := 1; n <= 4; n++ {
		ceil := 100 * time.Millisecond << (n - 1)
		var sum float64
		for range draws {
			d, _ := b.Delay(n, retry.BackoffState{}, r)
			if d < 0 || d > ceil {
				t.Fatalf("retry %d: delay %v outside [0, %v]", n, d, ceil)
			}
			sum += float64(d)
		}
		if mean := sum / draws / float64(ceil); math.Abs(mean-0.5) > 0.02 {
			t.Errorf("retry %d: mean delay = %.3f of the ceiling, want 0.5 ± 0.02", n, mean)
		}
	}
}

func TestEqualJitterKeepsHalfTheDelay(t *testing.T) {
	b := retry.EqualJitter(retry.Exponential(100*time.Millisecond, 2, 10*time.Second))
	r := fastrand.New(2)
	for n := 1; n <= 4; n++ {
		ceil := 100 * time.Millisecond << (n - 1)
		var sum float64
		for range draws {
			d, _ := b.Delay(n, retry.BackoffState{}, r)
			if d < ceil/2 || d > ceil {
				t.Fatalf("retry %d: delay %v outside [%v, %v]", n, d, ceil/2, ceil)
			}
			sum += float64(d)
		}
		if mean := sum / draws / float64(ceil); math.Abs(mean-0.75) > 0.02 {
			t.Errorf("retry %d: mean delay = %.3f of the ceiling, want 0.75 ± 0.02", n, mean)
		}
	}
}

func TestDecorrelatedJitterDrawsBetweenBaseAndThreeTimesThePrevious(t *testing.T) {
	base, ceil := 100*time.Millisecond, 5*time.Second
	b := retry.Decorrelated(base, ceil)
	r := fastrand.New(3)
	var firstSum float64
	for range draws {
		var s retry.BackoffState
		prev := base
		for n := 1; n <= 8; n++ {
			var d time.Duration
			d, s = b.Delay(n, s, r)
			hi := min(3*prev, ceil)
			if d < base || d > hi {
				t.Fatalf("retry %d after %v: delay %v outside [%v, %v]", n, prev, d, base, hi)
			}
			if s.Delay != d {
				t.Fatalf("state carries %v, want the delay %v", s.Delay, d)
			}
			if n == 1 {
				firstSum += float64(d)
			}
			prev = d
		}
	}
	// The first delay is uniform on [base, 3·base]: mean 2·base.
	if mean := firstSum / draws / float64(base); math.Abs(mean-2) > 0.03 {
		t.Errorf("mean first delay = %.3f·base, want 2 ± 0.03", mean)
	}
}

// smoothCurve is f(t) = 2^t·tanh(√(4t)), the curve of smooth decorrelated
// jitter.
func smoothCurve(t float64) float64 { return math.Pow(2, t) * math.Tanh(math.Sqrt(4*t)) }

func TestSmoothDecorrelatedJitterHasTheDocumentedMedians(t *testing.T) {
	median := time.Second
	b := retry.SmoothDecorrelated(median, 0)
	r := fastrand.New(4)
	const retries = 5
	// The sum of the first n delays is f(n-1+U)·median/1.4 with U uniform,
	// so its median is f(n-0.5)·median/1.4 exactly.
	cumulative := make([][]float64, retries)
	for range draws {
		var s retry.BackoffState
		var total time.Duration
		for n := 1; n <= retries; n++ {
			var d time.Duration
			d, s = b.Delay(n, s, r)
			if d < 0 {
				t.Fatalf("retry %d: negative delay %v", n, d)
			}
			total += d
			cumulative[n-1] = append(cumulative[n-1], float64(total))
		}
	}
	for n := 1; n <= retries; n++ {
		xs := cumulative[n-1]
		slices.Sort(xs)
		got := xs[len(xs)/2] / float64(median)
		want := smoothCurve(float64(n)-0.5) / 1.4
		if math.Abs(got-want)/want > 0.03 {
			t.Errorf("median of the first %d delays = %.3fs, want %.3fs ± 3%%", n, got, want)
		}
	}
	// The median of each delay roughly doubles: about 1, 2, 4, 8 s.
	var first []float64
	for range draws {
		d, _ := b.Delay(1, retry.BackoffState{}, r)
		first = append(first, float64(d)/float64(median))
	}
	slices.Sort(first)
	if m := first[len(first)/2]; m < 0.8 || m > 1.0 {
		t.Errorf("median first delay = %.3f·median, want about 0.9", m)
	}
}

func TestSmoothDecorrelatedJitterIsCapped(t *testing.T) {
	b := retry.SmoothDecorrelated(time.Second, 3*time.Second)
	r := fastrand.New(5)
	var s retry.BackoffState
	for n := 1; n <= 2000; n++ {
		var d time.Duration
		d, s = b.Delay(n, s, r)
		if d < 0 || d > 3*time.Second {
			t.Fatalf("retry %d: delay %v outside [0, 3s]", n, d)
		}
	}
}

func TestSeededJitterReplaysExactly(t *testing.T) {
	for _, j := range []retry.Jitter{retry.JitterFull, retry.JitterEqual, retry.JitterDecorrelated, retry.JitterSmooth} {
		b, err := retry.NewBackoff(retry.BackoffConfig{Jitter: j})
		if err != nil {
			t.Fatal(err)
		}
		a := delays(b, 10, fastrand.New(99))
		c := delays(b, 10, fastrand.New(99))
		if !slices.Equal(a, c) {
			t.Errorf("jitter %s: two runs with seed 99 differ: %v vs %v", j, a, c)
		}
	}
}

func TestZeroBackoffConfigIsExponentialWithFullJitter(t *testing.T) {
	b, err := retry.NewBackoff(retry.BackoffConfig{})
	if err != nil {
		t.Fatal(err)
	}
	r := fastrand.New(6)
	for n := 1; n <= 10; n++ {
		ceil := min(retry.DefaultBase<<(n-1), retry.DefaultMax)
		d, _ := b.Delay(n, retry.BackoffState{}, r)
		if d < 0 || d > ceil {
			t.Fatalf("retry %d: delay %v outside [0, %v]", n, d, ceil)
		}
	}
}

func TestNewBackoffBuildsEachKind(t *testing.T) {
	none := retry.JitterNone
	for _, tc := range []struct {
		cfg  retry.BackoffConfig
		want []time.Duration
	}{
		{retry.BackoffConfig{Kind: retry.KindConstant, Base: time.Second, Jitter: none}, []time.Duration{time.Second, time.Second, time.Second}},
		{retry.BackoffConfig{Kind: retry.KindLinear, Base: time.Second, Jitter: none}, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}},
		{retry.BackoffConfig{Kind: retry.KindLinear, Base: time.Second, Step: 10 * time.Millisecond, Jitter: none}, []time.Duration{time.Second, 1010 * time.Millisecond, 1020 * time.Millisecond}},
		{retry.BackoffConfig{Base: time.Second, Multiplier: 3, Jitter: none}, []time.Duration{time.Second, 3 * time.Second, 9 * time.Second}},
		{retry.BackoffConfig{Base: time.Second, Max: 2 * time.Second, Jitter: none}, []time.Duration{time.Second, 2 * time.Second, 2 * time.Second}},
		{retry.BackoffConfig{Kind: retry.KindConstant, Base: time.Minute, Jitter: none}, []time.Duration{time.Minute, time.Minute, time.Minute}},
	} {
		b, err := retry.NewBackoff(tc.cfg)
		if err != nil {
			t.Fatalf("%+v: %v", tc.cfg, err)
		}
		if got := delays(b, 3, nil); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: delays = %v, want %v", tc.cfg, got, tc.want)
		}
	}
}

func TestNewBackoffRejectsInvalidFields(t *testing.T) {
	for _, tc := range []struct {
		cfg   retry.BackoffConfig
		field string
	}{
		{retry.BackoffConfig{Kind: "fibonacci"}, "Kind"},
		{retry.BackoffConfig{Base: -1}, "Base"},
		{retry.BackoffConfig{Step: -1}, "Step"},
		{retry.BackoffConfig{Multiplier: 0.5}, "Multiplier"},
		{retry.BackoffConfig{Multiplier: math.NaN()}, "Multiplier"},
		{retry.BackoffConfig{Max: -1}, "Max"},
		{retry.BackoffConfig{Base: time.Second, Max: time.Millisecond}, "Max"},
		{retry.BackoffConfig{Jitter: "wobbly"}, "Jitter"},
		{retry.BackoffConfig{Kind: retry.KindLinear, Jitter: retry.JitterDecorrelated}, "Jitter"},
		{retry.BackoffConfig{Kind: retry.KindConstant, Jitter: retry.JitterSmooth}, "Jitter"},
	} {
		_, err := retry.NewBackoff(tc.cfg)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || ce.Package != "retry" {
			t.Errorf("%+v: error %v, want a ConfigError for field %s", tc.cfg, err, tc.field)
		}
	}
}

func TestBackoffConfigReadsFromJSON(t *testing.T) {
	var c retry.BackoffConfig
	if err := json.Unmarshal([]byte(`{"kind":"exponential","base":"250ms","multiplier":3,"max":"5s","jitter":"equal"}`), &c); err != nil {
		t.Fatal(err)
	}
	want := retry.BackoffConfig{Kind: retry.KindExponential, Base: 250 * time.Millisecond, Multiplier: 3, Max: 5 * time.Second, Jitter: retry.JitterEqual}
	if c != want {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back retry.BackoffConfig
	if err := json.Unmarshal(out, &back); err != nil || back != want {
		t.Fatalf("round trip through %s gave %+v, %v", out, back, err)
	}
	if err := json.Unmarshal([]byte(`{"bsae":"1s"}`), &c); err == nil {
		t.Fatal("a misspelt key was accepted")
	}
}
