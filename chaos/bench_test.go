package chaos_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/chaos"
)

func ok(context.Context) error { return nil }

// floor is the least a policy can cost: an interface call into something
// that calls the function. Disabled's figure is read against it.
type floor interface {
	Execute(ctx context.Context, fn func(context.Context) error) error
}

type floorImpl struct{ _ byte }

func (*floorImpl) Execute(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

var floorSink floor = &floorImpl{}

// BenchmarkDisabled is a disabled policy's whole cost through rampart.Do.
func BenchmarkDisabled(b *testing.B) {
	ctx := context.Background()
	b.Run("chaos=disabled", func(b *testing.B) {
		p := newPolicy(b, chaos.Config{Rate: 1, Fault: errBoom})
		b.ReportAllocs()
		for b.Loop() {
			if rampart.Do(ctx, p, ok) != nil {
				b.Fatal("injected while disabled")
			}
		}
	})
	b.Run("chaos=floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = floorSink.Execute(ctx, ok)
		}
	})
}

func BenchmarkDisabledParallel(b *testing.B) {
	p := newPolicy(b, chaos.Config{Rate: 1, Fault: errBoom})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = rampart.Do(ctx, p, ok)
		}
	})
}

// BenchmarkEnabledNotInjected is an enabled policy whose draw says no.
func BenchmarkEnabledNotInjected(b *testing.B) {
	p := newPolicy(b, chaos.Config{Enabled: true, Rate: 1e-9, Seed: 1, Fault: errBoom})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = rampart.Do(ctx, p, ok)
	}
}
