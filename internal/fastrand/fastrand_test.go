package fastrand_test

import (
	"sync"
	"testing"

	"github.com/rampart-go/rampart/internal/fastrand"
)

func TestSeededSourceReplaysTheSameSequence(t *testing.T) {
	a, b := fastrand.New(42), fastrand.New(42)
	for i := range 1000 {
		if x, y := a.Uint64(), b.Uint64(); x != y {
			t.Fatalf("draw %d: %d != %d", i, x, y)
		}
	}
}

func TestDifferentSeedsDiffer(t *testing.T) {
	if fastrand.New(1).Uint64() == fastrand.New(2).Uint64() {
		t.Fatal("seeds 1 and 2 gave the same first draw")
	}
}

func TestConcurrentDrawsAreDistinct(t *testing.T) {
	s := fastrand.New(7)
	const workers, draws = 4, 2000
	out := make([][]uint64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range draws {
				out[w] = append(out[w], s.Uint64())
			}
		}()
	}
	wg.Wait()
	seen := map[uint64]bool{}
	for _, xs := range out {
		for _, x := range xs {
			if seen[x] {
				t.Fatalf("value %d drawn twice", x)
			}
			seen[x] = true
		}
	}
}

func TestFloat64IsInUnitInterval(t *testing.T) {
	for _, u := range []uint64{0, 1, 1 << 63, ^uint64(0)} {
		if f := fastrand.Float64(u); f < 0 || f >= 1 {
			t.Fatalf("Float64(%d) = %v, want [0, 1)", u, f)
		}
	}
	var sum float64
	s := fastrand.New(3)
	const n = 100000
	for range n {
		sum += fastrand.Float64(s.Uint64())
	}
	if mean := sum / n; mean < 0.49 || mean > 0.51 {
		t.Fatalf("mean of %d draws = %v, want about 0.5", n, mean)
	}
}

func BenchmarkSource(b *testing.B) {
	b.ReportAllocs()
	s := fastrand.New(1)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Uint64()
		}
	})
}
