package rampart_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart"
)

// noop is a policy that does nothing, with a pointer receiver like every
// real policy.
type noop struct{ _ byte }

func (*noop) Execute(ctx context.Context, next rampart.Next) error { return next.Run(ctx) }

func ok(context.Context) error { return nil }

// floorPolicy and floorSink give the least a pipeline of one policy can
// cost: an interface call into a policy that calls the function. Nothing in
// rampart runs in it; it measures the machine, so the pipeline figures can
// be read against it. floorSink is a variable so the call stays dynamic.
type floorPolicy interface {
	Execute(ctx context.Context, fn func(context.Context) error) error
}

type floorImpl struct{ _ byte }

func (*floorImpl) Execute(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

var floorSink floorPolicy = &floorImpl{}

// noopSink is a policy whose type the compiler cannot know at a call site.
var noopSink rampart.Policy = &noop{}

func BenchmarkDo(b *testing.B) {
	ctx := context.Background()
	b.Run("pipeline=empty", func(b *testing.B) {
		p := rampart.Pipeline()
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Do(ctx, ok)
		}
	})
	b.Run("pipeline=noop", func(b *testing.B) {
		p := rampart.Pipeline(&noop{})
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Do(ctx, ok)
		}
	})
	b.Run("policy=noop", func(b *testing.B) {
		// Through noopSink, a variable, so the compiler cannot see the
		// policy's type: written with &noop{} in the call, Do, Execute and
		// Run were all inlined away and the loop measured a bare call of ok.
		p := noopSink
		b.ReportAllocs()
		for b.Loop() {
			_ = rampart.Do(ctx, p, ok)
		}
	})
	b.Run("floor=interface-call+function", func(b *testing.B) {
		p := floorSink
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Execute(ctx, ok)
		}
	})
	b.Run("pipeline=noop3", func(b *testing.B) {
		p := rampart.Pipeline(&noop{}, &noop{}, &noop{})
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Do(ctx, ok)
		}
	})
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	fn := func(context.Context) (int, error) { return 1, nil }
	b.Run("pipeline=noop", func(b *testing.B) {
		p := rampart.Pipeline(&noop{})
		b.ReportAllocs()
		for b.Loop() {
			_, _ = rampart.Get(ctx, p, fn)
		}
	})
	b.Run("pipeline=noop/parallel", func(b *testing.B) {
		p := rampart.Pipeline(&noop{})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, _ = rampart.Get(ctx, p, fn)
			}
		})
	})
}

func BenchmarkDoParallel(b *testing.B) {
	ctx := context.Background()
	p := rampart.Pipeline(&noop{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = p.Do(ctx, ok)
		}
	})
}
