package retry_test

import (
	"context"
	"testing"
	"time"

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
// cost of the wrapper when nothing fails (≤ 10 ns, 0 allocs, serial and
// parallel). Read it beside BenchmarkNullPolicy, a policy that only calls
// next.Run: the difference is what retry itself adds (a flag, an error
// check and, with the default budget, one shared load and compare). The
// side-by-side figures with cenkalti/backoff and failsafe-go are in the
// bench module.
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

// nullPolicy runs the call and nothing else: the floor of any policy.
type nullPolicy struct{}

func (nullPolicy) Execute(ctx context.Context, next rampart.Next) error { return next.Run(ctx) }

// BenchmarkNullPolicy is what rampart.Do costs through a policy that does
// nothing, to subtract from the figures of BenchmarkExecuteFirstAttemptSucceeds.
func BenchmarkNullPolicy(b *testing.B) {
	ctx := context.Background()
	var p rampart.Policy = nullPolicy{}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := rampart.Do(ctx, p, ok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := rampart.Do(ctx, p, ok); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkBudget is the cost of each budget's calls on the success path:
// a token bucket that is full only reads; a ratio budget counts each call.
func BenchmarkBudget(b *testing.B) {
	tb, _ := retry.NewTokenBucket(retry.TokenBucketConfig{})
	rb, _ := retry.NewRatioBudget(retry.RatioBudgetConfig{})
	for _, bc := range []struct {
		name string
		b    retry.Budget
	}{{"kind=tokenbucket", tb}, {"kind=ratio", rb}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					bc.b.OnRequest()
					bc.b.OnSuccess()
				}
			})
		})
	}
}

// BenchmarkDecision is the cost of one retry decision (classification,
// backoff with jitter, budget), without the wait.
func BenchmarkDecision(b *testing.B) {
	p := benchPolicy(b, retry.Config{MaxAttempts: 1 << 30, DisableBudget: true})
	now := time.Unix(0, 0)
	ctx := context.Background()
	b.ReportAllocs()
	c := p.Begin(now, time.Time{})
	for b.Loop() {
		if d := c.Failed(ctx, errTransient, now); !d.Retry {
			b.Fatal(d.Err)
		}
	}
}
