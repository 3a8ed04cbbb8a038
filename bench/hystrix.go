package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/afex/hystrix-go/hystrix"
)

// hystrix-go keeps every command's settings and circuit in package-level
// maps, keyed by name, and counts outcomes on a background goroutine per
// circuit. Each instance here gets a fresh name, and its circuit is created
// eagerly so that goroutine starts where the instance is built.

var hystrixSeq atomic.Int64

// hystrixCommand configures a new hystrix-go command with the time-window
// settings and the given per-call timeout, and returns its name.
func hystrixCommand(timeout time.Duration) string {
	name := fmt.Sprintf("bench-%d", hystrixSeq.Add(1))
	hystrix.ConfigureCommand(name, hystrix.CommandConfig{
		Timeout: int(timeout / time.Millisecond),
		// Large enough that no benchmark is refused for concurrency: the
		// library returns a call's ticket on its own goroutine, after the
		// caller has moved on.
		MaxConcurrentRequests:  10000,
		RequestVolumeThreshold: MinCalls,
		SleepWindow:            int(OpenFor / time.Millisecond),
		ErrorPercentThreshold:  int(FailureRate * 100),
	})
	if _, _, err := hystrix.GetCircuit(name); err != nil {
		panic(err)
	}
	return name
}

// hystrixTripped reports whether the named command's circuit is open.
func hystrixTripped(name string) func() bool {
	return func() bool {
		c, _, err := hystrix.GetCircuit(name)
		return err == nil && c.IsOpen()
	}
}

// WaitFor spins until cond holds, for libraries that settle on background
// goroutines of their own. It yields rather than sleeps, so it works the
// same inside a synctest bubble, where the clock stands still while
// goroutines run; it panics if cond does not hold after a bounded number of
// yields (about a second or two of wall time).
func WaitFor(cond func() bool) {
	for range 2_000_000 {
		if cond() {
			return
		}
		runtime.Gosched()
	}
	panic("bench: condition not reached")
}

// hystrixBreaker is hystrix-go's breaker as the breaker classes use it: its
// timeout is set long enough never to fire, and there is no fallback.
func hystrixBreaker() Instance {
	name := hystrixCommand(OpenFor)
	return Instance{
		Call: func(ctx context.Context, fn func(context.Context) error) error {
			return hystrix.DoC(ctx, name, fn, nil)
		},
		Tripped: hystrixTripped(name),
	}
}
