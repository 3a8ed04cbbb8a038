package bench_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart/bench"
)

func BenchmarkHedge(b *testing.B) {
	serial(b, bench.HedgeSubjects(), bench.SucceedWatching, false)
}

func BenchmarkHedgeParallel(b *testing.B) {
	parallel(b, bench.HedgeSubjects(), bench.SucceedWatching, false)
}

// Each row, configured as benchmarked but for a short delay, starts a hedge
// once the delay passes, returns the hedge's answer while the first attempt
// still hangs, and cancels the first attempt; and starts none when the
// first attempt answers in time.
func TestHedgeRowsHedgeOnceTheDelayPasses(t *testing.T) {
	for _, s := range bench.HedgeSubjectsWithDelay(10 * time.Millisecond) {
		t.Run(s.Lib, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				call := s.New().Call
				var attempts, cancelled atomic.Int32
				start := time.Now()
				err := call(t.Context(), func(ctx context.Context) error {
					if attempts.Add(1) == 1 {
						<-ctx.Done() // the straggler
						cancelled.Add(1)
						return ctx.Err()
					}
					return nil
				})
				if err != nil {
					t.Fatalf("err %v, want the hedge's success", err)
				}
				if d := time.Since(start); d != 10*time.Millisecond {
					t.Fatalf("answered after %v, want the delay, 10ms", d)
				}
				synctest.Wait() // a row that does not wait for its loser gets here first
				if attempts.Load() != 2 || cancelled.Load() != 1 {
					t.Fatalf("%d attempts, %d cancelled; want 2, 1", attempts.Load(), cancelled.Load())
				}

				attempts.Store(0)
				if err := call(t.Context(), bench.SucceedWatching); err != nil {
					t.Fatal(err)
				}
				<-time.After(time.Second) // virtual time: a hedge left armed would start here
				synctest.Wait()
				if err := call(t.Context(), func(context.Context) error { attempts.Add(1); return nil }); err != nil || attempts.Load() != 1 {
					t.Fatalf("a fast call made %d attempts (err %v), want 1", attempts.Load(), err)
				}
			})
		})
	}
}
