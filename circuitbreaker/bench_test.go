package circuitbreaker_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart"

	"github.com/rampart-go/rampart/circuitbreaker"
)

// Success path in closed state, serial and parallel, through both entry
// points. Targets: consecutive and count window ≤ 15 ns, time window
// ≤ 60 ns, 0 allocs.
//
//	go test -run '^$' -bench . -benchmem -count 10 ./circuitbreaker | benchstat -

var benchConfigs = []struct {
	name string
	cfg  circuitbreaker.Config
}{
	{"trip=consecutive", circuitbreaker.Config{ConsecutiveFailures: 5}},
	{"trip=count-window", circuitbreaker.Config{FailureRateThreshold: 0.5, WindowSize: 100}},
	{"trip=time-window", circuitbreaker.Config{FailureRateThreshold: 0.5, WindowDuration: 10 * time.Second}},
	{"trip=count-window+slow", circuitbreaker.Config{FailureRateThreshold: 0.5, WindowSize: 100, SlowCallThreshold: time.Second}},
}

func newBench(b *testing.B, c circuitbreaker.Config) *circuitbreaker.Breaker {
	b.Helper()
	cb, err := circuitbreaker.New(c)
	if err != nil {
		b.Fatal(err)
	}
	return cb
}

// The loops of BenchmarkAllowDone and BenchmarkDo are written out rather
// than shared through a helper taking a func: the helper's indirect call
// would be measured with them, about 2 ns on a path whose target is 15.
func BenchmarkAllowDone(b *testing.B) {
	for _, bc := range benchConfigs {
		b.Run(bc.name, func(b *testing.B) {
			cb := newBench(b, bc.cfg)
			b.Run("mode=serial", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p, err := cb.Allow()
					if err != nil {
						b.Fatal(err)
					}
					p.Done(nil)
				}
			})
			b.Run("mode=parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						p, err := cb.Allow()
						if err != nil {
							b.Error(err)
							return
						}
						p.Done(nil)
					}
				})
			})
		})
	}
}

func BenchmarkDo(b *testing.B) {
	ctx := context.Background()
	fn := func(context.Context) error { return nil }
	for _, bc := range benchConfigs {
		b.Run(bc.name, func(b *testing.B) {
			cb := newBench(b, bc.cfg)
			b.Run("mode=serial", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := cb.Do(ctx, fn); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("mode=parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := cb.Do(ctx, fn); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

// BenchmarkWindowWithFailures is the count window's worst steady case: one
// failure in every 100 calls keeps a failure in the window, so successes
// advance the ring instead of taking the one-load path.
func BenchmarkWindowWithFailures(b *testing.B) {
	errBoom := errors.New("boom")
	cb := newBench(b, circuitbreaker.Config{FailureRateThreshold: 0.5, WindowSize: 100})
	run := func(n *int) {
		p, err := cb.Allow()
		if err != nil {
			b.Error(err)
			return
		}
		if *n++; *n%100 == 0 {
			p.Done(errBoom)
			return
		}
		p.Done(nil)
	}
	b.Run("mode=serial", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			run(&n)
		}
	})
	b.Run("mode=parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			n := 0
			for pb.Next() {
				run(&n)
			}
		})
	})
}

// BenchmarkRejected is the cost of a rejection by an open breaker: a load
// of the flag the open period's timer sets (no clock read), and a count.
// The error is made once per opening, so a rejection allocates nothing.
func BenchmarkRejected(b *testing.B) {
	ctx := context.Background()
	fn := func(context.Context) error { panic("an open breaker ran the call") }
	cb := newBench(b, circuitbreaker.Config{OpenDuration: time.Hour})
	cb.Open()
	entries := []struct {
		name string
		call func() error
	}{
		{"api=Allow", func() error { _, err := cb.Allow(); return err }},
		{"api=Do", func() error { return cb.Do(ctx, fn) }},
	}
	for _, e := range entries {
		b.Run(e.name+"/mode=serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if e.call() == nil {
					b.Fatal("allowed")
				}
			}
		})
		b.Run(e.name+"/mode=parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if e.call() == nil {
						b.Error("allowed")
						return
					}
				}
			})
		})
	}
}

// BenchmarkClock is the floor under every path that reads the time: one
// read of the real clock as the breaker does it. A time-based window reads
// it once per call, slow-call detection twice.
func BenchmarkClock(b *testing.B) {
	base := time.Now()
	var sink time.Duration
	b.ReportAllocs()
	for b.Loop() {
		sink += rampart.Since(nil, base)
	}
	_ = sink
}

// BenchmarkConsecutiveReset shows why a success loads the run of failures
// before resetting it: a store on every call makes the counter's cache line
// bounce between cores; a load that finds zero leaves it shared.
func BenchmarkConsecutiveReset(b *testing.B) {
	b.Run("impl=store-always/mode=parallel", func(b *testing.B) {
		var run paddedInt64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				run.v.Store(0)
			}
		})
	})
	b.Run("impl=load-then-store/mode=parallel", func(b *testing.B) {
		var run paddedInt64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if run.v.Load() != 0 {
					run.v.Store(0)
				}
			}
		})
	})
}

type paddedInt64 struct {
	_ [64]byte
	v atomic.Int64
	_ [56]byte
}
