package adaptive_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart/adaptive"
)

// The limiter's hot path: Acquire then Release, no lock, no allocation.
func BenchmarkAcquireRelease(b *testing.B) {
	l, err := adaptive.New(adaptive.Config{MaxLimit: 1000, InitialLimit: 1000})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := l.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		p.Release()
	}
}

func BenchmarkAcquireReleaseParallel(b *testing.B) {
	l, err := adaptive.New(adaptive.Config{MaxLimit: 1000, InitialLimit: 1000})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			p, err := l.Acquire(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			p.Release()
		}
	})
}

// A rejection: the limit reached, no queue.
func BenchmarkReject(b *testing.B) {
	l, err := adaptive.New(adaptive.Config{MinLimit: 1, MaxLimit: 1, InitialLimit: 1})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	held, _ := l.Acquire(ctx)
	defer held.Release()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Acquire(ctx); err == nil {
			b.Fatal("admitted past the limit")
		}
	}
}
