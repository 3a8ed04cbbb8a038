package bench_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart/bench"
)

// Each PipelineOpen row's breaker is open from the start: the function never
// runs, nothing is retried or waited on, and the fallback answers.
func TestPipelineOpenRowsRejectAndFallBackAtOnce(t *testing.T) {
	for _, s := range bench.PipelineOpenSubjects() {
		t.Run("Do/"+s.Lib, func(t *testing.T) {
			inBubble(t, s, func(t *testing.T, in bench.Instance) {
				c := &counter{err: bench.ErrFail}
				start := time.Now()
				for i := range 3 {
					if err := do(in, c.fn); err != nil {
						t.Fatalf("call %d: got %v, want the fallback's nil", i, err)
					}
				}
				if c.runs.Load() != 0 {
					t.Fatalf("the open breaker ran the function %d times", c.runs.Load())
				}
				if d := time.Since(start); d != 0 {
					t.Fatalf("the calls waited %v: the rejection was retried", d)
				}
			})
		})
	}
	for _, s := range bench.PipelineOpenGetSubjects() {
		t.Run("Get/"+s.Lib, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				get := s.New()
				var runs atomic.Int64
				fn := func(context.Context) (int, error) {
					runs.Add(1)
					return 1, nil
				}
				start := time.Now()
				for i := range 3 {
					v, used, err := get(context.Background(), fn)
					if v != bench.Fallback || !used || err != nil {
						t.Fatalf("call %d: got %v, %v, %v; want the fallback, reported", i, v, used, err)
					}
				}
				if runs.Load() != 0 || time.Since(start) != 0 {
					t.Fatalf("%d runs, %v waited; want none", runs.Load(), time.Since(start))
				}
				wait(2 * bench.OpenFor)
			})
		})
	}
}

// A Get row reports no fallback when the call succeeds: after the open
// period the probe runs, succeeds and closes the breaker.
func TestPipelineOpenGetRowsReportOnlyAFallback(t *testing.T) {
	for _, s := range bench.PipelineOpenGetSubjects() {
		t.Run(s.Lib, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				get := s.New()
				wait(bench.OpenFor + time.Second)
				fn := func(context.Context) (int, error) { return 1, nil }
				for i := range 2 {
					if v, used, err := get(context.Background(), fn); v != 1 || used || err != nil {
						t.Fatalf("call %d after the open period: got %v, %v, %v; want 1, not reported", i, v, used, err)
					}
				}
				fail := func(context.Context) (int, error) { return 0, bench.ErrFail }
				if v, used, err := get(context.Background(), fail); v != bench.Fallback || !used || err != nil {
					t.Fatalf("a failing call: got %v, %v, %v; want the fallback, reported", v, used, err)
				}
				wait(2 * bench.OpenFor)
			})
		})
	}
}

// Each RetryThenSucceed row makes two attempts when the first fails, waits
// nothing between them, and stops at MaxAttempts on a lasting failure.
func TestRetryThenSucceedRowsRetryOnceAtOnceAndStopAtMaxAttempts(t *testing.T) {
	for _, s := range bench.RetryThenSucceedSubjects() {
		t.Run(s.Lib, func(t *testing.T) {
			inBubble(t, s, func(t *testing.T, in bench.Instance) {
				var runs atomic.Int64
				fn := bench.FailEveryOther()
				counted := func(ctx context.Context) error {
					runs.Add(1)
					return fn(ctx)
				}
				start := time.Now()
				for i := range 100 {
					if err := do(in, counted); err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
				}
				if runs.Load() != 200 {
					t.Fatalf("100 calls made %d attempts, want 200", runs.Load())
				}
				if d := time.Since(start); d != 0 {
					t.Fatalf("the retries waited %v, want 0", d)
				}
				failing := &counter{err: bench.ErrFail}
				if err := do(in, failing.fn); !errors.Is(err, bench.ErrFail) || failing.runs.Load() != bench.MaxAttempts {
					t.Fatalf("always failing: %v after %d attempts, want the failure after %d", err, failing.runs.Load(), bench.MaxAttempts)
				}
			})
		})
	}
}

// Every Pipeline row bounds an attempt by cancelling its context, as
// rampart's timeout does, rather than abandoning it: each timed-out attempt
// sees its context done at AttemptTimeout and returns. (eapache's deadline
// package, used before, ran the attempt on a goroutine of its own and left
// it running.)
func TestPipelineRowsCancelTimedOutAttempts(t *testing.T) {
	for _, s := range bench.PipelineSubjects() {
		if s.Lib == "hystrix-go" {
			continue // its timeout abandons, as pipeline.go says
		}
		t.Run(s.Lib, func(t *testing.T) {
			inBubble(t, s, func(t *testing.T, in bench.Instance) {
				var cancelled atomic.Int64
				hang := func(ctx context.Context) error {
					start := time.Now()
					<-ctx.Done()
					if time.Since(start) == bench.AttemptTimeout {
						cancelled.Add(1)
					}
					return ctx.Err()
				}
				if err := do(in, hang); err != nil {
					t.Fatalf("got %v, want the fallback's nil", err)
				}
				if got := cancelled.Load(); got != bench.MaxAttempts {
					t.Fatalf("%d attempts saw their context cancelled at %v, want %d", got, bench.AttemptTimeout, bench.MaxAttempts)
				}
			})
		})
	}
}
