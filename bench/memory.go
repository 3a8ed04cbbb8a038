package bench

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/eapache/go-resiliency/breaker"
	"github.com/failsafe-go/failsafe-go"
	fscircuitbreaker "github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/sony/gobreaker/v2"
)

// Memory classes: what a breaker costs to keep, for services with one
// breaker per destination, and what it allocates as it trips and recovers.
//
//   - MemoryNew<Kind>: bytes allocated to build one breaker of the kind, as
//     configured in the Breaker and BreakerTimeWindow classes (count
//     window: 100 calls, ≥ 50 % failures over ≥ 20).
//   - MemoryCycle<Kind>: bytes allocated per open → closed cycle: failing
//     calls until the breaker rejects, then successful calls until one is
//     let through as a probe and closes it. The open period is
//     CycleOpenFor, on the real clock, so the cycle needs no waiting. The
//     calls themselves count: a library that allocates per call pays for
//     each call of the cycle.
//
// Where the libraries differ:
//   - eapache's breaker is not a consecutive-failure breaker: it opens after
//     ConsecutiveFailures errors with no error-free gap of its timeout
//     between them (successes in between do not reset the count), and
//     half-open it lets every call through. It appears under the
//     consecutive kind as the nearest it has.
//   - gobreaker has no count window; eapache has neither window.
//   - hystrix-go is left out: its circuits live in a package-level registry
//     keyed by command name, with metrics collectors served by background
//     goroutines, so a per-instance figure would not be comparable.

// CycleOpenFor is the open period of the breakers of the MemoryCycle
// classes: short enough that the cycle does not wait, long enough to be
// more than zero for every library.
const CycleOpenFor = time.Nanosecond

// MemorySubject is one row of a memory class.
type MemorySubject struct {
	Lib string
	// New builds the breaker with its class's open period; the result
	// keeps it alive.
	New func(open time.Duration) any
	// Call runs a function through a breaker New built.
	Call func(b any, fn func(context.Context) error) error
	// Closed reports whether the breaker is closed.
	Closed func(b any) bool
}

// MemoryKinds lists the breaker kinds of the memory classes, in report
// order.
var MemoryKinds = []string{"Consecutive", "CountWindow", "TimeWindow"}

// MemorySubjects returns the rows of kind, one of MemoryKinds.
func MemorySubjects(kind string) []MemorySubject {
	switch kind {
	case "Consecutive":
		return []MemorySubject{
			rampartMemory(func(open time.Duration) circuitbreaker.Config {
				return circuitbreaker.Config{ConsecutiveFailures: ConsecutiveFailures, OpenDuration: open}
			}),
			gobreakerMemory(func(open time.Duration) gobreaker.Settings {
				return gobreaker.Settings{MaxRequests: 1, Timeout: open,
					ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= ConsecutiveFailures }}
			}),
			failsafeMemory(func(open time.Duration) fscircuitbreaker.CircuitBreaker[any] {
				return fscircuitbreaker.NewBuilder[any]().WithFailureThreshold(ConsecutiveFailures).
					WithSuccessThreshold(1).WithDelay(open).Build()
			}),
			{
				Lib: "eapache",
				// Its timeout is also the error-free gap that forgets
				// errors: at 1 ns every error would be forgotten before
				// the next, so it gets 100 µs.
				New: func(open time.Duration) any {
					return breaker.New(ConsecutiveFailures, 1, max(open, 100*time.Microsecond))
				},
				Call: func(b any, fn func(context.Context) error) error {
					return b.(*breaker.Breaker).Run(func() error { return fn(context.Background()) })
				},
				Closed: func(b any) bool { return b.(*breaker.Breaker).GetState() == breaker.Closed },
			},
		}
	case "CountWindow":
		return []MemorySubject{
			rampartMemory(func(open time.Duration) circuitbreaker.Config {
				return circuitbreaker.Config{FailureRateThreshold: FailureRate, WindowSize: CountWindow,
					MinimumCalls: MinCalls, OpenDuration: open}
			}),
			failsafeMemory(func(open time.Duration) fscircuitbreaker.CircuitBreaker[any] {
				return fscircuitbreaker.NewBuilder[any]().
					WithFailureThresholdRatio(uint(FailureRate*CountWindow), CountWindow).
					WithSuccessThreshold(1).WithDelay(open).Build()
			}),
		}
	case "TimeWindow":
		return []MemorySubject{
			rampartMemory(func(open time.Duration) circuitbreaker.Config {
				return circuitbreaker.Config{FailureRateThreshold: FailureRate, MinimumCalls: MinCalls,
					WindowDuration: Window, WindowBuckets: int(Window / WindowBucket), OpenDuration: open}
			}),
			gobreakerMemory(func(open time.Duration) gobreaker.Settings {
				return gobreaker.Settings{MaxRequests: 1, Interval: Window, BucketPeriod: WindowBucket, Timeout: open,
					ReadyToTrip: func(c gobreaker.Counts) bool {
						return c.Requests >= MinCalls && float64(c.TotalFailures) >= FailureRate*float64(c.Requests)
					}}
			}),
			failsafeMemory(func(open time.Duration) fscircuitbreaker.CircuitBreaker[any] {
				return fscircuitbreaker.NewBuilder[any]().WithFailureRateThreshold(FailureRate, MinCalls, Window).
					WithSuccessThreshold(1).WithDelay(open).Build()
			}),
		}
	}
	return nil
}

// CountWindow is the length of the count-based window of the memory
// classes' CountWindow kind.
const CountWindow = 100

func rampartMemory(cfg func(time.Duration) circuitbreaker.Config) MemorySubject {
	return MemorySubject{
		Lib: "rampart",
		New: func(open time.Duration) any { return must(circuitbreaker.New(cfg(open))) },
		Call: func(b any, fn func(context.Context) error) error {
			return b.(*circuitbreaker.Breaker).Do(context.Background(), fn)
		},
		Closed: func(b any) bool { return b.(*circuitbreaker.Breaker).State() == circuitbreaker.StateClosed },
	}
}

func gobreakerMemory(st func(time.Duration) gobreaker.Settings) MemorySubject {
	return MemorySubject{
		Lib: "gobreaker",
		New: func(open time.Duration) any { return gobreaker.NewCircuitBreaker[struct{}](st(open)) },
		Call: func(b any, fn func(context.Context) error) error {
			_, err := b.(*gobreaker.CircuitBreaker[struct{}]).Execute(func() (struct{}, error) { return struct{}{}, fn(context.Background()) })
			return err
		},
		Closed: func(b any) bool { return b.(*gobreaker.CircuitBreaker[struct{}]).State() == gobreaker.StateClosed },
	}
}

func failsafeMemory(build func(time.Duration) fscircuitbreaker.CircuitBreaker[any]) MemorySubject {
	type instance struct {
		cb   fscircuitbreaker.CircuitBreaker[any]
		exec failsafe.Executor[any]
	}
	return MemorySubject{
		Lib: "failsafe-go",
		// The executor is built once with the breaker and reused, as in
		// the Breaker class; it is part of what a user keeps.
		New: func(open time.Duration) any {
			cb := build(open)
			return &instance{cb, failsafe.With[any](cb)}
		},
		Call: func(b any, fn func(context.Context) error) error {
			return b.(*instance).exec.Run(func() error { return fn(context.Background()) })
		},
		Closed: func(b any) bool { return b.(*instance).cb.IsClosed() },
	}
}

// Cycle runs one open → closed cycle on b, built by s.New with
// CycleOpenFor: failing calls until the breaker is no longer closed, then
// successful calls until it is closed again (the first one let through is
// the probe that closes it). It returns an error if the breaker never opens
// or never closes.
func (s MemorySubject) Cycle(b any) error {
	for i := 0; s.Closed(b); i++ {
		if i == 1000 {
			return errors.New("bench: " + s.Lib + " never opened")
		}
		_ = s.Call(b, Fail)
	}
	for i := 0; !s.Closed(b); i++ {
		if i == 1_000_000 {
			return errors.New("bench: " + s.Lib + " never closed")
		}
		if i > 0 {
			runtime.Gosched() // let a timer's goroutine end the open period
		}
		_ = s.Call(b, Succeed)
	}
	return nil
}
