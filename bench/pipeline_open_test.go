package bench_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart/bench"
)

// BenchmarkPipelineOpen is the quickstart pipeline with its breaker open:
// Do, and Get with the caller told that the fallback answered.
func BenchmarkPipelineOpen(b *testing.B) {
	b.Run("Do", func(b *testing.B) {
		serial(b, bench.PipelineOpenSubjects(), mustNotRun, false)
	})
	b.Run("Get", func(b *testing.B) {
		for _, s := range bench.PipelineOpenGetSubjects() {
			b.Run("lib="+s.Lib, func(b *testing.B) {
				get := s.New()
				ctx := context.Background()
				fn := func(context.Context) (int, error) { panic("bench: an open breaker let a call through") }
				b.ReportAllocs()
				for b.Loop() {
					if v, used, err := get(ctx, fn); v != bench.Fallback || !used || err != nil {
						b.Fatalf("%s: got %v, %v, %v; want the fallback, reported", s.Lib, v, used, err)
					}
				}
			})
		}
	})
}

// BenchmarkRetryThenSucceed is a retry whose first attempt fails and whose
// second succeeds, with no wait.
func BenchmarkRetryThenSucceed(b *testing.B) {
	for _, s := range bench.RetryThenSucceedSubjects() {
		b.Run("lib="+s.Lib, func(b *testing.B) {
			call := s.New().Call
			fn := bench.FailEveryOther()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := call(ctx, fn); err != nil {
					b.Fatalf("%s: %v", s.Lib, err)
				}
			}
		})
	}
}
