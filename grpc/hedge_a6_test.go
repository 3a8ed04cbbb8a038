package rampartgrpc_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

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

// gRFC A6: the first hedged attempt to receive response headers commits
// the call: the other attempts are cancelled at once, before it answers,
// and no further hedge is sent.
func TestHedgeHeadersCommit(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	arrived, cancelled, release := make(chan int, 5), make(chan int, 5), make(chan struct{})
	s := &testServer{unary: func(ctx context.Context, n int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		arrived <- n
		if n == 2 {
			if err := grpc.SendHeader(ctx, metadata.Pairs("k", "v")); err != nil {
				return nil, err
			}
			<-release
			return reply("hedge"), nil
		}
		<-ctx.Done()
		cancelled <- n
		return nil, status.FromContextError(ctx.Err()).Err()
	}}
	c := newClient(t, rampartgrpc.WithPolicy(newHedge(t, clock, nil, codes.Unavailable)))
	conn := start(t, s, nil, c.DialOptions()...)
	done := callAsync(t, conn)
	recvTimeout(t, arrived, "attempt 1")
	waitFor(t, "the hedge timer", func() bool { return clock.Pending() > 0 })
	clock.Advance(hedgeDelay)
	recvTimeout(t, arrived, "attempt 2")
	if n := recvTimeout(t, cancelled, "attempt 1's cancellation once attempt 2 sent headers"); n != 1 {
		t.Errorf("attempt %d cancelled, want 1", n)
	}
	waitFor(t, "the next hedge timer", func() bool { return clock.Pending() > 0 })
	clock.Advance(hedgeDelay) // the third attempt is due, but the call is committed
	close(release)
	if got := recvTimeout(t, done, "the call"); got != "hedge" {
		t.Fatalf("call = %q, want the committed attempt's reply", got)
	}
	if n := s.attempts.Load(); n != 2 {
		t.Errorf("server saw %d attempts, want 2: no hedge after the commit", n)
	}
}
