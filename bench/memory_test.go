package bench_test

import (
	"testing"
	"time"

	"github.com/rampart-go/rampart/bench"
)

// sink keeps the breakers the memory benchmarks build alive.
var sink any

// BenchmarkMemoryNew<Kind>: B/op is the memory one breaker takes.
func benchmarkMemoryNew(b *testing.B, kind string) {
	for _, s := range bench.MemorySubjects(kind) {
		b.Run("lib="+s.Lib, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = s.New(bench.OpenFor)
			}
		})
	}
}

// BenchmarkMemoryCycle<Kind>: B/op is what one open → closed cycle
// allocates, calls included.
func benchmarkMemoryCycle(b *testing.B, kind string) {
	for _, s := range bench.MemorySubjects(kind) {
		b.Run("lib="+s.Lib, func(b *testing.B) {
			br := s.New(bench.CycleOpenFor)
			if err := s.Cycle(br); err != nil { // the first cycle makes what later ones reuse
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := s.Cycle(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMemoryNewConsecutive(b *testing.B)   { benchmarkMemoryNew(b, "Consecutive") }
func BenchmarkMemoryNewCountWindow(b *testing.B)   { benchmarkMemoryNew(b, "CountWindow") }
func BenchmarkMemoryNewTimeWindow(b *testing.B)    { benchmarkMemoryNew(b, "TimeWindow") }
func BenchmarkMemoryCycleConsecutive(b *testing.B) { benchmarkMemoryCycle(b, "Consecutive") }
func BenchmarkMemoryCycleCountWindow(b *testing.B) { benchmarkMemoryCycle(b, "CountWindow") }
func BenchmarkMemoryCycleTimeWindow(b *testing.B)  { benchmarkMemoryCycle(b, "TimeWindow") }

// BenchmarkClock is one read of the real clock, time.Now, measured in the
// same run as the classes: the report's header shows it, so ratios that
// hinge on it (gobreaker reads it twice per call) can be judged.
func BenchmarkClock(b *testing.B) {
	b.Run("lib=time", func(b *testing.B) {
		b.ReportAllocs()
		var t time.Time
		for b.Loop() {
			t = time.Now()
		}
		sink = t
	})
}

// Every memory row really trips and recovers: Cycle fails if a breaker
// never opens or never lets a probe through, so no row measures a no-op.
func TestMemorySubjectsCycle(t *testing.T) {
	for _, kind := range bench.MemoryKinds {
		for _, s := range bench.MemorySubjects(kind) {
			t.Run(kind+"/"+s.Lib, func(t *testing.T) {
				br := s.New(bench.CycleOpenFor)
				for range 3 {
					if err := s.Cycle(br); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}
