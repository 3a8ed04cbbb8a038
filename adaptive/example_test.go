package adaptive_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
)

func Example() {
	limiter, err := adaptive.New(adaptive.Config{Name: "search", MaxQueue: 100})
	if err != nil {
		panic(err)
	}
	err = limiter.Do(context.Background(), func(ctx context.Context) error {
		return nil // serve the request
	})
	fmt.Println(err)
	// Output: <nil>
}

// A server refuses what it cannot serve with a hint for the caller.
func Example_rejection() {
	limiter, _ := adaptive.New(adaptive.Config{MinLimit: 1, MaxLimit: 1, InitialLimit: 1})
	held, _ := limiter.Acquire(context.Background())
	defer held.Release()

	err := limiter.Do(context.Background(), func(context.Context) error { return nil })
	_, hasHint := rampart.RetryAfter(err)
	fmt.Println(errors.Is(err, adaptive.ErrLimited), errors.Is(err, rampart.ErrRejected), hasHint)
	// Output: true true true
}

// Two steps, for code that cannot wrap the call in a function.
func ExampleLimiter_Acquire() {
	limiter, _ := adaptive.New(adaptive.Config{Algorithm: adaptive.Vegas})
	ctx := rampart.WithPriority(context.Background(), rampart.PriorityCritical)
	permit, err := limiter.Acquire(ctx)
	if err != nil {
		fmt.Println("refused:", err)
		return
	}
	// ... do the work ...
	permit.Release()
	fmt.Println(limiter.Snapshot().InFlight)
	// Output: 0
}
