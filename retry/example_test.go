package retry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

// The article's RetryWithBackoff, done right: at most 3 attempts in all,
// jittered exponential backoff, no wait after the last attempt, no wait
// that would outlast the caller's deadline, only transient failures
// retried, and a retry budget behind it all. (The delays are shortened so
// the example runs quickly; the defaults start at 100ms.)
func Example() {
	p, err := retry.New(retry.Config{
		MaxAttempts: 3,
		Backoff:     retry.BackoffConfig{Base: time.Millisecond, Max: 20 * time.Millisecond},
	})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// A transient failure is retried.
	calls := 0
	err = p.Do(ctx, func(ctx context.Context) error {
		calls++
		if calls < 3 {
			return errors.New("connection reset")
		}
		return nil
	})
	fmt.Println(calls, err)

	// A permanent one is returned at once.
	calls = 0
	err = p.Do(ctx, func(ctx context.Context) error {
		calls++
		return rampart.Permanent(errors.New("400 bad request"))
	})
	fmt.Println(calls, err)

	// When attempts run out, the last failure is still there to match.
	err = p.Do(ctx, func(ctx context.Context) error { return io.ErrUnexpectedEOF })
	fmt.Println(errors.Is(err, retry.ErrExhausted), errors.Is(err, io.ErrUnexpectedEOF))
	fmt.Println(err)
	// Output:
	// 3 <nil>
	// 1 400 bad request
	// true true
	// retry: gave up after 3 attempts: unexpected EOF
}

// Two policies calling the same destination spend from the same budget:
// once one has drained it, the other's retries are refused too, while
// their first attempts still run.
func Example_sharedBudget() {
	budgets, err := retry.NewBudgets(retry.TokenBucketConfig{MaxTokens: 4})
	if err != nil {
		panic(err)
	}
	backoff := retry.BackoffConfig{Base: time.Millisecond, Max: 5 * time.Millisecond}
	reads, _ := retry.New(retry.Config{Name: "users-read", Budget: budgets.For("users"), Backoff: backoff})
	writes, _ := retry.New(retry.Config{Name: "users-write", Budget: budgets.For("users"), Backoff: backoff})

	down := func(context.Context) error { return errors.New("503 service unavailable") }
	ctx := context.Background()

	err = reads.Do(ctx, down)
	fmt.Println("reads: ", err)
	err = writes.Do(ctx, down)
	fmt.Println("writes:", err)
	fmt.Println("tokens:", budgets.For("users").Tokens())
	// Output:
	// reads:  retry: budget refused a retry after 2 attempts: 503 service unavailable
	// writes: retry: budget refused a retry after 1 attempt: 503 service unavailable
	// tokens: 1
}

// Results can be retried too: here an HTTP-like status.
func Example_retryOnResult() {
	p, _ := retry.New(retry.Config{
		Backoff:       retry.BackoffConfig{Base: time.Millisecond, Max: 5 * time.Millisecond},
		RetryOnResult: func(v any) bool { return v.(int) == 503 },
	})
	statuses := []int{503, 503, 200}
	status, err := rampart.Get(context.Background(), p, func(ctx context.Context) (int, error) {
		s := statuses[0]
		statuses = statuses[1:]
		return s, nil
	})
	fmt.Println(status, err)
	// Output: 200 <nil>
}

// A backoff is plain data; without jitter its delays are exact.
func ExampleNewBackoff() {
	b, err := retry.NewBackoff(retry.BackoffConfig{Base: 100 * time.Millisecond, Max: time.Second, Jitter: retry.JitterNone})
	if err != nil {
		panic(err)
	}
	var s retry.BackoffState
	for n := 1; n <= 5; n++ {
		var d time.Duration
		d, s = b.Delay(n, s, nil)
		fmt.Print(d, " ")
	}
	fmt.Println()
	// Output: 100ms 200ms 400ms 800ms 1s
}

// A simulator drives the policy's decisions by hand, in virtual time,
// without blocking: the same decisions Execute makes.
func ExamplePolicy_Begin() {
	p, _ := retry.New(retry.Config{
		MaxAttempts: 4,
		Backoff:     retry.BackoffConfig{Base: time.Second, Jitter: retry.JitterNone},
	})
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	deadline := now.Add(5 * time.Second)

	c := p.Begin(now, deadline)
	for {
		// Every attempt fails at once in this run.
		d := c.Failed(context.Background(), errors.New("timeout"), now)
		if !d.Retry {
			fmt.Println("stop:", d.Reason, "-", d.Err)
			break
		}
		now = now.Add(d.Delay)
		fmt.Printf("attempt %d at +%v\n", d.Attempt, now.Sub(deadline.Add(-5*time.Second)))
	}
	// Output:
	// attempt 2 at +1s
	// attempt 3 at +3s
	// stop: deadline - retry: gave up after 3 attempts (deadline): timeout
}
