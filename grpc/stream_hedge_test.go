package rampartgrpc_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
)

// gRFC A6 stream hedging: the hedge replays the sent messages byte for
// byte, the first attempt to receive headers wins, the other is cancelled,
// and no further hedge is sent once the stream is committed.
func TestStreamHedgeFirstHeadersWins(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	codec := new(captureCodec)
	cancelled, read := make(chan int, 5), make(chan int, 5)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		got, err := readAll(ss)
		if err != nil {
			return err
		}
		read <- n
		if n == 1 {
			<-ss.Context().Done() // stalls, headers unsent
			cancelled <- n
			return ss.Context().Err()
		}
		return ss.SendMsg(reply(strings.Join(got, "+")))
	}}
	c := newClient(t, rampartgrpc.WithStreamPolicy(newHedge(t, clock, nil, codes.Unavailable)))
	conn := start(t, s, []grpc.ServerOption{grpc.ForceServerCodec(codec)}, c.DialOptions()...)
	cs, err := conn.NewStream(t.Context(), &testDesc.Streams[0], streamMethod)
	if err != nil {
		t.Fatal(err)
	}
	sent := []string{"alpha", strings.Repeat("β", 500)}
	for _, m := range sent {
		if err := cs.SendMsg(wrapperspb.Bytes([]byte(m))); err != nil {
			t.Fatal(err)
		}
	}
	if err := cs.CloseSend(); err != nil {
		t.Fatal(err)
	}
	recvTimeout(t, read, "attempt 1's messages")
	waitFor(t, "the hedge timer", func() bool { return clock.Pending() > 0 })
	clock.Advance(hedgeDelay)
	m := new(wrapperspb.BytesValue)
	if err := cs.RecvMsg(m); err != nil || string(m.GetValue()) != strings.Join(sent, "+") {
		t.Fatalf("RecvMsg = %q, %v; want the hedge's reply", m.GetValue(), err)
	}
	if n := recvTimeout(t, cancelled, "attempt 1's cancellation"); n != 1 {
		t.Errorf("attempt %d cancelled, want 1", n)
	}
	waitFor(t, "the next hedge timer", func() bool { return clock.Pending() > 0 })
	clock.Advance(hedgeDelay) // a third attempt is due, but the stream is committed
	if err := cs.RecvMsg(m); err != io.EOF {
		t.Fatalf("end of stream: %v, want io.EOF", err)
	}
	if n := s.attempts.Load(); n != 2 {
		t.Errorf("server saw %d attempts, want 2", n)
	}
	var want [][]byte
	for range 2 {
		for _, m := range sent {
			b, _ := proto.Marshal(wrapperspb.Bytes([]byte(m)))
			want = append(want, b)
		}
	}
	got := codec.messages()
	if len(got) != len(want) {
		t.Fatalf("server decoded %d messages, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("message %d: %x, want %x", i, got[i], want[i])
		}
	}
}

// A non-fatal failure of a hedged stream before any headers sends the next
// hedge at once, which replays what was sent.
func TestStreamHedgeNonFatalSendsNextAtOnce(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		got, err := readAll(ss)
		if err != nil {
			return err
		}
		if n == 1 {
			return status.Error(codes.Unavailable, "down")
		}
		return ss.SendMsg(reply(strings.Join(got, "+")))
	}}
	c := newClient(t, rampartgrpc.WithStreamPolicy(newHedge(t, clock, nil, codes.Unavailable)))
	conn := start(t, s, nil, c.DialOptions()...)
	got, err := clientStream(t.Context(), conn, "a", "b") // no clock advance: the hedge goes at once
	if err != nil || len(got) != 1 || got[0] != "a+b" {
		t.Fatalf("stream: %q, %v; want a+b", got, err)
	}
	if prev := s.previousAttempts(); len(prev) != 2 || prev[1] != "1" {
		t.Errorf("%s = %q", rampartgrpc.PreviousAttemptsKey, prev)
	}
}

// A fatal failure of a hedged stream ends it, cancelling the other
// attempt.
func TestStreamHedgeFatalCancelsAll(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	cancelled := make(chan int, 5)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		if _, err := readAll(ss); err != nil {
			return err
		}
		if n == 2 {
			return status.Error(codes.Internal, "fatal")
		}
		<-ss.Context().Done()
		cancelled <- n
		return ss.Context().Err()
	}}
	c := newClient(t, rampartgrpc.WithStreamPolicy(newHedge(t, clock, nil, codes.Unavailable)))
	conn := start(t, s, nil, c.DialOptions()...)
	done := make(chan error, 1)
	go func() {
		_, err := clientStream(t.Context(), conn, "a")
		done <- err
	}()
	waitFor(t, "attempt 1", func() bool { return s.attempts.Load() == 1 && clock.Pending() > 0 })
	clock.Advance(hedgeDelay)
	if err := recvTimeout(t, done, "the stream"); status.Code(err) != codes.Internal {
		t.Fatalf("err = %v, want the fatal INTERNAL", err)
	}
	if n := recvTimeout(t, cancelled, "attempt 1's cancellation"); n != 1 {
		t.Errorf("attempt %d cancelled, want 1", n)
	}
}
