package bench_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/rampart-go/rampart/bench"
	"github.com/rampart-go/rampart/bulkhead"
)

func BenchmarkBulkhead(b *testing.B) {
	serial(b, bench.BulkheadSubjects(), bench.Succeed, false)
}

func BenchmarkBulkheadParallel(b *testing.B) {
	parallel(b, bench.BulkheadSubjects(), bench.Succeed, false)
}

// TestBulkheadRowsLimitConcurrency checks that every Bulkhead row admits
// BulkheadLimit calls at once, refuses the next, and admits again once a
// slot is free: the rows measure a real bulkhead.
func TestBulkheadRowsLimitConcurrency(t *testing.T) {
	for _, s := range bench.BulkheadSubjects() {
		t.Run(s.Lib, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				in := s.New()
				release := make(chan struct{})
				for range bench.BulkheadLimit {
					go in.Call(context.Background(), func(context.Context) error {
						<-release
						return nil
					})
				}
				synctest.Wait()
				ran := false
				err := in.Call(context.Background(), func(context.Context) error { ran = true; return nil })
				if ran || !(errors.Is(err, bulkhead.ErrFull) || errors.Is(err, bench.ErrBulkheadFull)) {
					t.Fatalf("full bulkhead: ran %v, err %v", ran, err)
				}
				close(release)
				synctest.Wait()
				if err := in.Call(context.Background(), bench.Succeed); err != nil {
					t.Fatalf("after release: %v", err)
				}
			})
		})
	}
}
