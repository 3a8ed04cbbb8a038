package rampartgrpc_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	rampartgrpc "github.com/rampart-go/rampart/grpc"
)

// readAll receives the stream's messages until the client closes.
func readAll(ss grpc.ServerStream) ([]string, error) {
	var got []string
	for {
		m := new(wrapperspb.BytesValue)
		if err := ss.RecvMsg(m); errors.Is(err, io.EOF) {
			return got, nil
		} else if err != nil {
			return got, err
		}
		got = append(got, string(m.GetValue()))
	}
}

// clientStream sends msgs, closes, and returns what the server answered.
func clientStream(ctx context.Context, conn *grpc.ClientConn, msgs ...string) ([]string, error) {
	cs, err := conn.NewStream(ctx, &testDesc.Streams[0], streamMethod)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if err := cs.SendMsg(wrapperspb.Bytes([]byte(m))); err != nil {
			return nil, err
		}
	}
	if err := cs.CloseSend(); err != nil {
		return nil, err
	}
	var got []string
	for {
		m := new(wrapperspb.BytesValue)
		if err := cs.RecvMsg(m); err == io.EOF {
			return got, nil
		} else if err != nil {
			return got, err
		}
		got = append(got, string(m.GetValue()))
	}
}

func TestStreamReplayedByteForByte(t *testing.T) {
	checkGoroutines(t)
	codec := new(captureCodec)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		got, err := readAll(ss)
		if err != nil {
			return err
		}
		if n < 3 {
			return status.Error(codes.Unavailable, "before any reply")
		}
		return ss.SendMsg(reply(strings.Join(got, "+")))
	}}
	c := newClient(t, rampartgrpc.WithStreamRetry(newRetry(t, 3, nil, nil)))
	conn := start(t, s, []grpc.ServerOption{grpc.ForceServerCodec(codec)}, c.DialOptions()...)
	sent := []string{"alpha", strings.Repeat("β", 1000), ""}
	got, err := clientStream(t.Context(), conn, sent...)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(sent, "+"); len(got) != 1 || got[0] != want {
		t.Fatalf("reply %q, want one message %q", got, want)
	}
	if n := s.attempts.Load(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	var want [][]byte
	for range 3 {
		for _, m := range sent {
			b, _ := proto.Marshal(wrapperspb.Bytes([]byte(m)))
			want = append(want, b)
		}
	}
	if got := codec.messages(); len(got) != len(want) {
		t.Errorf("server decoded %d messages, want %d", len(got), len(want))
	} else {
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("message %d: %x, want %x", i, got[i], want[i])
			}
		}
	}
	if got := s.previousAttempts(); len(got) != 3 || got[1] != "1" || got[2] != "2" {
		t.Errorf("%s = %q", rampartgrpc.PreviousAttemptsKey, got)
	}
}

func TestStreamNotRetriedAfterFirstMessage(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		if _, err := readAll(ss); err != nil {
			return err
		}
		if err := ss.SendMsg(reply("one")); err != nil {
			return err
		}
		return status.Error(codes.Unavailable, "after a reply")
	}}
	c := newClient(t, rampartgrpc.WithStreamRetry(newRetry(t, 3, nil, nil)))
	conn := start(t, s, nil, c.DialOptions()...)
	got, err := clientStream(t.Context(), conn, "a")
	if status.Code(err) != codes.Unavailable || len(got) != 1 {
		t.Fatalf("got %q, %v; want one reply then UNAVAILABLE", got, err)
	}
	if n := s.attempts.Load(); n != 1 {
		t.Errorf("%d attempts, want 1: the stream was committed", n)
	}
}

func TestStreamNotRetriedAfterHeaders(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		if _, err := readAll(ss); err != nil {
			return err
		}
		if err := ss.SendHeader(nil); err != nil {
			return err
		}
		return status.Error(codes.Unavailable, "after headers")
	}}
	c := newClient(t, rampartgrpc.WithStreamRetry(newRetry(t, 3, nil, nil)))
	conn := start(t, s, nil, c.DialOptions()...)
	if _, err := clientStream(t.Context(), conn, "a"); status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE", err)
	}
	if n := s.attempts.Load(); n != 1 {
		t.Errorf("%d attempts, want 1: the stream was committed", n)
	}
}

func TestStreamBeyondBufferNotRetried(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		if _, err := readAll(ss); err != nil {
			return err
		}
		return status.Error(codes.Unavailable, "down")
	}}
	c := newClient(t, rampartgrpc.WithStreamRetry(newRetry(t, 3, nil, nil)), rampartgrpc.WithStreamBuffer(16))
	conn := start(t, s, nil, c.DialOptions()...)
	// Each message is 10 bytes encoded: the second outgrows the buffer.
	if _, err := clientStream(t.Context(), conn, "12345678", "12345678"); status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE", err)
	}
	if n := s.attempts.Load(); n != 1 {
		t.Errorf("%d attempts, want 1: the stream outgrew its buffer", n)
	}
	// Within the buffer, the same stream is retried.
	s.attempts.Store(0)
	if _, err := clientStream(t.Context(), conn, "12345678"); status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE", err)
	}
	if n := s.attempts.Load(); n != 3 {
		t.Errorf("%d attempts, want 3 within the buffer", n)
	}
}

func TestStreamWithoutRetryPassesThrough(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		if _, err := readAll(ss); err != nil {
			return err
		}
		return status.Error(codes.Unavailable, "down")
	}}
	c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 3, nil, nil)))
	conn := start(t, s, nil, c.DialOptions()...)
	if _, err := clientStream(t.Context(), conn, "a"); status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE", err)
	}
	if n := s.attempts.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

// A bidirectional stream whose caller sends from one goroutine while it
// receives on another: the first attempt fails after reading some messages,
// and the second, replayed from the buffer while sends go on, echoes every
// message once and in order.
func TestStreamBidiSendWhileRetrying(t *testing.T) {
	checkGoroutines(t)
	const n = 50
	s := &testServer{stream: func(a int, ss grpc.ServerStream) error {
		for i := 0; ; i++ {
			m := new(wrapperspb.BytesValue)
			if err := ss.RecvMsg(m); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
			if a == 1 && i == 9 {
				return status.Error(codes.Unavailable, "down before any reply")
			}
			if a > 1 {
				if err := ss.SendMsg(m); err != nil {
					return err
				}
			}
		}
	}}
	c := newClient(t, rampartgrpc.WithStreamRetry(newRetry(t, 3, nil, nil)))
	conn := start(t, s, nil, c.DialOptions()...)
	cs, err := conn.NewStream(t.Context(), &testDesc.Streams[0], streamMethod)
	if err != nil {
		t.Fatal(err)
	}
	sendErr := make(chan error, 1)
	go func() {
		for i := range n {
			if err := cs.SendMsg(wrapperspb.Bytes([]byte(strconv.Itoa(i)))); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- cs.CloseSend()
	}()
	for i := range n {
		m := new(wrapperspb.BytesValue)
		if err := cs.RecvMsg(m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if got := string(m.GetValue()); got != strconv.Itoa(i) {
			t.Fatalf("message %d = %q", i, got)
		}
	}
	if err := cs.RecvMsg(new(wrapperspb.BytesValue)); err != io.EOF {
		t.Errorf("after the echoes: %v, want io.EOF", err)
	}
	if err := recvTimeout(t, sendErr, "the sender"); err != nil {
		t.Errorf("sender: %v", err)
	}
	if a := s.attempts.Load(); a != 2 {
		t.Errorf("%d attempts, want 2", a)
	}
}
