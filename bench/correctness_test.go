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

// These tests check that every benchmarked configuration does what its row
// claims: breakers trip at their threshold, reject without running the
// function and recover after OpenFor; retries make MaxAttempts attempts with
// the configured backoff; pipelines time out, retry, trip and fall back;
// limiters refuse once spent and let calls through again. They run in
// synctest bubbles, so every wait is virtual and the suite takes
// milliseconds.

// wait lets d of virtual time pass. Call it only inside a synctest bubble.
func wait(d time.Duration) { <-time.After(d) }

// counter is a protected function that counts its runs and returns err.
type counter struct {
	runs atomic.Int64
	err  error
}

func (c *counter) fn(context.Context) error {
	c.runs.Add(1)
	return c.err
}

// inBubble runs check against a fresh instance of s inside a synctest
// bubble. Libraries with package-level state and background goroutines are
// built outside it, so those goroutines are not the bubble's.
func inBubble(t *testing.T, s bench.Subject, check func(t *testing.T, in bench.Instance)) {
	t.Helper()
	var in bench.Instance
	if s.Global {
		in = s.New()
	}
	synctest.Test(t, func(t *testing.T) {
		if !s.Global {
			in = s.New()
		}
		check(t, in)
		// Let the goroutines some libraries leave sleeping (eapache's
		// half-open timer, abandoned attempts) run out, as the bubble
		// requires.
		wait(2 * bench.OpenFor)
	})
}

// do runs one call and lets every goroutine it left behind settle.
func do(in bench.Instance, fn func(context.Context) error) error {
	err := in.Call(context.Background(), fn)
	synctest.Wait()
	return err
}

// checkBreaker drives a breaker through closed → open → half-open → closed.
// threshold is the number of failing calls that trips it.
func checkBreaker(t *testing.T, in bench.Instance, threshold int) {
	failing := &counter{err: bench.ErrFail}
	for i := 1; i <= threshold; i++ {
		if err := do(in, failing.fn); !errors.Is(err, bench.ErrFail) {
			t.Fatalf("failing call %d: got %v, want the injected failure", i, err)
		}
		if got := failing.runs.Load(); got != int64(i) {
			t.Fatalf("failing call %d was rejected before the threshold (%d runs)", i, got)
		}
	}
	if in.Tripped != nil {
		bench.WaitFor(in.Tripped)
	}

	probe := &counter{}
	for i := range 3 {
		err := do(in, probe.fn)
		if err == nil || errors.Is(err, bench.ErrFail) {
			t.Fatalf("call %d after tripping: got %v, want a rejection", i, err)
		}
	}
	if probe.runs.Load() != 0 {
		t.Fatalf("open breaker ran the function %d times", probe.runs.Load())
	}

	wait(bench.OpenFor / 2)
	if err := do(in, probe.fn); err == nil || probe.runs.Load() != 0 {
		t.Fatalf("breaker let a call through halfway through OpenFor: %v", err)
	}

	// Some libraries reopen the gate only strictly after OpenFor.
	wait(bench.OpenFor/2 + time.Millisecond)
	synctest.Wait()
	if err := do(in, probe.fn); err != nil || probe.runs.Load() != 1 {
		t.Fatalf("probe after OpenFor: err %v, runs %d; want it to run and succeed", err, probe.runs.Load())
	}

	if in.Tripped != nil {
		// Counted asynchronously: rejections from before the recovery may
		// still land in the new window, so only check that calls run again.
		for i := range 3 {
			if err := do(in, probe.fn); err != nil {
				t.Fatalf("call %d after recovery: %v", i, err)
			}
		}
		return
	}
	// Closed again, with fresh counts: below the threshold failures run.
	failing.runs.Store(0)
	for i := 1; i < threshold; i++ {
		if err := do(in, failing.fn); !errors.Is(err, bench.ErrFail) {
			t.Fatalf("failing call %d after recovery: got %v, want the injected failure", i, err)
		}
	}
	if err := do(in, probe.fn); err != nil {
		t.Fatalf("call after recovery and %d failures: %v", threshold-1, err)
	}
}

func TestBreakerRowsTripAtConsecutiveFailuresRejectAndRecover(t *testing.T) {
	for _, s := range bench.BreakerSubjects() {
		t.Run(s.Lib, func(t *testing.T) {
			inBubble(t, s, func(t *testing.T, in bench.Instance) { checkBreaker(t, in, bench.ConsecutiveFailures) })
		})
	}
}

func TestBreakerTimeWindowRowsTripAtMinCallsRejectAndRecover(t *testing.T) {
	for _, s := range bench.BreakerTimeWindowSubjects() {
		t.Run(s.Lib, func(t *testing.T) {
			inBubble(t, s, func(t *testing.T, in bench.Instance) { checkBreaker(t, in, bench.MinCalls) })
		})
	}
}

func TestBreakerOpenRowsRejectWithoutRunning(t *testing.T) {
	for _, s := range bench.BreakerOpenSubjects() {
		t.Run(s.Lib, func(t *testing.T) {
			inBubble(t, s, func(t *testing.T, in bench.Instance) {
				c := &counter{}
				for i := range 3 {
					if err := do(in, c.fn); err == nil {
						t.Fatalf("call %d: got nil, want a rejection", i)
					}
				}
				if c.runs.Load() != 0 {
					t.Fatalf("open breaker ran the function %d times", c.runs.Load())
				}
			})
		})
	}
}

// The backoff before retry n is BaseDelay·Multiplier^(n-1), varied by
// ±Jitter; these bound the total over MaxAttempts-1 retries.
func backoffBounds() (lo, hi time.Duration) {
	d := bench.BaseDelay
	for range bench.MaxAttempts - 1 {
		lo += time.Duration(float64(d) * (1 - bench.Jitter))
		hi += time.Duration(float64(d) * (1 + bench.Jitter))
		d = time.Duration(float64(d) * bench.Multiplier)
	}
	return lo, hi
}

// Each retry case gets a fresh policy: rampart's retry budget (on, as by
// default) remembers failures across calls, and a fresh gRPC-sized bucket
// allows only a few retries in a row.
func TestRetryRowsRunOnceOnSuccessAndMaxAttemptsWithBackoffOnFailure(t *testing.T) {
	lo, hi := backoffBounds()
	for _, s := range bench.RetrySubjects() {
		t.Run(s.Lib, func(t *testing.T) {
			inBubble(t, s, func(t *testing.T, in bench.Instance) {
				ok := &counter{}
				start := time.Now()
				if err := do(in, ok.fn); err != nil || ok.runs.Load() != 1 {
					t.Fatalf("first attempt succeeds: err %v, runs %d", err, ok.runs.Load())
				}
				if d := time.Since(start); d != 0 {
					t.Fatalf("a first-attempt success waited %v", d)
				}
			})
			inBubble(t, s, func(t *testing.T, in bench.Instance) {
				failing := &counter{err: bench.ErrFail}
				start := time.Now()
				err := do(in, failing.fn)
				elapsed := time.Since(start)
				if !errors.Is(err, bench.ErrFail) {
					t.Fatalf("always failing: got %v, want the injected failure", err)
				}
				if got := failing.runs.Load(); got != bench.MaxAttempts {
					t.Fatalf("always failing: %d attempts, want %d", got, bench.MaxAttempts)
				}
				if elapsed < lo || elapsed > hi {
					t.Fatalf("always failing: backoff took %v, want %v to %v", elapsed, lo, hi)
				}
			})
			inBubble(t, s, func(t *testing.T, in bench.Instance) {
				var n atomic.Int64
				flaky := func(context.Context) error {
					if n.Add(1) < bench.MaxAttempts {
						return bench.ErrFail
					}
					return nil
				}
				if err := do(in, flaky); err != nil || n.Load() != bench.MaxAttempts {
					t.Fatalf("fails then succeeds: err %v after %d attempts", err, n.Load())
				}
			})
		})
	}
}

func TestPipelineRowsTimeOutRetryTripAndFallBack(t *testing.T) {
	lo, hi := backoffBounds()
	for _, s := range bench.PipelineSubjects() {
		t.Run(s.Lib, func(t *testing.T) {
			inBubble(t, s, func(t *testing.T, in bench.Instance) {
				ok := &counter{}
				if err := do(in, ok.fn); err != nil || ok.runs.Load() != 1 {
					t.Fatalf("success path: err %v, runs %d", err, ok.runs.Load())
				}

				// Each attempt outlives AttemptTimeout: all time out, are
				// retried, and the fallback answers.
				var slow atomic.Int64
				hang := func(ctx context.Context) error {
					slow.Add(1)
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(5 * bench.AttemptTimeout):
						return nil
					}
				}
				start := time.Now()
				err := in.Call(context.Background(), hang)
				elapsed := time.Since(start)
				synctest.Wait()
				if err != nil {
					t.Fatalf("timed-out attempts: got %v, want the fallback's nil", err)
				}
				if slow.Load() != bench.MaxAttempts {
					t.Fatalf("timed-out attempts: %d attempts, want %d", slow.Load(), bench.MaxAttempts)
				}
				min := bench.MaxAttempts*bench.AttemptTimeout + lo
				max := bench.MaxAttempts*bench.AttemptTimeout + hi
				if elapsed < min || elapsed > max {
					t.Fatalf("timed-out attempts took %v, want %v to %v", elapsed, min, max)
				}

				// Failing fast, the breaker trips and then no attempt runs;
				// the fallback still answers.
				failing := &counter{err: bench.ErrFail}
				for range bench.MinCalls {
					before := failing.runs.Load()
					if err := do(in, failing.fn); err != nil {
						t.Fatalf("failing calls: got %v, want the fallback's nil", err)
					}
					if failing.runs.Load() == before {
						return // the breaker is open
					}
					if in.Tripped != nil && failing.runs.Load() >= bench.MinCalls {
						bench.WaitFor(in.Tripped)
					}
				}
				t.Fatalf("breaker never opened after %d failing attempts", failing.runs.Load())
			})
		})
	}
}

func TestRateLimitRowsRefuseOnceSpentAndRefill(t *testing.T) {
	for _, s := range bench.RateLimitSubjects() {
		if s.Blocks {
			continue // see TestBlockingRateLimitRowsSpaceCalls
		}
		t.Run(s.Lib, func(t *testing.T) {
			inBubble(t, s, func(t *testing.T, in bench.Instance) {
				// Time stands still in the bubble, so nothing refills
				// until wait.
				c := &counter{}
				var refused error
				for range 2 * bench.Burst {
					if refused = do(in, c.fn); refused != nil {
						break
					}
				}
				if !errors.Is(refused, bench.ErrLimited) {
					t.Fatalf("after %d calls in one instant: got %v, want a refusal", c.runs.Load(), refused)
				}
				if let := c.runs.Load(); let < 1 || let > bench.Burst {
					t.Fatalf("let %d calls through in one instant, want 1 to %d", let, bench.Burst)
				}
				wait(time.Millisecond)
				if err := do(in, c.fn); err != nil {
					t.Fatalf("after refill: %v", err)
				}
			})
		})
	}
}
