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

func TestTimeCountsALateCallInTheNewestBucket(t *testing.T) {
	w := window.NewTime(10, 2)
	w.Record(25, 0)
	w.Record(3, window.Failed) // older than the window: counted at 25
	if got, want := w.Counts(25), (window.Counts{Calls: 2, Failures: 1}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestTimeHandlesNegativeTimes(t *testing.T) {
	w := window.NewTime(10, 2)
	w.Record(-11, 0)
	w.Record(-1, window.Failed)
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

func TestTimeCountsACallFromABackwardClockInTheNewestBucket(t *testing.T) {
	w := window.NewTime(10, 3)
	w.Record(100, 0)
	// The clock steps back two whole periods: before the fix the calls
	// were dropped and the window stopped counting.
	for range 3 {
		w.Record(40, window.Failed)
	}
	want := window.Counts{Calls: 4, Failures: 3}
	if got := w.Counts(40); got != want {
		t.Fatalf("Counts(40) after a backward step = %+v, want %+v", got, want)
	}
	if got := w.Counts(100); got != want {
		t.Fatalf("Counts(100) = %+v, want %+v", got, want)
	}
}

func TestTimeResetEmptiesTheWindowAndKeepsTheTotals(t *testing.T) {
	w := window.NewTime(10, 3)
	w.Record(0, window.Failed)
	w.Record(15, 0)
	w.Record(45, window.Slow) // slot 1: recycles the bucket that held 15
	w.Reset()
	if got := w.Counts(45); got != (window.Counts{}) {
		t.Fatalf("after Reset: %+v, want empty", got)
	}
	w.Record(50, window.Failed)
	if got, want := w.Counts(50), (window.Counts{Calls: 1, Failures: 1}); got != want {
		t.Fatalf("after Reset and a call: %+v, want %+v", got, want)
	}
	if got, want := w.Totals(), (window.Counts{Calls: 4, Failures: 2}); got != want {
		t.Fatalf("Totals = %+v, want %+v", got, want)
	}
}

func TestCountResetEmptiesTheWindow(t *testing.T) {
	w := window.NewCount(3)
	w.Record(window.Failed | window.Slow)
	w.Success()
	w.Reset()
	if got := w.Counts(); got != (window.Counts{}) {
		t.Fatalf("after Reset: %+v, want empty", got)
	}
	if w.Healthy() {
		t.Fatal("an empty window reports healthy")
	}
	for range 3 {
		w.Success()
	}
	if !w.Healthy() || w.Counts() != (window.Counts{Calls: 3}) {
		t.Fatalf("after 3 successes: healthy %v, %+v", w.Healthy(), w.Counts())
	}
}
