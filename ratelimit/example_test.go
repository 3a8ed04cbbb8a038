package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/ratelimit"
)

// A limiter as a policy: calls beyond the rate are rejected with an error
// that says when to come back.
func Example() {
	clock := rampart.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	lim, err := ratelimit.New(ratelimit.Config{Rate: 10, Burst: 2, Clock: clock})
	if err != nil {
		panic(err)
	}
	call := func(context.Context) error { return nil }
	for i := range 3 {
		err := lim.Do(context.Background(), call)
		after, _ := rampart.RetryAfter(err)
		fmt.Println(i+1, err == nil, errors.Is(err, ratelimit.ErrLimited), after)
	}
	// Output:
	// 1 true false 0s
	// 2 true false 0s
	// 3 false true 100ms
}

// A time the caller already holds, such as a request's arrival stamp, spares
// the clock read.
func ExampleLimiter_AllowAt() {
	lim, _ := ratelimit.New(ratelimit.Config{Rate: 1, Burst: 1})
	arrival := time.Now()
	fmt.Println(lim.AllowAt(arrival), lim.AllowAt(arrival), lim.AllowAt(arrival.Add(time.Second)))
	// Output: true false true
}

// Reserve takes a token however far ahead it is due; Cancel gives it back.
func ExampleLimiter_Reserve() {
	clock := rampart.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	lim, _ := ratelimit.New(ratelimit.Config{Rate: 4, Burst: 1, Clock: clock})
	a, b := lim.Reserve(), lim.Reserve()
	fmt.Println(a.Delay(), b.Delay())
	b.Cancel()
	fmt.Println(lim.Reserve().Delay())
	// Output:
	// 0s 250ms
	// 250ms
}

// Wait refuses at once when the token would come after the deadline.
func ExampleLimiter_Wait() {
	lim, _ := ratelimit.New(ratelimit.Config{Rate: 1, Burst: 1})
	lim.Allow() // the next token is a second away
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := lim.Wait(ctx)
	fmt.Println(errors.Is(err, ratelimit.ErrLimited), errors.Is(err, rampart.ErrRejected))
	// Output: true true
}

// One limit per client: each key has its own Rate and Burst.
func ExampleKeyed() {
	clock := rampart.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	k, err := ratelimit.NewKeyed(ratelimit.KeyedConfig{Rate: 2, Burst: 1, MaxKeys: 100_000, Clock: clock})
	if err != nil {
		panic(err)
	}
	for _, client := range []string{"10.0.0.1", "10.0.0.1", "10.0.0.2"} {
		ok, retryAfter := k.AllowKey(client)
		fmt.Println(client, ok, retryAfter)
	}
	// Output:
	// 10.0.0.1 true 0s
	// 10.0.0.1 false 500ms
	// 10.0.0.2 true 0s
}

// A keyed limiter as a policy: the key comes from the call's context.
func ExampleKeyed_Policy() {
	type tenantKey struct{}
	clock := rampart.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	k, err := ratelimit.NewKeyed(ratelimit.KeyedConfig{Rate: 1, Burst: 1, Clock: clock})
	if err != nil {
		panic(err)
	}
	perTenant, err := k.Policy(func(ctx context.Context) string {
		tenant, _ := ctx.Value(tenantKey{}).(string)
		return tenant
	})
	if err != nil {
		panic(err)
	}
	for _, tenant := range []string{"acme", "acme", "globex"} {
		ctx := context.WithValue(context.Background(), tenantKey{}, tenant)
		err := rampart.Do(ctx, perTenant, func(context.Context) error { return nil })
		d, _ := rampart.RetryAfter(err)
		fmt.Println(tenant, err == nil, d)
	}
	// Output:
	// acme true 0s
	// acme false 1s
	// globex true 0s
}
