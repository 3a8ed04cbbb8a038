package bench_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rampart-go/rampart/bench"
)

func BenchmarkChaosDisabled(b *testing.B) {
	serial(b, bench.ChaosDisabledSubjects(), bench.Succeed, false)
}

func BenchmarkChaosDisabledParallel(b *testing.B) {
	parallel(b, bench.ChaosDisabledSubjects(), bench.Succeed, false)
}

// The benchmarked policy is a real one: switched off it runs every call,
// switched on it fails every call without running it.
func TestChaosRowInjectsOnceEnabled(t *testing.T) {
	p := bench.ChaosPolicy()
	in := bench.Instance{Call: p.Do}
	c := &counter{}
	if err := in.Call(context.Background(), c.fn); err != nil || c.runs.Load() != 1 {
		t.Fatalf("disabled: %v, %d runs; want the call run", err, c.runs.Load())
	}
	p.Enable()
	if err := in.Call(context.Background(), c.fn); !errors.Is(err, bench.ErrFail) || c.runs.Load() != 1 {
		t.Fatalf("enabled: %v, %d runs; want the injected failure and no run", err, c.runs.Load())
	}
}
