package circuitbreaker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/internal/testutil"
)

var (
	errBoom = errors.New("boom")
	t0      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// newBreaker returns a breaker on a manual clock, and the clock.
func newBreaker(t *testing.T, c circuitbreaker.Config) (*circuitbreaker.Breaker, *rampart.ManualClock) {
	t.Helper()
	clock := rampart.NewManualClock(t0)
	c.Clock = clock
	cb, err := circuitbreaker.New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return cb, clock
}

// call makes one call through the two-step form that ends with err.
func call(t *testing.T, cb *circuitbreaker.Breaker, err error) {
	t.Helper()
	p, aerr := cb.Allow()
	if aerr != nil {
		t.Fatalf("Allow in state %v: %v", cb.State(), aerr)
	}
	p.Done(err)
}

// calls makes n calls that end with err.
func calls(t *testing.T, cb *circuitbreaker.Breaker, n int, err error) {
	t.Helper()
	for range n {
		call(t, cb, err)
	}
}

func wantState(t *testing.T, cb *circuitbreaker.Breaker, want circuitbreaker.State) {
	t.Helper()
	if got := cb.State(); got != want {
		t.Fatalf("state = %v, want %v", got, want)
	}
}

// recorder keeps every event the breaker emits.
type recorder = testutil.Recorder

// transitions returns the state changes r saw as "from>to:reason".
func transitions(r *recorder) []string {
	var out []string
	for _, e := range r.Of(rampart.EventStateChange) {
		out = append(out, e.From+">"+e.To+":"+e.Reason)
	}
	return out
}

func contextCanceled() error { return context.Canceled }
