package rampartgrpc_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/rampart-go/rampart"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
	"github.com/rampart-go/rampart/hedge"
)

// gRFC A6: a hedged attempt that fails with a non-fatal code and a
// positive pushback delays the next hedge by the pushback, not by the
// hedging delay nor not at all.
func TestHedgePushbackDelaysNextHedge(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(1000, 0))
	hc, err := rampartgrpc.HedgingPolicy{MaxAttempts: 2, HedgingDelay: time.Hour,
		NonFatalStatusCodes: []codes.Code{codes.Unavailable}}.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc.Clock, hc.DisableBudget = clock, true
	h, err := hedge.New(hc)
	if err != nil {
		t.Fatal(err)
	}
	s := pushbackServer("5000") // attempt 1: UNAVAILABLE, pushback 5 s
	c := newClient(t, rampartgrpc.WithPolicy(h), rampartgrpc.WithClock(clock))
	conn := start(t, s, nil, c.DialOptions()...)
	done := make(chan error, 1)
	go func() {
		got, err := call(t.Context(), conn, "x")
		if err == nil && got != "x" {
			t.Errorf("reply %q, want x", got)
		}
		done <- err
	}()
	// The hedge timer (an hour) and the hedge's wait for the pushback.
	waitFor(t, "the hedge's wait for the pushback", func() bool { return clock.Pending() >= 2 })
	due, _ := clock.NextDue()
	if d := due.Sub(clock.Now()); d != 5*time.Second {
		t.Errorf("next hedge waits %v, want the pushback's 5s", d)
	}
	clock.Advance(5*time.Second - time.Millisecond)
	if n := s.attempts.Load(); n != 1 {
		t.Fatalf("server saw %d attempts before the pushback ended, want 1", n)
	}
	clock.Advance(time.Millisecond)
	if err := recvTimeout(t, done, "the call"); err != nil {
		t.Fatal(err)
	}
	if n := s.attempts.Load(); n != 2 {
		t.Errorf("server saw %d attempts, want 2", n)
	}
}
