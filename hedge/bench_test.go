package hedge_test

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/hedge"
)

// BenchmarkNoHedge measures calls whose first attempt answers before the
// delay: the path every call but the slowest few takes. fn=returns answers
// without looking at its context; fn=watches asks for Done first, as a
// network call does, which arms the hedge timer; parent=cancellable runs
// under a caller's context that can be cancelled.
func BenchmarkNoHedge(b *testing.B) {
	ctx := context.Background()
	b.Run("floor", func(b *testing.B) {
		// What any policy that can cancel its first attempt pays at
		// least: one allocation the size of a call's state, then the
		// function.
		b.ReportAllocs()
		for b.Loop() {
			st := new([176]byte)
			_ = ok(ctx)
			sink = st
		}
	})
	fns := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"returns", ok},
		{"watches", func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			default:
				return nil
			}
		}},
	}
	for _, bc := range []struct {
		name string
		c    hedge.Config
	}{
		{"fixed", hedge.Config{Delay: time.Second}},
		{"p95", hedge.Config{Delay: time.Second, Quantile: 0.95}},
	} {
		p, err := hedge.New(bc.c)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range fns {
			b.Run("delay="+bc.name+"/fn="+f.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_ = rampart.Do(ctx, p, f.fn)
				}
			})
			b.Run("delay="+bc.name+"/fn="+f.name+"/parent=cancellable", func(b *testing.B) {
				// A caller's context that can be cancelled: watching it
				// costs package context's AfterFunc.
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				b.ReportAllocs()
				for b.Loop() {
					_ = rampart.Do(ctx, p, f.fn)
				}
			})
			b.Run("delay="+bc.name+"/fn="+f.name+"/parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						_ = rampart.Do(ctx, p, f.fn)
					}
				})
			})
		}
	}
}

var sink *[176]byte

func ok(context.Context) error { return nil }
