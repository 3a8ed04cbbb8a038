package rampartgrpc_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
)

// firstAttemptFails fails the first attempt of a call whose request starts
// with "retry" (UNAVAILABLE), answers NOT_FOUND to "missing", and echoes
// the rest.
func firstAttemptFails(ctx context.Context, _ int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	first := len(md.Get(rampartgrpc.PreviousAttemptsKey)) == 0
	switch v := string(in.GetValue()); {
	case strings.HasPrefix(v, "retry") && first:
		return nil, status.Error(codes.Unavailable, "down")
	case v == "missing":
		return nil, status.Error(codes.NotFound, "missing")
	}
	return in, nil
}

// Calls one after another under a policy whose call state is reused
// (retry → circuit breaker): each starts afresh, whatever the one before
// it did: its first attempt carries no previous-attempts count, and it
// gets its own answer.
func TestUnaryReusedStateStartsAfresh(t *testing.T) {
	s := &testServer{unary: firstAttemptFails}
	cb, err := circuitbreaker.New(circuitbreaker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, rampartgrpc.WithPolicy(rampart.Pipeline(newRetry(t, 3, nil, nil), cb)))
	conn := start(t, s, nil, c.DialOptions()...)
	for _, tc := range []struct {
		in, want string
		code     codes.Code
	}{
		{"a", "a", codes.OK},
		{"missing", "", codes.NotFound},
		{"b", "b", codes.OK},
		{"retry-1", "retry-1", codes.OK},
		{"c", "c", codes.OK},
		{"retry-2", "retry-2", codes.OK},
		{"missing", "", codes.NotFound},
		{"d", "d", codes.OK},
	} {
		got, err := call(t.Context(), conn, tc.in)
		if got != tc.want || status.Code(err) != tc.code {
			t.Errorf("call %s = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.code)
		}
	}
	want := []string{"", "", "", "", "1", "", "", "1", "", ""}
	if got := s.previousAttempts(); !reflect.DeepEqual(got, want) {
		t.Errorf("previous attempts %q, want %q", got, want)
	}
}

// Many callers at once under a retry alone, whose call state is reused,
// some retried, some answered with an error, some cancelled by their
// caller: each caller gets its own reply (run with -race).
func TestUnaryManyCallersReusedState(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{unary: firstAttemptFails}
	c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 3, nil, nil)))
	conn := start(t, s, nil, c.DialOptions()...)
	concurrently(t, 16, 16, func(g, i int) error {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		in, want, code := fmt.Sprintf("%d/%d", g, i), "", codes.OK
		switch i % 4 {
		case 0:
			in = "retry" + in
		case 1:
			in = "missing"
			code = codes.NotFound
		case 2:
			cancel()
			code = codes.Canceled
		}
		if code == codes.OK {
			want = in
		}
		if got, err := call(ctx, conn, in); got != want || status.Code(err) != code {
			return fmt.Errorf("call %s = %q, %v; want %q, %v", in, got, err, want, code)
		}
		return nil
	})
}
