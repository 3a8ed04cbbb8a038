package window_test

import (
	"sync"
	"testing"

	"github.com/rampart-go/rampart/internal/window"
)

func TestTimeDropsBucketsOlderThanThePeriod(t *testing.T) {
	w := window.NewTime(10, 3) // buckets [0,10) [10,20) [20,30) ...
	w.Record(0, window.Failed)
	w.Record(5, 0)
	w.Record(12, window.Slow)
	w.Record(29, window.Failed|window.Slow)
	if got, want := w.Counts(29), (window.Counts{Calls: 4, Failures: 2, Slow: 2}); got != want {
		t.Fatalf("at 29: got %+v, want %+v", got, want)
	}
	if got, want := w.Counts(30), (window.Counts{Calls: 2, Failures: 1, Slow: 2}); got != want {
		t.Fatalf("at 30: got %+v, want %+v", got, want)
	}
	w.Record(31, 0) // recycles the bucket that held [0,10)
	if got, want := w.Counts(31), (window.Counts{Calls: 3, Failures: 1, Slow: 2}); got != want {
		t.Fatalf("at 31: got %+v, want %+v", got, want)
	}
	if got := w.Counts(100); got != (window.Counts{}) {
		t.Fatalf("at 100: got %+v, want empty", got)
	}
}

func TestTimeDropsCallsOlderThanTheWindow(t *testing.T) {
	w := window.NewTime(10, 2)
	w.Record(25, 0)
	w.Record(3, window.Failed) // same slot as 25, older: dropped
	if got, want := w.Counts(25), (window.Counts{Calls: 1}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestTimeHandlesNegativeTimes(t *testing.T) {
	w := window.NewTime(10, 2)
	w.Record(-1, window.Failed)
	w.Record(-11, 0)
	if got, want := w.Counts(-1), (window.Counts{Calls: 2, Failures: 1}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got, want := w.Counts(0), (window.Counts{Calls: 1, Failures: 1}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestTimeLosesNoCallsUnderConcurrency(t *testing.T) {
	w := window.NewTime(100, 10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				now := int64(i % 100) // all in one period, spread over buckets
				if (g+i)%4 == 0 {
					w.Record(now*10, window.Failed)
				} else {
					w.Record(now*10, 0)
				}
			}
		})
	}
	wg.Wait()
	if got, want := w.Counts(999), (window.Counts{Calls: 8000, Failures: 2000}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
