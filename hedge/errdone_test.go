package hedge_test

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/hedge"
)

// errWithoutDone reports whether ctx breaks the context.Context contract
// that a non-nil Err means Done is closed.
func errWithoutDone(ctx context.Context) bool {
	if ctx.Err() == nil {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	default:
		return true
	}
}

// Regression: the first attempt's context returned the parent's error from
// Err while its own Done channel was still open, closed a moment later by
// the goroutine that package context runs for the parent's AfterFunc.
func TestFirstAttemptErrMeansDoneWhenTheCallerCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: time.Second})
		for range 50 {
			caller, cancel := context.WithCancel(t.Context())
			var broken bool
			p.Do(caller, func(ctx context.Context) error {
				ctx.Done() // the attempt starts to wait: arms the hedge timer
				cancel()
				broken = errWithoutDone(ctx)
				<-ctx.Done()
				return ctx.Err()
			})
			cancel()
			if broken {
				t.Fatal("Err was not nil while Done was open, after the caller cancelled")
			}
		}
	})
}

// Regression: once a hedge had won, the first attempt's Err said Canceled
// before its Done channel was closed. The first attempt spins on Err while
// the winning hedge returns, so it looks during the decision.
func TestFirstAttemptErrMeansDoneWhenAHedgeWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: time.Millisecond, DisableBudget: true})
		for range 200 {
			started := make(chan struct{})
			broken := make(chan bool, 1)
			p.Do(t.Context(), func(ctx context.Context) error {
				if rampart.AttemptFrom(ctx).Hedge {
					close(started)
					return nil // the hedge answers at once and wins
				}
				ctx.Done() // the attempt starts to wait: arms the hedge timer
				<-started
				for ctx.Err() == nil {
					runtime.Gosched()
				}
				broken <- errWithoutDone(ctx)
				return ctx.Err()
			})
			if <-broken {
				t.Fatal("Err was not nil while Done was open, after a hedge won")
			}
		}
	})
}
