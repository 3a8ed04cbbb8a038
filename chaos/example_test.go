package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/chaos"
)

// A fault injected into a share of calls, behind a switch.
func Example() {
	errUnavailable := errors.New("inventory: unavailable")
	p, err := chaos.New(chaos.Config{Rate: 0.25, Seed: 1, Fault: errUnavailable})
	if err != nil {
		panic(err)
	}
	call := func(context.Context) error { return nil }
	run := func() (failed int) {
		for range 1000 {
			if errors.Is(p.Do(context.Background(), call), errUnavailable) {
				failed++
			}
		}
		return failed
	}
	fmt.Println("disabled:", run())
	p.Enable()
	failed := run()
	fmt.Println("enabled, about a quarter:", failed > 200 && failed < 300)
	// Output:
	// disabled: 0
	// enabled, about a quarter: true
}

// An outcome replaces the result of a Get.
func ExampleConfig_outcome() {
	p, _ := chaos.New(chaos.Config{Enabled: true, Rate: 1, Outcome: func(context.Context) (any, error) {
		return "stale", nil
	}})
	v, err := rampart.Get(context.Background(), p, func(context.Context) (string, error) { return "fresh", nil })
	fmt.Println(v, err)
	// Output: stale <nil>
}

// Latency waits on the policy's clock, here a manual one.
func ExampleConfig_latency() {
	clock := rampart.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	p, _ := chaos.New(chaos.Config{Enabled: true, Rate: 1, Latency: 2 * time.Second, Clock: clock})
	done := make(chan struct{})
	go func() {
		_ = p.Do(context.Background(), func(context.Context) error { return nil })
		close(done)
	}()
	for clock.Pending() == 0 {
		runtime.Gosched() // until the call waits on the clock
	}
	clock.Advance(2 * time.Second)
	<-done
	fmt.Println("the call ran after", clock.Now().Sub(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	// Output: the call ran after 2s
}
