package testutil_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/testutil"
)

func TestRecorderKeepsEventsInOrder(t *testing.T) {
	var r testutil.Recorder
	r.Observe(rampart.Event{Kind: rampart.EventRejected})
	r.Observe(rampart.Event{Kind: rampart.EventStateChange, To: "open"})
	r.Observe(rampart.Event{Kind: rampart.EventRejected, Delay: 1})
	if got := r.Kinds(); !slices.Equal(got, []rampart.EventKind{rampart.EventRejected, rampart.EventStateChange, rampart.EventRejected}) {
		t.Fatalf("Kinds = %v", got)
	}
	if got := r.Of(rampart.EventRejected); len(got) != 2 || got[1].Delay != 1 {
		t.Fatalf("Of = %+v", got)
	}
	ev := r.Events()
	ev[0].Kind = rampart.EventPanic
	if r.Events()[0].Kind != rampart.EventRejected {
		t.Fatal("Events returned the recorder's own slice")
	}
}

func TestRecorderConcurrentUse(t *testing.T) {
	var r testutil.Recorder
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				r.Observe(rampart.Event{Kind: rampart.EventTimeout})
			}
		})
	}
	wg.Wait()
	if n := len(r.Events()); n != 800 {
		t.Fatalf("events = %d, want 800", n)
	}
}
