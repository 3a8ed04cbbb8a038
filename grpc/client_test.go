package rampartgrpc_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
	"github.com/rampart-go/rampart/retry"
)

// newRetry is a retry policy without waits between attempts, without a
// budget unless given one.
func newRetry(t *testing.T, attempts int, budget retry.Budget, clock rampart.Clock) *retry.Policy {
	t.Helper()
	c := retry.Config{MaxAttempts: attempts, Strategy: retry.Constant(0), Budget: budget,
		DisableBudget: budget == nil, Clock: clock}
	p, err := retry.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newClient(t *testing.T, opts ...rampartgrpc.ClientOption) *rampartgrpc.Client {
	t.Helper()
	c, err := rampartgrpc.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// failFirst answers the first n attempts with err, then echoes.
func failFirst(n int, err error) func(context.Context, int, *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	return func(_ context.Context, a int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		if a <= n {
			return nil, err
		}
		return in, nil
	}
}

func TestUnaryRetriesUnavailable(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{unary: failFirst(2, status.Error(codes.Unavailable, "down"))}
	c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 3, nil, nil)))
	conn := start(t, s, nil, c.DialOptions()...)
	got, err := call(t.Context(), conn, "hello")
	if err != nil || got != "hello" {
		t.Fatalf("call = %q, %v; want hello, nil", got, err)
	}
	if n := s.attempts.Load(); n != 3 {
		t.Errorf("server saw %d attempts, want 3", n)
	}
	if got, want := s.previousAttempts(), []string{"", "1", "2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %q, want %q", rampartgrpc.PreviousAttemptsKey, got, want)
	}
}

func TestUnaryReturnsLastStatusWhenRetriesRunOut(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{unary: failFirst(9, status.Error(codes.Unavailable, "down"))}
	c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 3, nil, nil)))
	conn := start(t, s, nil, c.DialOptions()...)
	_, err := call(t.Context(), conn, "x")
	if st, _ := status.FromError(err); st.Code() != codes.Unavailable || st.Message() != "down" {
		t.Fatalf("err = %v, want the server's UNAVAILABLE down", err)
	}
	if n := s.attempts.Load(); n != 3 {
		t.Errorf("server saw %d attempts, want 3", n)
	}
}

func TestUnaryDoesNotRetryOtherCodes(t *testing.T) {
	for _, code := range []codes.Code{codes.Internal, codes.NotFound, codes.InvalidArgument} {
		t.Run(code.String(), func(t *testing.T) {
			checkGoroutines(t)
			s := &testServer{unary: failFirst(1, status.Error(code, "no"))}
			c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 3, nil, nil)))
			conn := start(t, s, nil, c.DialOptions()...)
			_, err := call(t.Context(), conn, "x")
			if status.Code(err) != code {
				t.Fatalf("err = %v, want %v", err, code)
			}
			if n := s.attempts.Load(); n != 1 {
				t.Errorf("server saw %d attempts, want 1", n)
			}
		})
	}
}

func TestUnaryRetryableCodesConfigurable(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{unary: failFirst(1, status.Error(codes.Aborted, "again"))}
	c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 3, nil, nil)), rampartgrpc.WithRetryable(codes.Aborted))
	conn := start(t, s, nil, c.DialOptions()...)
	if _, err := call(t.Context(), conn, "x"); err != nil {
		t.Fatal(err)
	}
	if n := s.attempts.Load(); n != 2 {
		t.Errorf("server saw %d attempts, want 2", n)
	}
}

func TestUnaryNoRetryAfterHeaders(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{unary: func(ctx context.Context, n int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		if n == 1 {
			grpc.SendHeader(ctx, metadata.Pairs("k", "v")) // committed
			return nil, status.Error(codes.Unavailable, "after headers")
		}
		return in, nil
	}}
	c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 3, nil, nil)))
	conn := start(t, s, nil, c.DialOptions()...)
	_, err := call(t.Context(), conn, "x")
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want UNAVAILABLE", err)
	}
	if n := s.attempts.Load(); n != 1 {
		t.Errorf("server saw %d attempts after a committed failure, want 1", n)
	}
}

// pushbackServer fails the first attempt with UNAVAILABLE and pushback v.
func pushbackServer(v string) *testServer {
	return &testServer{unary: func(ctx context.Context, n int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		if n == 1 {
			grpc.SetTrailer(ctx, metadata.Pairs(rampartgrpc.PushbackKey, v))
			return nil, status.Error(codes.Unavailable, "pushback")
		}
		return in, nil
	}}
}

func TestUnaryPushbackDelaysRetry(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(1000, 0))
	s := pushbackServer("5000")
	c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 3, nil, clock)))
	conn := start(t, s, nil, c.DialOptions()...)
	done := make(chan error, 1)
	go func() {
		_, err := call(t.Context(), conn, "x")
		done <- err
	}()
	waitFor(t, "the retry's wait", func() bool { return clock.Pending() > 0 })
	due, _ := clock.NextDue()
	if d := due.Sub(clock.Now()); d != 5*time.Second {
		t.Errorf("retry waits %v, want the pushback's 5s (the backoff is 0)", d)
	}
	if n := s.attempts.Load(); n != 1 {
		t.Errorf("server saw %d attempts before the pushback ended, want 1", n)
	}
	clock.Advance(5 * time.Second)
	if err := recvTimeout(t, done, "the call"); err != nil {
		t.Fatal(err)
	}
	if n := s.attempts.Load(); n != 2 {
		t.Errorf("server saw %d attempts, want 2", n)
	}
}

func TestUnaryNegativeOrBadPushbackStopsRetries(t *testing.T) {
	// A value past MaxRetryAfter (30s) ends the call too, as the retry policy
	// says, and one too large to represent saturates.
	for _, v := range []string{"-1", "soon", "1.5", "60000", "99999999999999999999999"} {
		t.Run(v, func(t *testing.T) {
			checkGoroutines(t)
			s := pushbackServer(v)
			c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 3, nil, nil)))
			conn := start(t, s, nil, c.DialOptions()...)
			if _, err := call(t.Context(), conn, "x"); status.Code(err) != codes.Unavailable {
				t.Fatalf("err = %v, want UNAVAILABLE", err)
			}
			if n := s.attempts.Load(); n != 1 {
				t.Errorf("server saw %d attempts, want 1", n)
			}
		})
	}
}

func TestUnaryThrottlingStopsRetries(t *testing.T) {
	checkGoroutines(t)
	budget, err := rampartgrpc.RetryThrottling{MaxTokens: 4, TokenRatio: 0.1}.Budget()
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{unary: failFirst(1000, status.Error(codes.Unavailable, "down"))}
	c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 5, budget, nil)))
	conn := start(t, s, nil, c.DialOptions()...)
	// 4 tokens: the first failure leaves 3 (> 2, a retry), the second 2
	// (not > 2: no retry), the third 1.
	for range 2 {
		if _, err := call(t.Context(), conn, "x"); status.Code(err) != codes.Unavailable {
			t.Fatalf("err = %v, want UNAVAILABLE", err)
		}
	}
	if n := s.attempts.Load(); n != 3 {
		t.Errorf("server saw %d attempts, want 3 (one retry, then throttled)", n)
	}
	if tok := budget.Tokens(); tok != 1 {
		t.Errorf("tokens = %v, want 1", tok)
	}
}

func TestUnaryRejectionSendsNothing(t *testing.T) {
	checkGoroutines(t)
	br, err := circuitbreaker.New(circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{unary: failFirst(1000, status.Error(codes.Internal, "broken"))}
	c := newClient(t, rampartgrpc.WithPolicy(br))
	conn := start(t, s, nil, c.DialOptions()...)
	if _, err := call(t.Context(), conn, "x"); status.Code(err) != codes.Internal {
		t.Fatalf("first call: err = %v, want INTERNAL", err)
	}
	_, err = call(t.Context(), conn, "x")
	st, _ := status.FromError(err)
	if st.Code() != codes.Unavailable || !strings.HasPrefix(st.Message(), "rampart:") {
		t.Errorf("rejection = %v, want UNAVAILABLE with a message prefixed rampart:", err)
	}
	if !errors.Is(err, rampart.ErrRejected) || !errors.Is(err, circuitbreaker.ErrOpen) {
		t.Errorf("rejection %v does not match rampart.ErrRejected and circuitbreaker.ErrOpen", err)
	}
	if n := s.attempts.Load(); n != 1 {
		t.Errorf("server saw %d attempts, want 1: the rejection sent nothing", n)
	}
}

func TestUnaryApplicationErrorsAreNotFailures(t *testing.T) {
	checkGoroutines(t)
	br, err := circuitbreaker.New(circuitbreaker.Config{ConsecutiveFailures: 1, OpenDuration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{unary: failFirst(1000, status.Error(codes.NotFound, "no such"))}
	c := newClient(t, rampartgrpc.WithPolicy(br))
	conn := start(t, s, nil, c.DialOptions()...)
	for range 3 {
		if _, err := call(t.Context(), conn, "x"); status.Code(err) != codes.NotFound {
			t.Fatalf("err = %v, want NOT_FOUND", err)
		}
	}
	if n := s.attempts.Load(); n != 3 {
		t.Errorf("server saw %d calls, want 3: NOT_FOUND must not open the breaker", n)
	}
}

func TestUnaryCallerCancellationNotRetried(t *testing.T) {
	checkGoroutines(t)
	arrived := make(chan struct{}, 1)
	s := &testServer{unary: func(ctx context.Context, _ int, _ *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		arrived <- struct{}{}
		<-ctx.Done()
		return nil, status.Error(codes.Unavailable, "gone")
	}}
	r := newRetry(t, 3, nil, nil)
	c := newClient(t, rampartgrpc.WithPolicy(r), rampartgrpc.WithRetryable(codes.Unavailable, codes.Canceled))
	conn := start(t, s, nil, c.DialOptions()...)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := call(ctx, conn, "x")
		done <- err
	}()
	recvTimeout(t, arrived, "the attempt")
	cancel()
	if err := recvTimeout(t, done, "the call"); status.Code(err) != codes.Canceled {
		t.Fatalf("err = %v, want CANCELED", err)
	}
	if n := r.Snapshot().Retries; n != 0 {
		t.Errorf("%d retries after the caller cancelled, want 0", n)
	}
}

func TestUnaryCallerDeadlineNotRetried(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{unary: func(ctx context.Context, _ int, _ *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		<-ctx.Done()
		return nil, status.Error(codes.DeadlineExceeded, "late")
	}}
	r := newRetry(t, 3, nil, nil)
	c := newClient(t, rampartgrpc.WithPolicy(r), rampartgrpc.WithRetryable(codes.Unavailable, codes.DeadlineExceeded))
	conn := start(t, s, nil, c.DialOptions()...)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := call(ctx, conn, "x"); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("err = %v, want DEADLINE_EXCEEDED", err)
	}
	if n := r.Snapshot().Retries; n != 0 {
		t.Errorf("%d retries after the caller's deadline, want 0", n)
	}
}

func TestUnaryMethodPoliciesBuiltOnce(t *testing.T) {
	checkGoroutines(t)
	built := map[string]int{}
	s := &testServer{unary: failFirst(1, status.Error(codes.Unavailable, "down"))}
	c := newClient(t, rampartgrpc.WithMethodPolicies(func(method string) (rampart.Policy, error) {
		built[method]++
		return newRetry(t, 2, nil, nil), nil
	}))
	conn := start(t, s, nil, c.DialOptions()...)
	for range 3 {
		if _, err := call(t.Context(), conn, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(built, map[string]int{unaryMethod: 1}) {
		t.Errorf("policies built: %v, want one for %s", built, unaryMethod)
	}
}

func TestUnaryMethodPolicyErrorSendsNothing(t *testing.T) {
	checkGoroutines(t)
	boom := errors.New("boom")
	s := &testServer{unary: failFirst(0, nil)}
	c := newClient(t, rampartgrpc.WithMethodPolicies(func(string) (rampart.Policy, error) { return nil, boom }))
	conn := start(t, s, nil, c.DialOptions()...)
	_, err := call(t.Context(), conn, "x")
	if status.Code(err) != codes.Internal || !errors.Is(err, boom) {
		t.Errorf("err = %v, want INTERNAL wrapping the builder's error", err)
	}
	if s.attempts.Load() != 0 {
		t.Error("the call was sent")
	}
}

func TestNewClientRejectsBadOptions(t *testing.T) {
	p := newRetry(t, 2, nil, nil)
	for name, opts := range map[string][]rampartgrpc.ClientOption{
		"none": nil,
		"both": {rampartgrpc.WithPolicy(p), rampartgrpc.WithMethodPolicies(func(string) (rampart.Policy, error) { return p, nil })},
		"nil":  {rampartgrpc.WithPolicy(p), nil},
	} {
		if _, err := rampartgrpc.NewClient(opts...); err == nil {
			t.Errorf("%s: NewClient succeeded", name)
		}
	}
}
