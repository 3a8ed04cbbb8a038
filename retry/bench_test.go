package retry_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

func ok(context.Context) error { return nil }

func benchPolicy(b *testing.B, c retry.Config) *retry.Policy {
	b.Helper()
	p, err := retry.New(c)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkExecuteFirstAttemptSucceeds is the target of the package: the
// cost of the wrapper when nothing fails (≤ 10 ns, 0 allocs).
func BenchmarkExecuteFirstAttemptSucceeds(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		cfg  retry.Config
	}{
		{"budget=default", retry.Config{}},
		{"budget=none", retry.Config{DisableBudget: true}},
	} {
		p := benchPolicy(b, bc.cfg)
		b.Run(bc.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Do(ctx, ok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := p.Do(ctx, ok); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkBaseline is a direct call through rampart.Do with an empty
// pipeline, to subtract from the figures above.
func BenchmarkBaseline(b *testing.B) {
	ctx := context.Background()
	p := rampart.Pipeline()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Do(ctx, ok); err != nil {
			b.Fatal(err)
		}
	}
}

//go:noinline
func direct(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

// BenchmarkCalibrate is a plain indirect call, the floor of any wrapper on
// this machine.
func BenchmarkCalibrate(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := direct(ctx, ok); err != nil {
			b.Fatal(err)
		}
	}
}
