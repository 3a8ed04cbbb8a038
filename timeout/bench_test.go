package timeout_test

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/timeout"
)

func BenchmarkTimeout(b *testing.B) {
	ctx := context.Background()
	ok := func(context.Context) error { return nil }
	for _, mode := range []timeout.Mode{timeout.Cooperative, timeout.Abandon} {
		b.Run("mode="+mode.String(), func(b *testing.B) {
			p, _ := timeout.New(timeout.Config{Timeout: time.Second, Mode: mode})
			b.ReportAllocs()
			for b.Loop() {
				_ = rampart.Do(ctx, p, ok)
			}
		})
		b.Run("mode="+mode.String()+"/parallel", func(b *testing.B) {
			p, _ := timeout.New(timeout.Config{Timeout: time.Second, Mode: mode})
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_ = rampart.Do(ctx, p, ok)
				}
			})
		})
	}
	b.Run("baseline=context.WithTimeout", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, cancel := context.WithTimeout(ctx, time.Second)
			_ = ok(c)
			cancel()
		}
	})
}

// BenchmarkWatch measures one cooperative call by what the function asks of
// its context, with rampart's timeout and with context.WithTimeout doing the
// same: nothing; ctx.Err() n times; Done once (as every network call does).
// The parent is context.Background (parent=background) or a cancellable
// context (parent=cancel), as a request's context is.
func BenchmarkWatch(b *testing.B) {
	type fn = func(context.Context) error
	errN := func(n int) fn {
		return func(ctx context.Context) error {
			for range n {
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
			return nil
		}
	}
	watches := []struct {
		name string
		fn   fn
	}{
		{"none", func(context.Context) error { return nil }},
		{"err-1", errN(1)},
		{"err-8", errN(8)},
		{"err-64", errN(64)},
		{"done", func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			default:
				return nil
			}
		}},
	}
	cancelled, cancel := context.WithCancel(context.Background())
	defer cancel()
	parents := []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"cancel", cancelled}}
	p, _ := timeout.New(timeout.Config{Timeout: time.Second})
	for _, parent := range parents {
		for _, w := range watches {
			b.Run("parent="+parent.name+"/watch="+w.name+"/lib=rampart", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_ = p.Do(parent.ctx, w.fn)
				}
			})
			b.Run("parent="+parent.name+"/watch="+w.name+"/lib=context.WithTimeout", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					c, cancel := context.WithTimeout(parent.ctx, time.Second)
					_ = w.fn(c)
					cancel()
				}
			})
		}
	}
}

// BenchmarkErr measures one ctx.Err() call inside a running call: the cost
// a function pays each time it checks its context in a loop.
func BenchmarkErr(b *testing.B) {
	b.Run("lib=rampart", func(b *testing.B) {
		p, _ := timeout.New(timeout.Config{Timeout: time.Hour})
		_ = p.Do(context.Background(), func(ctx context.Context) error {
			for b.Loop() {
				if ctx.Err() != nil {
					b.Fatal("cancelled")
				}
			}
			return nil
		})
	})
	b.Run("lib=context.WithTimeout", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		for b.Loop() {
			if ctx.Err() != nil {
				b.Fatal("cancelled")
			}
		}
	})
}
