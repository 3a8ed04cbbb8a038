package bulkhead_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart/bulkhead"
)

func BenchmarkAcquireRelease(b *testing.B) {
	bh, _ := bulkhead.New(bulkhead.Config{MaxConcurrent: 1 << 20})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := bh.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		p.Release()
	}
}

func BenchmarkAcquireReleaseParallel(b *testing.B) {
	bh, _ := bulkhead.New(bulkhead.Config{MaxConcurrent: 1 << 20})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p, err := bh.Acquire(ctx)
			if err != nil {
				b.Fatal(err)
			}
			p.Release()
		}
	})
}
