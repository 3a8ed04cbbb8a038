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
