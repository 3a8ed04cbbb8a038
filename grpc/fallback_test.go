package rampartgrpc_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/fallback"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
)

func mustFallback(p *fallback.Policy, err error) *fallback.Policy {
	if err != nil {
		panic(err)
	}
	return p
}

// A fallback's value becomes the reply, after retries and through an open
// breaker alike.
func TestUnaryFallbackValueIsTheReply(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{unary: failFirst(99, status.Error(codes.Unavailable, "down"))}
	popular := mustFallback(fallback.Value(wrapperspb.Bytes([]byte("popular")), fallback.Config{}))
	b, err := circuitbreaker.New(circuitbreaker.Config{ConsecutiveFailures: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, rampartgrpc.WithPolicy(rampart.Pipeline(popular, newRetry(t, 2, nil, nil), b)))
	conn := start(t, s, nil, c.DialOptions()...)
	for i := range 3 {
		got, err := call(t.Context(), conn, "x")
		if err != nil || got != "popular" {
			t.Fatalf("call %d = %q, %v; want the fallback's popular", i, got, err)
		}
	}
	if n := s.attempts.Load(); n != 2 {
		t.Errorf("server saw %d attempts, want 2 (then the breaker is open)", n)
	}
}

// A cache of last good replies keeps a copy: the caller changing its
// reply afterwards does not change what a later call is served.
func TestUnaryLastGoodKeepsACopy(t *testing.T) {
	checkGoroutines(t)
	var down atomic.Bool
	s := &testServer{unary: func(_ context.Context, _ int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		if down.Load() {
			return nil, status.Error(codes.Unavailable, "down")
		}
		return in, nil
	}}
	cache := mustFallback(fallback.LastGood[*wrapperspb.BytesValue](fallback.CacheConfig{}))
	c := newClient(t, rampartgrpc.WithPolicy(cache))
	conn := start(t, s, nil, c.DialOptions()...)
	out := new(wrapperspb.BytesValue)
	if err := conn.Invoke(t.Context(), unaryMethod, wrapperspb.Bytes([]byte("fresh")), out); err != nil || string(out.Value) != "fresh" {
		t.Fatalf("healthy call = %q, %v", out.Value, err)
	}
	out.Value = []byte("changed by the caller")
	down.Store(true)
	got, err := call(t.Context(), conn, "y")
	if err != nil || got != "fresh" {
		t.Fatalf("call while down = %q, %v; want the cached fresh", got, err)
	}
}

func TestUnaryFallbackOfAnotherTypeIsInternal(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{unary: failFirst(99, status.Error(codes.Unavailable, "down"))}
	wrong := mustFallback(fallback.Value("not a reply", fallback.Config{}))
	c := newClient(t, rampartgrpc.WithPolicy(wrong))
	conn := start(t, s, nil, c.DialOptions()...)
	if _, err := call(t.Context(), conn, "x"); status.Code(err) != codes.Internal {
		t.Fatalf("err = %v, want INTERNAL", err)
	}
}

// Without a failure the fallback stays out of the way: the reply is the
// server's.
func TestUnaryFallbackUnusedOnSuccess(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{unary: failFirst(0, nil)}
	popular := mustFallback(fallback.Value(wrapperspb.Bytes([]byte("popular")), fallback.Config{}))
	c := newClient(t, rampartgrpc.WithPolicy(rampart.Pipeline(popular, newRetry(t, 2, nil, nil))))
	conn := start(t, s, nil, c.DialOptions()...)
	got, err := call(t.Context(), conn, "hello")
	if err != nil || got != "hello" {
		t.Fatalf("call = %q, %v; want hello", got, err)
	}
}

// A fallback outside a hedge: the hedge's winning reply is the reply when
// one answers, and the fallback's value when every attempt fails.
func TestUnaryFallbackAroundHedge(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	arrived, cancelled := make(chan int, 5), make(chan int, 5)
	s := stallServer(arrived, cancelled, map[int]func() (*wrapperspb.BytesValue, error){
		2: func() (*wrapperspb.BytesValue, error) { return reply("hedge"), nil },
		3: func() (*wrapperspb.BytesValue, error) { return nil, status.Error(codes.Internal, "broken") },
	})
	popular := mustFallback(fallback.Value(wrapperspb.Bytes([]byte("popular")), fallback.Config{}))
	c := newClient(t, rampartgrpc.WithPolicy(rampart.Pipeline(popular, newHedge(t, clock, nil, codes.Unavailable))))
	conn := start(t, s, nil, c.DialOptions()...)

	done := callAsync(t, conn)
	recvTimeout(t, arrived, "attempt 1")
	waitFor(t, "the hedge timer", func() bool { return clock.Pending() > 0 })
	clock.Advance(hedgeDelay)
	if got := recvTimeout(t, done, "the call"); got != "hedge" {
		t.Fatalf("call = %q, want the hedge's reply", got)
	}
	recvTimeout(t, arrived, "attempt 2")
	recvTimeout(t, cancelled, "the loser's cancellation")

	// The third attempt fails with a fatal code: the hedge gives up and
	// the fallback answers.
	done = callAsync(t, conn)
	recvTimeout(t, arrived, "attempt 3")
	if got := recvTimeout(t, done, "the call"); got != "popular" {
		t.Fatalf("call = %q, want the fallback's popular", got)
	}
}
