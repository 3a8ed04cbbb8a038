package circuitbreaker_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

func TestStateChangeEventsCarryReasonAndCounts(t *testing.T) {
	rec := &recorder{}
	cb, clock := newBreaker(t, circuitbreaker.Config{
		Name: "payments", FailureRateThreshold: 0.5, WindowSize: 4, MinimumCalls: 4, OpenDuration: 2 * time.Second,
		Observers: []rampart.Observer{rec},
	})
	calls(t, cb, 2, nil)
	clock.Advance(time.Minute)
	calls(t, cb, 2, errBoom)
	ev := rec.Of(rampart.EventStateChange)
	if len(ev) != 1 {
		t.Fatalf("events = %+v", ev)
	}
	want := rampart.Event{
		Kind: rampart.EventStateChange, Policy: "payments", Time: t0.Add(time.Minute),
		From: "closed", To: "open", Reason: "failure_rate", Delay: 2 * time.Second,
		Calls: 4, Failures: 2,
	}
	if ev[0] != want {
		t.Fatalf("event = %+v\nwant    %+v", ev[0], want)
	}
	clock.Advance(time.Second)
	_, _ = cb.Allow()
	rej := rec.Of(rampart.EventRejected)
	if len(rej) != 1 || rej[0].Delay != time.Second || rej[0].Policy != "payments" || !rej[0].Time.Equal(t0.Add(61*time.Second)) {
		t.Fatalf("rejected events = %+v", rej)
	}
}

func TestObserverMayCallBackIntoTheBreaker(t *testing.T) {
	var cb *circuitbreaker.Breaker
	var depth atomic.Int32
	var seen []circuitbreaker.State
	obs := rampart.ObserverFunc(func(e rampart.Event) {
		if depth.Add(1) > 1 {
			depth.Add(-1)
			return
		}
		defer depth.Add(-1)
		// Everything a listener might do, from inside the callback.
		seen = append(seen, cb.State())
		_ = cb.Snapshot()
		if p, err := cb.Allow(); err == nil {
			p.Done(nil)
		}
		if e.Kind == rampart.EventStateChange && e.To == "open" {
			cb.Isolate()
			cb.Open()
		}
	})
	cb, _ = newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1, Observers: []rampart.Observer{obs}})
	call(t, cb, errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
	if len(seen) == 0 || seen[0] != circuitbreaker.StateOpen {
		t.Fatalf("observer saw %v", seen)
	}
}

func TestObserversCallingBackDoNotDeadlockUnderConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := rampart.NewManualClock(t0)
		var cb *circuitbreaker.Breaker
		obs := rampart.ObserverFunc(func(e rampart.Event) {
			_ = cb.State()
			_ = cb.Snapshot()
			if e.Kind == rampart.EventStateChange && e.To == "open" && e.Reason == circuitbreaker.ReasonConsecutiveFailures {
				cb.Close()
			}
		})
		var err error
		cb, err = circuitbreaker.New(circuitbreaker.Config{
			ConsecutiveFailures: 2, OpenDuration: time.Millisecond, Clock: clock, Observers: []rampart.Observer{obs},
		})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				for i := range 200 {
					_ = cb.Do(context.Background(), func(context.Context) error {
						if (g+i)%3 == 0 {
							return errBoom
						}
						return nil
					})
					if i%50 == 0 {
						clock.Advance(time.Millisecond)
					}
				}
			})
		}
		wg.Wait()
	})
}

func TestPanicIsAFailureFreesTheProbeSlotAndIsReraised(t *testing.T) {
	rec := &recorder{}
	cb, clock := newBreaker(t, circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: time.Second, Observers: []rampart.Observer{rec}})
	call(t, cb, errBoom)
	clock.Advance(time.Second)

	func() {
		defer func() {
			if r := recover(); r != "kaboom" {
				t.Fatalf("recovered %v, want the original panic", r)
			}
		}()
		_ = cb.Do(context.Background(), func(context.Context) error { panic("kaboom") })
		t.Fatal("Do returned")
	}()
	wantState(t, cb, circuitbreaker.StateOpen) // the probe failed
	if s := cb.Snapshot(); s.ProbesInFlight != 0 {
		t.Fatalf("probe slot still held: %+v", s)
	}
	if p := rec.Of(rampart.EventPanic); len(p) != 1 || !errors.Is(p[0].Err, rampart.ErrPanic) {
		t.Fatalf("panic events = %+v", p)
	}
	// The slot is free: after the open period a new probe gets through.
	clock.Advance(time.Second)
	call(t, cb, nil)
	wantState(t, cb, circuitbreaker.StateClosed)
}

func TestPanicInClosedStateCountsAsFailure(t *testing.T) {
	// Each trip condition has its own closed-state path through Do and
	// through Execute; a panic must count as a failure on all of them.
	configs := map[string]circuitbreaker.Config{
		"consecutive":  {ConsecutiveFailures: 2},
		"count-window": {FailureRateThreshold: 0.5, WindowSize: 4, MinimumCalls: 2},
		"time-window":  {FailureRateThreshold: 0.5, WindowDuration: 10 * time.Second, MinimumCalls: 2},
		"slow-calls":   {FailureRateThreshold: 0.5, WindowSize: 4, MinimumCalls: 2, SlowCallThreshold: time.Second},
	}
	entries := map[string]func(*circuitbreaker.Breaker, func(context.Context) error) error{
		"Do": func(cb *circuitbreaker.Breaker, fn func(context.Context) error) error {
			return cb.Do(context.Background(), fn)
		},
		"Execute": func(cb *circuitbreaker.Breaker, fn func(context.Context) error) error {
			return rampart.Do(context.Background(), cb, fn)
		},
	}
	for name, c := range configs {
		for entry, do := range entries {
			t.Run(name+"/"+entry, func(t *testing.T) {
				cb, _ := newBreaker(t, c)
				for range 2 {
					func() {
						defer func() {
							if r := recover(); r != errBoom {
								t.Fatalf("recovered %v, want the original panic", r)
							}
						}()
						_ = do(cb, func(context.Context) error { panic(errBoom) })
						t.Fatal("the panic was swallowed")
					}()
				}
				wantState(t, cb, circuitbreaker.StateOpen)
			})
		}
	}
}
