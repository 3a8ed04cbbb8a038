package chaos_test

import (
	"context"
	"math"
	"testing"

	"github.com/rampart-go/rampart/chaos"
)

// pattern runs n calls through p and returns which were injected into.
func pattern(p *chaos.Policy, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = p.Do(context.Background(), func(context.Context) error { return nil }) != nil
	}
	return out
}

func count(xs []bool) int {
	n := 0
	for _, x := range xs {
		if x {
			n++
		}
	}
	return n
}

// Over n draws the injected count is binomial(n, rate): it must fall within
// five standard deviations of n×rate, which a correct generator misses
// about once in two million runs.
func TestInjectionRateWithinStatisticalBounds(t *testing.T) {
	const n = 20000
	for _, rate := range []float64{0.001, 0.01, 0.1, 0.5, 0.9, 1} {
		for _, seed := range []uint64{0, 1, 2, 3} { // 0: the runtime's generator
			p := newPolicy(t, chaos.Config{Enabled: true, Rate: rate, Seed: seed, Fault: errBoom})
			got := count(pattern(p, n))
			mean := n * rate
			sd := math.Sqrt(n * rate * (1 - rate))
			if math.Abs(float64(got)-mean) > 5*sd+0.5 {
				t.Errorf("rate %v, seed %d: %d of %d injected, want %.0f ± %.0f", rate, seed, got, n, mean, 5*sd)
			}
			if s := p.Snapshot(); s.Considered != n || s.Injected != uint64(got) {
				t.Errorf("snapshot %+v, want %d considered and %d injected", s, n, got)
			}
		}
	}
}

func TestSeededPoliciesReplay(t *testing.T) {
	mk := func(seed uint64) *chaos.Policy {
		return newPolicy(t, chaos.Config{Enabled: true, Rate: 0.3, Seed: seed, Fault: errBoom})
	}
	a, b := pattern(mk(42), 2000), pattern(mk(42), 2000)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("call %d: seed 42 injected %v once and %v the next time", i, a[i], b[i])
		}
	}
	c := pattern(mk(43), 2000)
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same == len(a) {
		t.Fatal("seeds 42 and 43 injected into the same calls")
	}
}
