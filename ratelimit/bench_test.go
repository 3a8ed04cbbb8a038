package ratelimit_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

// The limits are far above what a loop reaches, so every decision is yes.
var benchConfig = ratelimit.Config{Rate: 1e9, Burst: 1000}

// BenchmarkAllow is the decision with the default clock (time.Since).
func BenchmarkAllow(b *testing.B) {
	l := newLimiter(b, benchConfig)
	b.ReportAllocs()
	for b.Loop() {
		if !l.Allow() {
			b.Fatal("refused")
		}
	}
}

// BenchmarkAllowAt is the decision at a time the caller already holds.
func BenchmarkAllowAt(b *testing.B) {
	l := newLimiter(b, benchConfig)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if !l.AllowAt(now) {
			b.Fatal("refused")
		}
		now = now.Add(time.Nanosecond)
	}
}

func BenchmarkAllowParallel(b *testing.B) {
	l := newLimiter(b, benchConfig)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Allow()
		}
	})
}

func BenchmarkAllowAtParallel(b *testing.B) {
	// A burst of a second's worth of calls absorbs the lag of one
	// goroutine's time behind another's (a decision costs the same
	// whatever the burst).
	l := newLimiter(b, ratelimit.Config{Rate: 1e9, Burst: 1e9})
	start := time.Now()
	// Each goroutine moves its own time on by GOMAXPROCS ns a call, so the
	// goroutines together stay within the rate of one call a nanosecond.
	step := time.Duration(runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		now := start
		for pb.Next() {
			if !l.AllowAt(now) {
				b.Error("refused")
				return
			}
			now = now.Add(step)
		}
	})
}

// BenchmarkClock is the floor under Allow: the default clock's read alone.
func BenchmarkClock(b *testing.B) {
	base := time.Now()
	var sink time.Duration
	for b.Loop() {
		sink += time.Since(base)
	}
	_ = sink
}

// BenchmarkClockNow is time.Now, which reads the wall clock as well: what
// the default clock would cost without time.Since's shortcut.
func BenchmarkClockNow(b *testing.B) {
	var sink int64
	for b.Loop() {
		sink += time.Now().UnixNano()
	}
	_ = sink
}

// BenchmarkRefuse is the rejection path of Execute, with nothing let
// through.
func BenchmarkRefuse(b *testing.B) {
	l := newLimiter(b, ratelimit.Config{Rate: 1e-3, Burst: 1})
	l.Allow()
	ctx := context.Background()
	fn := func(context.Context) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if l.Do(ctx, fn) == nil {
			b.Fatal("let through")
		}
	}
}

func BenchmarkDo(b *testing.B) {
	l := newLimiter(b, benchConfig)
	ctx := context.Background()
	fn := func(context.Context) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		_ = l.Do(ctx, fn)
	}
}

func BenchmarkAllowKey(b *testing.B) {
	k, _ := ratelimit.NewKeyed(ratelimit.KeyedConfig{Rate: 1e9, Burst: 1000})
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "client-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			k.AllowKey(keys[i&1023])
			i++
		}
	})
}
