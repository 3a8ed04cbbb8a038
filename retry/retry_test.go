package retry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

func TestRetriesUntilTheCallSucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{Backoff: steps(time.Second)})
		f := &failing{n: 2, err: errTransient}
		if err := p.Do(context.Background(), f.fn); err != nil {
			t.Fatalf("Do = %v, want nil", err)
		}
		want := []rampart.Attempt{{Number: 1}, {Number: 2, Retry: true}, {Number: 3, Retry: true}}
		if !slices.Equal(f.attempts, want) {
			t.Fatalf("attempts = %+v, want %+v", f.attempts, want)
		}
		if got := p.Snapshot().Retries; got != 2 {
			t.Fatalf("Snapshot().Retries = %d, want 2", got)
		}
	})
}

func TestFirstAttemptSuccessRunsOnce(t *testing.T) {
	p := mustNew(t, retry.Config{})
	f := &failing{}
	if err := p.Do(context.Background(), f.fn); err != nil || f.calls != 1 {
		t.Fatalf("Do = %v after %d calls, want nil after 1", err, f.calls)
	}
}

func TestNeverSleepsAfterTheLastAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{MaxAttempts: 3, Backoff: steps(time.Second)})
		f := &failing{n: 100, err: io.ErrUnexpectedEOF}
		start := time.Now()
		err := p.Do(context.Background(), f.fn)
		if took := time.Since(start); took != 2*time.Second {
			t.Fatalf("took %v, want 2s: two waits between three attempts and none after", took)
		}
		if f.calls != 3 {
			t.Fatalf("calls = %d, want 3", f.calls)
		}
		var ee *retry.ExhaustedError
		if !errors.As(err, &ee) || ee.Attempts != 3 || ee.Reason != retry.ReasonAttempts {
			t.Fatalf("err = %v, want an ExhaustedError after 3 attempts", err)
		}
		if !errors.Is(err, retry.ErrExhausted) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v, want it to match ErrExhausted and io.ErrUnexpectedEOF", err)
		}
		if got := err.Error(); got != "retry: gave up after 3 attempts: unexpected EOF" {
			t.Fatalf("message = %q", got)
		}
	})
}

func TestWaitsFollowTheBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{MaxAttempts: 4, Backoff: retry.BackoffConfig{Base: time.Second, Jitter: retry.JitterNone}})
		f := &failing{n: 100, err: errTransient}
		_ = p.Do(context.Background(), f.fn)
		var gaps []time.Duration
		for i := 1; i < len(f.at); i++ {
			gaps = append(gaps, f.at[i].Sub(f.at[i-1]))
		}
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
		if !slices.Equal(gaps, want) {
			t.Fatalf("waits = %v, want %v", gaps, want)
		}
	})
}

func TestMaxAttemptsOneNeverRetries(t *testing.T) {
	p := mustNew(t, retry.Config{MaxAttempts: 1})
	f := &failing{n: 100, err: errTransient}
	err := p.Do(context.Background(), f.fn)
	if f.calls != 1 || !errors.Is(err, errTransient) {
		t.Fatalf("calls = %d, err = %v; want 1 call and the failure", f.calls, err)
	}
}

func TestPermanentErrorsAreNotRetried(t *testing.T) {
	p := mustNew(t, retry.Config{})
	perm := rampart.Permanent(io.ErrUnexpectedEOF)
	f := &failing{n: 100, err: perm}
	err := p.Do(context.Background(), f.fn)
	if f.calls != 1 || err != perm {
		t.Fatalf("calls = %d, err = %v; want 1 call returning the permanent error as is", f.calls, err)
	}
}

func TestCallerCancellationIsNotRetried(t *testing.T) {
	p := mustNew(t, retry.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := p.Do(ctx, func(ctx context.Context) error {
		calls++
		cancel()
		return ctx.Err()
	})
	if calls != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("calls = %d, err = %v; want 1 call and context.Canceled", calls, err)
	}
}

func TestFailureAfterTheCallerLeftIsNotRetried(t *testing.T) {
	p := mustNew(t, retry.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := p.Do(ctx, func(context.Context) error {
		calls++
		cancel()
		return io.ErrUnexpectedEOF
	})
	if calls != 1 || !errors.Is(err, context.Canceled) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("calls = %d, err = %v; want 1 call, matching both the cancellation and the failure", calls, err)
	}
}

func TestClassifierDecidesWhatIsRetried(t *testing.T) {
	errNotFound := errors.New("not found")
	p := mustNew(t, retry.Config{
		Classifier: func(ctx context.Context, err error) rampart.Outcome {
			if errors.Is(err, errNotFound) {
				return rampart.Success
			}
			return rampart.Classify(ctx, err)
		},
	})
	f := &failing{n: 100, err: errNotFound}
	if err := p.Do(context.Background(), f.fn); f.calls != 1 || err != errNotFound {
		t.Fatalf("calls = %d, err = %v; want 1 call returning the error as is", f.calls, err)
	}
}

func TestRetryAllRetriesEvenPermanentErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{RetryAll: true, DisableBudget: true, Backoff: steps(time.Millisecond)})
		f := &failing{n: 100, err: rampart.Permanent(errTransient)}
		err := p.Do(context.Background(), f.fn)
		if f.calls != 3 || !errors.Is(err, retry.ErrExhausted) {
			t.Fatalf("calls = %d, err = %v; want 3 calls and ErrExhausted", f.calls, err)
		}
	})
}

func TestWaitThatWouldEndAfterTheDeadlineIsNotStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{MaxAttempts: 5, Backoff: steps(time.Second)})
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		f := &failing{n: 100, err: io.ErrUnexpectedEOF}
		start := time.Now()
		err := p.Do(ctx, f.fn)
		if took := time.Since(start); took != time.Second {
			t.Fatalf("took %v, want 1s: the second wait would end after the deadline", took)
		}
		var ee *retry.ExhaustedError
		if !errors.As(err, &ee) || ee.Reason != retry.ReasonDeadline || ee.Attempts != 2 {
			t.Fatalf("err = %v, want an ExhaustedError (deadline) after 2 attempts", err)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v does not match the last failure", err)
		}
		if ctx.Err() != nil {
			t.Fatal("returned only once the deadline had passed")
		}
	})
}

func TestRetryAfterHintReplacesTheBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{Backoff: steps(10 * time.Millisecond)})
		f := &failing{n: 1, err: rampart.WithRetryAfter(errTransient, 3*time.Second)}
		start := time.Now()
		if err := p.Do(context.Background(), f.fn); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took != 3*time.Second {
			t.Fatalf("took %v, want the hinted 3s", took)
		}
	})
}

func TestRetryAfterHintBeyondTheDeadlineReturnsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hinted := rampart.WithRetryAfter(errTransient, 5*time.Second)
		f := &failing{n: 100, err: hinted}
		start := time.Now()
		err := p.Do(ctx, f.fn)
		if took := time.Since(start); took != 0 || f.calls != 1 {
			t.Fatalf("took %v and %d calls, want an immediate return after 1", took, f.calls)
		}
		var ee *retry.ExhaustedError
		if !errors.As(err, &ee) || ee.Reason != retry.ReasonDeadline || !errors.Is(err, errTransient) {
			t.Fatalf("err = %v, want an ExhaustedError (deadline) wrapping the failure", err)
		}
	})
}

func TestRetryAfterHintLongerThanMaxRetryAfterReturnsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{MaxRetryAfter: time.Second})
		f := &failing{n: 100, err: rampart.WithRetryAfter(errTransient, time.Minute)}
		start := time.Now()
		err := p.Do(context.Background(), f.fn)
		var ee *retry.ExhaustedError
		if time.Since(start) != 0 || f.calls != 1 || !errors.As(err, &ee) || ee.Reason != retry.ReasonRetryAfter {
			t.Fatalf("took %v, %d calls, err %v; want an immediate ExhaustedError (retry_after)", time.Since(start), f.calls, err)
		}
	})
}

func TestCancellationMidWaitReturnsPromptlyWithTheContextError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{Backoff: steps(time.Minute)})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		f := &failing{n: 100, err: io.ErrUnexpectedEOF}
		start := time.Now()
		err := p.Do(ctx, f.fn)
		if took := time.Since(start); took != time.Second {
			t.Fatalf("took %v, want 1s: the wait stops when the context is cancelled", took)
		}
		if !errors.Is(err, context.Canceled) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v, want it to match context.Canceled and the last failure", err)
		}
		if f.calls != 1 {
			t.Fatalf("calls = %d, want 1", f.calls)
		}
		if !rampart.CausedByCaller(ctx, err) {
			t.Fatal("an outer policy would not see the caller's cancellation")
		}
		if got := p.Snapshot().Interrupted; got != 1 {
			t.Fatalf("Snapshot().Interrupted = %d, want 1", got)
		}
	})
}

func TestMaxElapsedBoundsTheWholeCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{MaxAttempts: 10, MaxElapsed: 2500 * time.Millisecond, Backoff: steps(time.Second)})
		f := &failing{n: 100, err: errTransient}
		start := time.Now()
		err := p.Do(context.Background(), f.fn)
		var ee *retry.ExhaustedError
		if !errors.As(err, &ee) || ee.Reason != retry.ReasonMaxElapsed || f.calls != 3 {
			t.Fatalf("err = %v after %d calls, want an ExhaustedError (max_elapsed) after 3", err, f.calls)
		}
		if took := time.Since(start); took != 2*time.Second {
			t.Fatalf("took %v, want 2s", took)
		}
	})
}

func TestRetryOnResultRetriesUnwantedResults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{
			MaxAttempts:   5,
			Backoff:       steps(time.Millisecond),
			RetryOnResult: func(v any) bool { return v.(int) < 3 },
		})
		n := 0
		v, err := rampart.Get(context.Background(), p, func(context.Context) (int, error) {
			n++
			return n, nil
		})
		if v != 3 || err != nil {
			t.Fatalf("Get = %d, %v; want 3, nil", v, err)
		}
	})
}

func TestRetryOnResultExhaustedReturnsTheLastResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, retry.Config{
			Backoff:       steps(time.Millisecond),
			RetryOnResult: func(v any) bool { return v.(string) == "busy" },
		})
		v, err := rampart.Get(context.Background(), p, func(context.Context) (string, error) {
			return "busy", nil
		})
		if v != "busy" || !errors.Is(err, retry.ErrExhausted) || !errors.Is(err, retry.ErrRetryableResult) {
			t.Fatalf("Get = %q, %v; want the last result with ErrExhausted wrapping ErrRetryableResult", v, err)
		}
	})
}

func TestRetryOnResultLeavesDoCallsAlone(t *testing.T) {
	p := mustNew(t, retry.Config{RetryOnResult: func(any) bool { return true }})
	f := &failing{}
	if err := p.Do(context.Background(), f.fn); err != nil || f.calls != 1 {
		t.Fatalf("Do = %v after %d calls; want nil after 1", err, f.calls)
	}
}

func TestBudgetRefusalEndsTheLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bucket, err := retry.NewTokenBucket(retry.TokenBucketConfig{MaxTokens: 4})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		p := mustNew(t, retry.Config{MaxAttempts: 10, Budget: bucket, Backoff: steps(time.Millisecond), Observers: []rampart.Observer{rec}})
		f := &failing{n: 100, err: io.ErrUnexpectedEOF}
		err = p.Do(context.Background(), f.fn)
		// 4 tokens, refused at 2 or less: two failures leave 2.
		var be *retry.BudgetExhaustedError
		if !errors.As(err, &be) || be.Attempts != 2 || f.calls != 2 {
			t.Fatalf("err = %v after %d calls, want a BudgetExhaustedError after 2 attempts", err, f.calls)
		}
		if !errors.Is(err, retry.ErrBudgetExhausted) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v, want it to match ErrBudgetExhausted and the last failure", err)
		}
		want := []rampart.EventKind{rampart.EventRetryScheduled, rampart.EventBudgetExhausted}
		if got := rec.Kinds(); !slices.Equal(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
		if got := p.Snapshot().BudgetRefused; got != 1 {
			t.Fatalf("Snapshot().BudgetRefused = %d, want 1", got)
		}
	})
}

func TestEventsDescribeEachRetryAndTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		p := mustNew(t, retry.Config{Name: "users", Backoff: steps(time.Second), Observers: []rampart.Observer{rec}})
		f := &failing{n: 100, err: errTransient}
		start := time.Now()
		_ = p.Do(context.Background(), f.fn)
		if len(rec.Events()) != 3 {
			t.Fatalf("events = %v, want 3", rec.Kinds())
		}
		for i, e := range rec.Events()[:2] {
			if e.Kind != rampart.EventRetryScheduled || e.Policy != "users" || e.Attempt != i+2 || e.Delay != time.Second || e.Err != errTransient {
				t.Errorf("event %d = %+v, want retry_scheduled of attempt %d after 1s", i, e, i+2)
			}
			if want := start.Add(time.Duration(i) * time.Second); !e.Time.Equal(want) {
				t.Errorf("event %d at %v, want %v", i, e.Time, want)
			}
		}
		if e := rec.Events()[2]; e.Kind != rampart.EventRetriesExhausted || e.Attempt != 3 || e.Reason != retry.ReasonAttempts || e.Err != errTransient {
			t.Errorf("last event = %+v, want retries_exhausted after 3 attempts", e)
		}
	})
}

func TestSuccessEmitsNoEvent(t *testing.T) {
	rec := &recorder{}
	p := mustNew(t, retry.Config{Observers: []rampart.Observer{rec}})
	_ = p.Do(context.Background(), (&failing{}).fn)
	if len(rec.Events()) != 0 {
		t.Fatalf("events = %v, want none", rec.Kinds())
	}
}

func TestPanicGoesOnUpUntouchedAndIsNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name    string
		attempt int
	}{{"first attempt", 1}, {"retry", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bucket, _ := retry.NewTokenBucket(retry.TokenBucketConfig{MaxTokens: 10})
				rec := &recorder{}
				p := mustNew(t, retry.Config{Budget: bucket, Backoff: steps(time.Millisecond), Observers: []rampart.Observer{rec}})
				calls := 0
				boom := func(context.Context) error {
					calls++
					if calls == tc.attempt {
						panic("boom")
					}
					return errTransient
				}
				func() {
					defer func() {
						if r := recover(); r != "boom" {
							t.Fatalf("recovered %v, want boom", r)
						}
					}()
					_ = p.Do(context.Background(), boom)
				}()
				if calls != tc.attempt {
					t.Fatalf("calls = %d, want %d: a panic is not retried", calls, tc.attempt)
				}
				// Only the failures before the panic spent tokens.
				if got := bucket.Tokens(); got != float64(10-(tc.attempt-1)) {
					t.Fatalf("tokens = %v, want %v", got, 10-(tc.attempt-1))
				}
				// The policy is intact: the next call runs normally.
				calls = 100
				if err := p.Do(context.Background(), func(context.Context) error { return nil }); err != nil {
					t.Fatalf("next call = %v, want nil", err)
				}
			})
		})
	}
}

func TestManualClockDrivesTheWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := rampart.NewManualClock(time.Unix(0, 0))
		p := mustNew(t, retry.Config{Clock: clock, Backoff: steps(time.Second)})
		f := &failing{n: 2, err: errTransient}
		done := make(chan error, 1)
		go func() { done <- p.Do(context.Background(), f.fn) }()
		for i := range 2 {
			synctest.Wait()
			if clock.Pending() != 1 || f.calls != i+1 {
				t.Fatalf("wait %d: %d timers pending after %d calls, want 1 after %d", i, clock.Pending(), f.calls, i+1)
			}
			clock.Advance(time.Second)
		}
		if err := <-done; err != nil {
			t.Fatalf("Do = %v, want nil", err)
		}
		if got := clock.Now(); !got.Equal(time.Unix(2, 0)) {
			t.Fatalf("clock at %v, want 2s", got)
		}
	})
}

// rejection is a local policy's refusal, as an open circuit breaker makes.
type rejection struct{}

func (rejection) Error() string             { return "breaker open" }
func (rejection) Is(target error) bool      { return target == rampart.ErrRejected }
func (rejection) RetryAfter() time.Duration { return time.Second }

func TestRejectionsAreNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &failing{n: 100, err: fmt.Errorf("call: %w", rejection{})}
		start := time.Now()
		err := mustNew(t, retry.Config{}).Do(context.Background(), f.fn)
		if f.calls != 1 || !errors.Is(err, rampart.ErrRejected) || errors.Is(err, retry.ErrExhausted) {
			t.Fatalf("calls %d, err %v; want one call and the rejection as it is", f.calls, err)
		}
		if time.Since(start) != 0 {
			t.Fatalf("waited %v on a rejection", time.Since(start))
		}
		f = &failing{n: 1, err: rejection{}}
		if err := mustNew(t, retry.Config{RetryAll: true, Backoff: steps(time.Millisecond)}).Do(context.Background(), f.fn); err != nil || f.calls != 2 {
			t.Fatalf("RetryAll: calls %d, err %v", f.calls, err)
		}
	})
}

func TestDoWithNilFunctionIsAnError(t *testing.T) {
	if err := mustNew(t, retry.Config{}).Do(context.Background(), nil); !errors.Is(err, rampart.ErrNilFunc) {
		t.Fatalf("Do(nil) = %v, want rampart.ErrNilFunc", err)
	}
}

func TestDoAndExecuteMakeTheSameAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		direct := &failing{n: 2, err: errTransient}
		if err := mustNew(t, retry.Config{Backoff: steps(time.Second)}).Do(context.Background(), direct.fn); err != nil {
			t.Fatal(err)
		}
		piped := &failing{n: 2, err: errTransient}
		p := rampart.Pipeline(mustNew(t, retry.Config{Backoff: steps(time.Second)}))
		if err := p.Do(context.Background(), piped.fn); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(direct.attempts, piped.attempts) || len(direct.attempts) != 3 || !direct.attempts[2].Retry {
			t.Fatalf("Do attempts %+v, Execute attempts %+v", direct.attempts, piped.attempts)
		}
	})
}
