package window_test

import (
	"sync"
	"testing"

	"github.com/rampart-go/rampart/internal/window"
)

func TestCountHoldsOnlyTheLastSizeCalls(t *testing.T) {
	w := window.NewCount(4)
	w.Record(window.Failed)
	w.Record(window.Failed | window.Slow)
	if got, want := w.Counts(), (window.Counts{Calls: 2, Failures: 2, Slow: 1}); got != want {
		t.Fatalf("after 2 failures: got %+v, want %+v", got, want)
	}
	for range 3 {
		w.Success()
	}
	if got, want := w.Counts(), (window.Counts{Calls: 4, Failures: 1, Slow: 1}); got != want {
		t.Fatalf("after 3 successes: got %+v, want %+v", got, want)
	}
	w.Success()
	if got, want := w.Counts(), (window.Counts{Calls: 4}); got != want {
		t.Fatalf("after the failures aged out: got %+v, want %+v", got, want)
	}
	w.Record(window.Slow)
	if got, want := w.Counts(), (window.Counts{Calls: 4, Slow: 1}); got != want {
		t.Fatalf("after a slow success: got %+v, want %+v", got, want)
	}
}

func TestCountSuccessOnAHealthyWindowKeepsItHealthy(t *testing.T) {
	w := window.NewCount(3)
	for range 10 {
		w.Success()
	}
	w.Record(window.Failed)
	if got, want := w.Counts(), (window.Counts{Calls: 3, Failures: 1}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for range 2 {
		w.Success()
	}
	if got := w.Counts().Failures; got != 1 {
		t.Fatalf("failure aged out after 2 successes in a window of 3: failures = %d", got)
	}
	w.Success()
	if got := w.Counts().Failures; got != 0 {
		t.Fatalf("failure still counted after 3 successes: failures = %d", got)
	}
}

func TestCountLosesNoCallsUnderConcurrency(t *testing.T) {
	const goroutines, each = 8, 1000
	w := window.NewCount(goroutines * each)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				switch {
				case (g+i)%3 == 0:
					w.Record(window.Failed)
				case (g+i)%5 == 0:
					w.Record(window.Slow)
				default:
					w.Success()
				}
			}
		})
	}
	wg.Wait()
	var fails, slow int64
	for g := range goroutines {
		for i := range each {
			switch {
			case (g+i)%3 == 0:
				fails++
			case (g+i)%5 == 0:
				slow++
			}
		}
	}
	want := window.Counts{Calls: goroutines * each, Failures: fails, Slow: slow}
	if got := w.Counts(); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestCountTotalsMatchTheRingAfterConcurrentWraparound(t *testing.T) {
	w := window.NewCount(16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5000 {
				if (g*7+i)%4 == 0 {
					w.Record(window.Failed)
				} else {
					w.Record(0)
				}
			}
		})
	}
	wg.Wait()
	// 16 more plain successes leave the window all successes: every
	// total must come back to zero if no adjustment was lost.
	for range 16 {
		w.Record(0)
	}
	if got, want := w.Counts(), (window.Counts{Calls: 16}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestCountDebtIsZeroExactlyWhenHealthy(t *testing.T) {
	w := window.NewCount(3)
	check := func(when string, healthy bool) {
		t.Helper()
		if got := w.Healthy(); got != healthy {
			t.Fatalf("%s: Healthy = %v, want %v", when, got, healthy)
		}
		if got := w.Debt().Load() == 0; got != healthy {
			t.Fatalf("%s: Debt = %d, want zero = %v", when, w.Debt().Load(), healthy)
		}
	}
	check("empty", false)
	for range 3 {
		w.Success()
	}
	check("full of successes", true)
	w.Record(window.Failed)
	check("after a failure", false)
	for range 3 {
		w.Success()
	}
	check("after the failure aged out", true)
}
