package timeout_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-go/rampart/timeout"
)

func Example() {
	// A nanosecond, so the example does not wait; think 200ms.
	perAttempt, _ := timeout.New(timeout.Config{Timeout: time.Nanosecond})
	err := perAttempt.Do(context.Background(), func(ctx context.Context) error {
		<-ctx.Done() // a slow downstream that honours its context
		return ctx.Err()
	})
	fmt.Println(errors.Is(err, timeout.ErrTimeout), errors.Is(err, context.DeadlineExceeded))
	// Output: true true
}

// Abandon returns at the deadline even from a function that ignores its
// context; the function finishes in its own goroutine and its result is
// discarded.
func Example_abandon() {
	p, _ := timeout.New(timeout.Config{Timeout: time.Nanosecond, Mode: timeout.Abandon})
	release := make(chan struct{})
	defer close(release)
	err := p.Do(context.Background(), func(context.Context) error {
		<-release // ignores its context
		return nil
	})
	fmt.Println(err)
	// Output: timeout: call exceeded 1ns
}
