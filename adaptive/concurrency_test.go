package adaptive_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
)

// Many goroutines acquiring and finishing at once, with every priority,
// drops and cancellations, a queue: the in-flight count never passes the
// critical threshold of MaxLimit, the limit stays in [MinLimit, MaxLimit],
// and everything is given back at the end.
func TestManyGoroutinesStayWithinBounds(t *testing.T) {
	for _, queue := range []int{0, 8} {
		l, err := adaptive.New(adaptive.Config{MinLimit: 2, MaxLimit: 16, InitialLimit: 8, MaxQueue: queue, MinSamples: 1, Window: 1})
		if err != nil {
			t.Fatal(err)
		}
		const bound = 16 + 1 // the critical threshold of MaxLimit
		var running, worst atomic.Int64
		var bad atomic.Value
		var wg sync.WaitGroup
		for g := range 32 {
			wg.Go(func() {
				for i := range 300 {
					ctx := rampart.WithPriority(context.Background(), rampart.Priority(g%3-1))
					var cancel context.CancelFunc = func() {}
					if i%7 == 0 {
						ctx, cancel = context.WithCancel(ctx)
						go cancel()
					}
					p, err := l.Acquire(ctx)
					if err != nil {
						cancel()
						if !errors.Is(err, rampart.ErrRejected) {
							bad.Store(err)
						}
						continue
					}
					n := running.Add(1)
					for w := worst.Load(); n > w && !worst.CompareAndSwap(w, n); w = worst.Load() {
					}
					if lim := l.Limit(); lim < 2 || lim > 16 {
						bad.Store(errors.New("limit out of bounds"))
					}
					runtime.Gosched()
					running.Add(-1)
					switch i % 3 {
					case 0:
						p.Release()
					case 1:
						p.Drop()
					default:
						p.Done(nil)
					}
					cancel()
				}
			})
		}
		wg.Wait()
		if err, _ := bad.Load().(error); err != nil {
			t.Fatalf("queue %d: %v", queue, err)
		}
		if w := worst.Load(); w > bound {
			t.Errorf("queue %d: %d calls ran at once, bound %d", queue, w, bound)
		}
		if s := l.Snapshot(); s.InFlight != 0 || s.Queued != 0 {
			t.Errorf("queue %d: snapshot %+v, want nothing in flight or queued", queue, s)
		}
	}
}
