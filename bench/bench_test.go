package bench_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart/bench"
)

// mustNotRun is the protected function of rejection-path benchmarks: a
// breaker that lets it through fails the benchmark.
func mustNotRun(context.Context) error { panic("bench: an open breaker let a call through") }

// serial runs each subject's call in a loop. wantErr says whether every
// call must fail (a rejection) or succeed.
func serial(b *testing.B, subjects []bench.Subject, fn func(context.Context) error, wantErr bool) {
	for _, s := range subjects {
		b.Run("lib="+s.Lib, func(b *testing.B) {
			call := s.New().Call
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := call(ctx, fn); (err != nil) != wantErr {
					b.Fatalf("%s: unexpected error %v", s.Lib, err)
				}
			}
		})
	}
}

// parallel runs each subject's call from GOMAXPROCS goroutines at once.
func parallel(b *testing.B, subjects []bench.Subject, fn func(context.Context) error, wantErr bool) {
	for _, s := range subjects {
		b.Run("lib="+s.Lib, func(b *testing.B) {
			call := s.New().Call
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if err := call(ctx, fn); (err != nil) != wantErr {
						b.Errorf("%s: unexpected error %v", s.Lib, err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkBreaker(b *testing.B) {
	serial(b, bench.BreakerSubjects(), bench.Succeed, false)
}

func BenchmarkBreakerParallel(b *testing.B) {
	parallel(b, bench.BreakerSubjects(), bench.Succeed, false)
}

func BenchmarkBreakerTimeWindow(b *testing.B) {
	serial(b, bench.BreakerTimeWindowSubjects(), bench.Succeed, false)
}

func BenchmarkBreakerTimeWindowParallel(b *testing.B) {
	parallel(b, bench.BreakerTimeWindowSubjects(), bench.Succeed, false)
}

func BenchmarkBreakerOpen(b *testing.B) {
	serial(b, bench.BreakerOpenSubjects(), mustNotRun, true)
}

func BenchmarkBreakerOpenParallel(b *testing.B) {
	parallel(b, bench.BreakerOpenSubjects(), mustNotRun, true)
}

func BenchmarkRetry(b *testing.B) {
	serial(b, bench.RetrySubjects(), bench.Succeed, false)
}

func BenchmarkRetryParallel(b *testing.B) {
	parallel(b, bench.RetrySubjects(), bench.Succeed, false)
}

func BenchmarkPipeline(b *testing.B) {
	serial(b, bench.PipelineSubjects(), bench.SucceedWatching, false)
}

func BenchmarkPipelineParallel(b *testing.B) {
	parallel(b, bench.PipelineSubjects(), bench.SucceedWatching, false)
}

func BenchmarkRateLimit(b *testing.B) {
	serial(b, bench.RateLimitSubjects(), bench.Succeed, false)
}

func BenchmarkRateLimitParallel(b *testing.B) {
	parallel(b, bench.RateLimitSubjects(), bench.Succeed, false)
}
