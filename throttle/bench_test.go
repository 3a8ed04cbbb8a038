package throttle_test

import (
	"testing"

	"github.com/rampart-go/rampart/throttle"
)

// The decision on a healthy destination, and the report of its outcome.
func BenchmarkAllowRecord(b *testing.B) {
	th, _ := throttle.New(throttle.Config{})
	b.ReportAllocs()
	for b.Loop() {
		if !th.Allow() {
			b.Fatal("refused a healthy destination")
		}
		th.Record(true)
	}
}

func BenchmarkAllowRecordParallel(b *testing.B) {
	th, _ := throttle.New(throttle.Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if th.Allow() {
				th.Record(true)
			}
		}
	})
}
