package retry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

// failOnce fails every other call: through a retry, each call's first
// attempt fails and its second succeeds.
type failOnce struct{ n int }

func (f *failOnce) fn(context.Context) error {
	f.n++
	if f.n%2 == 1 {
		return errTransient
	}
	return nil
}

// rejected is a local rejection, like an open breaker's.
var rejected = errors.Join(errTransient, rampart.ErrRejected)

func rejectFn(context.Context) error { return rejected }

// BenchmarkFailurePaths is the cost of the paths an incident runs: a first
// attempt that fails and a second that succeeds with no wait between them
// (the budget on, earning back on each success what the failure spent),
// and a rejection the policy returns without retrying.
func BenchmarkFailurePaths(b *testing.B) {
	ctx := context.Background()
	b.Run("path=retry-then-succeed", func(b *testing.B) {
		p := benchPolicy(b, retry.Config{
			Strategy:     retry.Constant(0),
			BudgetConfig: retry.TokenBucketConfig{TokenRatio: 1},
		})
		f := &failOnce{}
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Do(ctx, f.fn); err != nil {
				b.Fatal(err)
			}
		}
		if s := p.Snapshot(); s.Retries != int64(b.N) {
			b.Fatalf("%d retries in %d calls", s.Retries, b.N)
		}
	})
	b.Run("path=rejected", func(b *testing.B) {
		p := benchPolicy(b, retry.Config{})
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Do(ctx, rejectFn); err != rejected {
				b.Fatal(err)
			}
		}
	})
}
