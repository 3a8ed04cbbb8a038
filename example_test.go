package rampart_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/fallback"
	"github.com/rampart-go/rampart/retry"
	"github.com/rampart-go/rampart/timeout"
)

// The quickstart: a call protected by the recommended pipeline, from the
// outside in: a fallback, a retry with its budget, a circuit breaker and a
// per-attempt timeout. The caller learns whether the result is the real
// one.
func Example() {
	popular, _ := fallback.Value([]string{"kettle", "teapot"}, fallback.Config{Name: "popular"})
	retries, _ := retry.New(retry.Config{})                                       // 3 attempts, jittered backoff, a retry budget
	breaker, _ := circuitbreaker.New(circuitbreaker.Config{})                     // opens after 5 failures in a row, for 5 s
	perAttempt, _ := timeout.New(timeout.Config{Timeout: 200 * time.Millisecond}) // cancels each attempt's context
	recs := rampart.Pipeline(popular, retries, breaker, perAttempt)               // build once, share everywhere

	var rep fallback.Report
	ctx := fallback.WithReport(context.Background(), &rep)
	items, err := rampart.Get(ctx, recs, func(ctx context.Context) ([]string, error) {
		return nil, rampart.Permanent(errors.New("recommendations: 404")) // not worth retrying
	})
	fmt.Println(items, err)
	fmt.Println("from fallback:", rep.Used, rep.Policy, "because:", rep.Cause)
	// Output:
	// [kettle teapot] <nil>
	// from fallback: true popular because: recommendations: 404
}

// A policy of your own: Execute runs the rest of the call with next.Run.
func ExamplePolicy() {
	p := rampart.Pipeline(logging{"outer"}, logging{"inner"})
	_ = p.Do(context.Background(), func(context.Context) error {
		fmt.Println("call")
		return nil
	})
	// Output:
	// outer: start
	// inner: start
	// call
	// inner: done
	// outer: done
}

type logging struct{ name string }

func (l logging) Execute(ctx context.Context, next rampart.Next) error {
	fmt.Println(l.name + ": start")
	err := next.Run(ctx)
	fmt.Println(l.name + ": done")
	return err
}

func ExampleGet() {
	n, err := rampart.Get(context.Background(), rampart.Pipeline(), func(context.Context) (int, error) {
		return 42, nil
	})
	fmt.Println(n, err)
	// Output: 42 <nil>
}

func ExampleAttemptFrom() {
	fn := func(ctx context.Context) error {
		a := rampart.AttemptFrom(ctx)
		fmt.Printf("attempt %d, retry %v\n", a.Number, a.Retry)
		return nil
	}
	_ = fn(context.Background())
	_ = fn(rampart.WithAttempt(context.Background(), rampart.Attempt{Number: 2, Retry: true}))
	// Output:
	// attempt 1, retry false
	// attempt 2, retry true
}

func ExampleClassify() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fmt.Println(rampart.Classify(context.Background(), nil))
	fmt.Println(rampart.Classify(context.Background(), errors.New("503")))
	fmt.Println(rampart.Classify(ctx, context.Canceled))
	// Output:
	// success
	// failure
	// ignored
}

func ExamplePermanent() {
	err := rampart.Permanent(errors.New("400 bad request"))
	fmt.Println(rampart.IsPermanent(err), err)
	// Output: true 400 bad request
}

func ExampleManualClock() {
	c := rampart.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c.AfterFunc(time.Second, func() { fmt.Println("fired at", c.Now().Format("15:04:05")) })
	c.Advance(2 * time.Second)
	fmt.Println("now", c.Now().Format("15:04:05"))
	// Output:
	// fired at 00:00:01
	// now 00:00:02
}
