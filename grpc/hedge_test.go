package rampartgrpc_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
	"github.com/rampart-go/rampart/hedge"
	"github.com/rampart-go/rampart/retry"
)

const hedgeDelay = 50 * time.Millisecond

func newHedge(t *testing.T, clock rampart.Clock, budget retry.Budget, nonFatal ...codes.Code) *hedge.Policy {
	t.Helper()
	c, err := rampartgrpc.HedgingPolicy{MaxAttempts: 3, HedgingDelay: hedgeDelay, NonFatalStatusCodes: nonFatal}.Config(budget)
	if err != nil {
		t.Fatal(err)
	}
	c.Clock = clock
	c.DisableBudget = budget == nil
	p, err := hedge.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stallServer runs attempt n by script[n-1]: "stall" waits until the
// attempt is cancelled (reporting it on cancelled), anything else answers
// with that text.
func stallServer(arrived chan<- int, cancelled chan<- int, script map[int]func() (*wrapperspb.BytesValue, error)) *testServer {
	return &testServer{unary: func(ctx context.Context, n int, _ *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		arrived <- n
		if f, ok := script[n]; ok {
			return f()
		}
		<-ctx.Done()
		cancelled <- n
		return nil, status.Error(codes.Canceled, "cancelled")
	}}
}

func TestHedgeWinsAndLoserIsCancelled(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	arrived, cancelled := make(chan int, 5), make(chan int, 5)
	s := stallServer(arrived, cancelled, map[int]func() (*wrapperspb.BytesValue, error){
		2: func() (*wrapperspb.BytesValue, error) { return reply("hedge"), nil },
	})
	c := newClient(t, rampartgrpc.WithPolicy(newHedge(t, clock, nil, codes.Unavailable)))
	conn := start(t, s, nil, c.DialOptions()...)
	done := callAsync(t, conn)
	recvTimeout(t, arrived, "attempt 1")
	waitFor(t, "the hedge timer", func() bool { return clock.Pending() > 0 })
	clock.Advance(hedgeDelay)
	if got := recvTimeout(t, done, "the call"); got != "hedge" {
		t.Fatalf("call = %q, want the hedge's reply", got)
	}
	if n := recvTimeout(t, cancelled, "the loser's cancellation"); n != 1 {
		t.Errorf("attempt %d cancelled, want 1", n)
	}
	if got := s.previousAttempts(); len(got) != 2 || got[1] != "1" {
		t.Errorf("%s = %q, want [\"\" \"1\"]", rampartgrpc.PreviousAttemptsKey, got)
	}
}

func TestHedgeNonFatalSendsNextAtOnce(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	arrived, cancelled := make(chan int, 5), make(chan int, 5)
	s := stallServer(arrived, cancelled, map[int]func() (*wrapperspb.BytesValue, error){
		1: func() (*wrapperspb.BytesValue, error) { return nil, status.Error(codes.Unavailable, "down") },
		2: func() (*wrapperspb.BytesValue, error) { return reply("second"), nil },
	})
	c := newClient(t, rampartgrpc.WithPolicy(newHedge(t, clock, nil, codes.Unavailable)))
	conn := start(t, s, nil, c.DialOptions()...)
	got, err := call(t.Context(), conn, "x") // no clock advance: the hedge goes at once
	if err != nil || got != "second" {
		t.Fatalf("call = %q, %v; want second", got, err)
	}
}

func TestHedgeFatalCancelsAll(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	arrived, cancelled := make(chan int, 5), make(chan int, 5)
	s := stallServer(arrived, cancelled, map[int]func() (*wrapperspb.BytesValue, error){
		2: func() (*wrapperspb.BytesValue, error) { return nil, status.Error(codes.Internal, "fatal") },
	})
	c := newClient(t, rampartgrpc.WithPolicy(newHedge(t, clock, nil, codes.Unavailable)))
	conn := start(t, s, nil, c.DialOptions()...)
	done := make(chan error, 1)
	go func() {
		_, err := call(t.Context(), conn, "x")
		done <- err
	}()
	recvTimeout(t, arrived, "attempt 1")
	waitFor(t, "the hedge timer", func() bool { return clock.Pending() > 0 })
	clock.Advance(hedgeDelay)
	if err := recvTimeout(t, done, "the call"); status.Code(err) != codes.Internal {
		t.Fatalf("err = %v, want the fatal INTERNAL", err)
	}
	if n := recvTimeout(t, cancelled, "attempt 1's cancellation"); n != 1 {
		t.Errorf("attempt %d cancelled, want 1", n)
	}
	if n := s.attempts.Load(); n != 2 {
		t.Errorf("%d attempts, want 2: a fatal failure sends no more hedges", n)
	}
}

func TestHedgeThrottled(t *testing.T) {
	checkGoroutines(t)
	budget, err := rampartgrpc.RetryThrottling{MaxTokens: 2, TokenRatio: 0.1}.Budget()
	if err != nil {
		t.Fatal(err)
	}
	budget.OnFailure() // 1 token left: not more than half, so no hedge
	arrived, cancelled := make(chan int, 5), make(chan int, 5)
	s := stallServer(arrived, cancelled, map[int]func() (*wrapperspb.BytesValue, error){
		1: func() (*wrapperspb.BytesValue, error) { return nil, status.Error(codes.Unavailable, "down") },
		2: func() (*wrapperspb.BytesValue, error) { return reply("second"), nil },
	})
	c := newClient(t, rampartgrpc.WithPolicy(newHedge(t, rampart.NewManualClock(time.Unix(0, 0)), budget, codes.Unavailable)))
	conn := start(t, s, nil, c.DialOptions()...)
	if _, err := call(t.Context(), conn, "x"); status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE: the throttled hedge is not sent", err)
	}
	if n := s.attempts.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

func TestA6ConfigsValidate(t *testing.T) {
	if _, err := (rampartgrpc.HedgingPolicy{MaxAttempts: 1}).Config(nil); err == nil {
		t.Error("HedgingPolicy with MaxAttempts 1 accepted")
	}
	hc, err := rampartgrpc.HedgingPolicy{MaxAttempts: 9}.Config(nil)
	if err != nil || hc.MaxHedges != 4 {
		t.Errorf("MaxAttempts 9: MaxHedges %d, %v; want 4 (capped at 5 attempts)", hc.MaxHedges, err)
	}
	rc, err := rampartgrpc.RetryPolicy{MaxAttempts: 7, InitialBackoff: time.Second, MaxBackoff: time.Minute, BackoffMultiplier: 2}.Config(nil)
	if err != nil || rc.MaxAttempts != 5 || rc.Backoff.Jitter != retry.JitterFull {
		t.Errorf("RetryPolicy.Config = %+v, %v; want 5 attempts, full jitter", rc, err)
	}
	if _, err := retry.New(rc); err != nil {
		t.Errorf("retry.New(RetryPolicy.Config): %v", err)
	}
	for _, p := range []rampartgrpc.RetryPolicy{
		{MaxAttempts: 3, InitialBackoff: 0, MaxBackoff: time.Second, BackoffMultiplier: 2},
		{MaxAttempts: 3, InitialBackoff: time.Second, MaxBackoff: time.Second, BackoffMultiplier: 0.5},
	} {
		if _, err := p.Config(nil); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	for _, p := range []rampartgrpc.RetryThrottling{{MaxTokens: 0, TokenRatio: 1}, {MaxTokens: 1001, TokenRatio: 1}, {MaxTokens: 10}} {
		if _, err := p.Budget(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}
