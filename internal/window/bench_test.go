package window_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rampart-go/rampart/internal/window"
)

// The benchmarks below keep the choice of Count's design proven: a ring
// under a mutex, a lock-free ring that every call advances, and Count, which
// advances only while the window holds something other than successes.
//
//	go test -bench=Count -benchmem ./internal/window

const benchSize = 100

// mutexRing is the straightforward design: a ring under a mutex.
type mutexRing struct {
	mu       sync.Mutex
	slots    []window.Flags
	pos      int
	failures int
}

func (r *mutexRing) record(f window.Flags) {
	r.mu.Lock()
	old := r.slots[r.pos]
	r.slots[r.pos] = f
	r.pos++
	if r.pos == len(r.slots) {
		r.pos = 0
	}
	if old&window.Failed != 0 {
		r.failures--
	}
	if f&window.Failed != 0 {
		r.failures++
	}
	r.mu.Unlock()
}

// atomicRing advances on every call, successes included.
type atomicRing struct {
	cursor   atomic.Uint64
	failures atomic.Int64
	slots    []atomic.Uint32
}

func (r *atomicRing) record(f window.Flags) {
	pos := r.cursor.Add(1) - 1
	old := r.slots[pos%uint64(len(r.slots))].Swap(uint32(f))
	if old != uint32(f) {
		if f&window.Failed != 0 {
			r.failures.Add(1)
		} else {
			r.failures.Add(-1)
		}
	}
}

func BenchmarkCountSuccess(b *testing.B) {
	b.Run("impl=mutex", func(b *testing.B) {
		r := &mutexRing{slots: make([]window.Flags, benchSize)}
		serialAndParallel(b, func() { r.record(0) })
	})
	b.Run("impl=atomic-ring", func(b *testing.B) {
		r := &atomicRing{slots: make([]atomic.Uint32, benchSize)}
		serialAndParallel(b, func() { r.record(0) })
	})
	b.Run("impl=count/healthy", func(b *testing.B) {
		w := window.NewCount(benchSize)
		for range benchSize {
			w.Success()
		}
		serialAndParallel(b, w.Success)
	})
	b.Run("impl=count/one-failure-in-window", func(b *testing.B) {
		// Worst case for Count: a failure is always in the window, so
		// every success advances the ring.
		w := window.NewCount(benchSize)
		perGoroutine(b, func() func() {
			n := 0
			return func() {
				if n++; n%benchSize == 0 {
					w.Record(window.Failed)
					return
				}
				w.Success()
			}
		})
	})
}

func BenchmarkTimeRecord(b *testing.B) {
	w := window.NewTime(1e9, 10)
	serialAndParallel(b, func() { w.Record(5e9, 0) })
}

func serialAndParallel(b *testing.B, f func()) {
	perGoroutine(b, func() func() { return f })
}

// perGoroutine runs the function made by mk serially, then in parallel with
// one function made per goroutine.
func perGoroutine(b *testing.B, mk func() func()) {
	b.Run("mode=serial", func(b *testing.B) {
		b.ReportAllocs()
		f := mk()
		for b.Loop() {
			f()
		}
	})
	b.Run("mode=parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			f := mk()
			for pb.Next() {
				f()
			}
		})
	})
}
