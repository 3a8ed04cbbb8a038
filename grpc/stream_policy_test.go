package rampartgrpc_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/bulkhead"
	"github.com/rampart-go/rampart/circuitbreaker"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
)

// isRejection reports whether err is a client-side rejection as the
// package promises it: UNAVAILABLE, "rampart: ", matching ErrRejected.
func isRejection(err error) bool {
	st, _ := status.FromError(err)
	return st.Code() == codes.Unavailable && strings.HasPrefix(st.Message(), "rampart:") &&
		errors.Is(err, rampart.ErrRejected)
}

func newBreaker(t *testing.T, failures int) *circuitbreaker.Breaker {
	t.Helper()
	br, err := circuitbreaker.New(circuitbreaker.Config{ConsecutiveFailures: failures, OpenDuration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return br
}

// newBulkhead is a bulkhead of one slot.
func newBulkhead(t *testing.T) *bulkhead.Bulkhead {
	t.Helper()
	bh, err := bulkhead.New(bulkhead.Config{MaxConcurrent: 1})
	if err != nil {
		t.Fatal(err)
	}
	return bh
}

// A breaker on streams records each stream's final status, received after
// the stream committed (a reply came first), and once open rejects the
// next stream without opening it.
func TestStreamBreakerSeesFinalStatus(t *testing.T) {
	checkGoroutines(t)
	br := newBreaker(t, 2)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		if _, err := readAll(ss); err != nil {
			return err
		}
		if err := ss.SendMsg(reply("one")); err != nil {
			return err
		}
		return status.Error(codes.Internal, "broken after a reply")
	}}
	c := newClient(t, rampartgrpc.WithStreamPolicy(br))
	conn := start(t, s, nil, c.DialOptions()...)
	for i := range 2 {
		got, err := clientStream(t.Context(), conn, "a")
		if status.Code(err) != codes.Internal || len(got) != 1 {
			t.Fatalf("stream %d: %q, %v; want one reply then INTERNAL", i, got, err)
		}
	}
	if st := br.State(); st != circuitbreaker.StateOpen {
		t.Fatalf("breaker %v after two failed streams, want open", st)
	}
	_, err := conn.NewStream(t.Context(), &testDesc.Streams[0], streamMethod)
	if !isRejection(err) || !errors.Is(err, circuitbreaker.ErrOpen) {
		t.Fatalf("third stream: %v, want a rejection matching circuitbreaker.ErrOpen", err)
	}
	if n := s.attempts.Load(); n != 2 {
		t.Errorf("server saw %d streams, want 2: the rejection opened none", n)
	}
}

// A bulkhead on streams holds its slot for the stream's whole life: a
// second stream is rejected while the first is open, and admitted once the
// first has ended.
func TestStreamBulkheadHeldForStreamLife(t *testing.T) {
	checkGoroutines(t)
	bh := newBulkhead(t)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		got, err := readAll(ss)
		if err != nil {
			return err
		}
		return ss.SendMsg(reply(strings.Join(got, "+")))
	}}
	c := newClient(t, rampartgrpc.WithStreamPolicy(bh))
	conn := start(t, s, nil, c.DialOptions()...)
	first, err := conn.NewStream(t.Context(), &testDesc.Streams[0], streamMethod)
	if err != nil {
		t.Fatal(err)
	}
	if in := bh.Snapshot().InFlight; in != 1 {
		t.Fatalf("bulkhead holds %d slots while a stream is open, want 1", in)
	}
	if _, err := conn.NewStream(t.Context(), &testDesc.Streams[0], streamMethod); !isRejection(err) || !errors.Is(err, bulkhead.ErrFull) {
		t.Fatalf("second stream: %v, want a rejection matching bulkhead.ErrFull", err)
	}
	if err := first.SendMsg(wrapperspb.Bytes([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	if err := first.CloseSend(); err != nil {
		t.Fatal(err)
	}
	m := new(wrapperspb.BytesValue)
	if err := first.RecvMsg(m); err != nil || string(m.GetValue()) != "x" {
		t.Fatalf("first stream: %q, %v", m.GetValue(), err)
	}
	if err := first.RecvMsg(m); err != io.EOF {
		t.Fatalf("first stream's end: %v, want io.EOF", err)
	}
	if in := bh.Snapshot().InFlight; in != 0 {
		t.Fatalf("bulkhead holds %d slots once the stream ended, want 0", in)
	}
	if got, err := clientStream(t.Context(), conn, "y"); err != nil || len(got) != 1 || got[0] != "y" {
		t.Fatalf("third stream: %q, %v", got, err)
	}
}

// The caller's cancellation of an open stream ends the policy's attempt:
// the slot is released and nothing is left running.
func TestStreamCancelledReleasesPolicy(t *testing.T) {
	checkGoroutines(t)
	bh := newBulkhead(t)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		<-ss.Context().Done()
		return ss.Context().Err()
	}}
	c := newClient(t, rampartgrpc.WithStreamPolicy(bh))
	conn := start(t, s, nil, c.DialOptions()...)
	ctx, cancel := context.WithCancel(t.Context())
	cs, err := conn.NewStream(ctx, &testDesc.Streams[0], streamMethod)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := cs.RecvMsg(new(wrapperspb.BytesValue)); status.Code(err) != codes.Canceled {
		t.Fatalf("RecvMsg after cancel: %v, want CANCELED", err)
	}
	waitFor(t, "the slot's release", func() bool { return bh.Snapshot().InFlight == 0 })
}

// A retry outside a breaker on streams: each attempt asks the breaker, and
// the stream is replayed until it succeeds.
func TestStreamRetryThroughBreaker(t *testing.T) {
	checkGoroutines(t)
	br := newBreaker(t, 5)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		got, err := readAll(ss)
		if err != nil {
			return err
		}
		if n < 3 {
			return status.Error(codes.Unavailable, "down")
		}
		return ss.SendMsg(reply(strings.Join(got, "+")))
	}}
	c := newClient(t, rampartgrpc.WithStreamPolicy(rampart.Pipeline(newRetry(t, 3, nil, nil), br)))
	conn := start(t, s, nil, c.DialOptions()...)
	got, err := clientStream(t.Context(), conn, "a", "b")
	if err != nil || len(got) != 1 || got[0] != "a+b" {
		t.Fatalf("stream: %q, %v; want a+b", got, err)
	}
	if snap := br.Snapshot(); snap.State != circuitbreaker.StateClosed {
		t.Errorf("breaker %v, want closed", snap.State)
	}
	if n := s.attempts.Load(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

// Per-method stream policies are built once per method.
func TestStreamMethodPoliciesBuiltOnce(t *testing.T) {
	checkGoroutines(t)
	built := 0
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		_, err := readAll(ss)
		return err
	}}
	c := newClient(t, rampartgrpc.WithStreamMethodPolicies(func(method string) (rampart.Policy, error) {
		built++
		return newRetry(t, 2, nil, nil), nil
	}))
	conn := start(t, s, nil, c.DialOptions()...)
	for range 3 {
		if _, err := clientStream(t.Context(), conn, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if built != 1 {
		t.Errorf("policy built %d times, want 1", built)
	}
}

type panicPolicy struct{}

func (panicPolicy) Execute(context.Context, rampart.Next) error { panic("policy panicked") }

// A panic in a stream's policy, which runs on the stream's goroutine, is
// raised again in the caller's goroutine rather than crash the process.
func TestStreamPolicyPanicRaisedInCaller(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error { return nil }}
	c := newClient(t, rampartgrpc.WithStreamPolicy(panicPolicy{}))
	conn := start(t, s, nil, c.DialOptions()...)
	defer func() {
		if v := recover(); v != "policy panicked" {
			t.Errorf("recovered %v, want the policy's panic", v)
		}
		if n := s.attempts.Load(); n != 0 {
			t.Errorf("server saw %d streams, want 0", n)
		}
	}()
	conn.NewStream(t.Context(), &testDesc.Streams[0], streamMethod)
	t.Error("NewStream returned")
}
