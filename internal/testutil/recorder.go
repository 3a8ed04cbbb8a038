package testutil

import (
	"sync"

	"github.com/rampart-go/rampart"
)

// Recorder is an observer that keeps every event it is given. It is safe
// for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []rampart.Event
}

// Observe implements rampart.Observer.
func (r *Recorder) Observe(e rampart.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns a copy of the events so far, in the order observed.
func (r *Recorder) Events() []rampart.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rampart.Event(nil), r.events...)
}

// Of returns the events of one kind, in the order observed.
func (r *Recorder) Of(kind rampart.EventKind) []rampart.Event {
	var out []rampart.Event
	for _, e := range r.Events() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// Kinds returns the kind of every event, in the order observed.
func (r *Recorder) Kinds() []rampart.EventKind {
	var out []rampart.EventKind
	for _, e := range r.Events() {
		out = append(out, e.Kind)
	}
	return out
}
