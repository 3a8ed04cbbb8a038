package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/testutil"
	"github.com/rampart-go/rampart/retry"
)

var errTransient = errors.New("transient")

func mustNew(t testing.TB, c retry.Config) *retry.Policy {
	t.Helper()
	p, err := retry.New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// steps is a constant backoff without jitter, so waits are exact.
func steps(d time.Duration) retry.BackoffConfig {
	return retry.BackoffConfig{Kind: retry.KindConstant, Base: d, Jitter: retry.JitterNone}
}

// failing returns a function that fails with err its first n calls, then
// succeeds, and records when each call started and with which attempt.
type failing struct {
	n        int
	err      error
	calls    int
	at       []time.Time
	attempts []rampart.Attempt
}

func (f *failing) fn(ctx context.Context) error {
	f.calls++
	f.at = append(f.at, time.Now())
	f.attempts = append(f.attempts, rampart.AttemptFrom(ctx))
	if f.calls <= f.n {
		return f.err
	}
	return nil
}

// recorder keeps every event the policy emits.
type recorder = testutil.Recorder
