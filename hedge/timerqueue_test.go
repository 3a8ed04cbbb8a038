package hedge

import (
	"math"
	"slices"
	"testing"
	"time"
)

// dues lists the queue's calls from the head, checking the back links.
func (q *timerQueue) dues(t *testing.T) []time.Duration {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	var ds []time.Duration
	var prev *call
	for c := q.head; c != nil; c = c.qnext {
		if c.qprev != prev || !c.queued {
			t.Fatalf("broken links at due %v", c.due)
		}
		ds = append(ds, c.due)
		prev = c
	}
	if q.tail != prev {
		t.Fatal("tail is not the last call")
	}
	return ds
}

// Calls join in the order of their due times wherever they fall (a shorter
// delay puts a newcomer before earlier calls), leave from anywhere, and
// join again when re-armed; the timer follows the earliest.
func TestTimerQueueKeepsCallsInDueOrder(t *testing.T) {
	var q timerQueue
	defer func() {
		if q.timer != nil {
			q.timer.Stop()
		}
	}()
	now, ok := monoNow()
	if !ok {
		t.Fatal("monoNow reports a bubble outside any")
	}
	h := time.Hour // never fires during the test
	calls := make([]*call, 5)
	for i, d := range []time.Duration{3 * h, 5 * h, 4 * h, 1 * h, 5 * h} {
		calls[i] = &call{}
		q.add(calls[i], now, now+d)
	}
	want := []time.Duration{now + h, now + 3*h, now + 4*h, now + 5*h, now + 5*h}
	if got := q.dues(t); !slices.Equal(got, want) {
		t.Fatalf("dues %v, want %v", got, want)
	}
	if q.at != now+h {
		t.Fatalf("timer set to %v, want the earliest, %v", q.at, now+h)
	}
	if q.tail != calls[4] {
		t.Fatal("of two calls due at once, the later is not after the earlier")
	}

	q.remove(calls[3]) // the head
	q.remove(calls[2]) // the middle
	q.remove(calls[2]) // twice
	q.remove(calls[4]) // the tail
	if got := q.dues(t); !slices.Equal(got, []time.Duration{now + 3*h, now + 5*h}) {
		t.Fatalf("after removals, dues %v", got)
	}
	q.add(calls[1], now, now+2*h) // re-armed before it fired
	if got := q.dues(t); !slices.Equal(got, []time.Duration{now + 2*h, now + 3*h}) {
		t.Fatalf("after re-arming, dues %v", got)
	}
	if q.at != now+h {
		t.Fatalf("timer set to %v; a later head need not move it from %v", q.at, now+h)
	}
	q.remove(calls[0])
	q.remove(calls[1])
	if q.head != nil || q.tail != nil {
		t.Fatal("queue not empty")
	}
}

// A due time past what a Duration holds saturates.
func TestDueAtSaturates(t *testing.T) {
	if got := dueAt(time.Hour, math.MaxInt64); got != math.MaxInt64 {
		t.Fatalf("dueAt saturated to %v", got)
	}
	if got := dueAt(time.Hour, time.Second); got != time.Hour+time.Second {
		t.Fatalf("dueAt %v", got)
	}
}
