package rampartgrpc_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
)

// newLimiter is an adaptive limiter that admits exactly one call at a time.
func newLimiter(t *testing.T) *adaptive.Limiter {
	t.Helper()
	l, err := adaptive.New(adaptive.Config{Algorithm: "aimd", InitialLimit: 1, MinLimit: 1, MaxLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newShedder(t *testing.T, p rampart.Policy, opts ...rampartgrpc.ServerOption) *rampartgrpc.Shedder {
	t.Helper()
	s, err := rampartgrpc.NewShedder(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// holdFirst holds the first attempt until release is closed; the others
// echo.
func holdFirst(arrived chan<- struct{}, release <-chan struct{}) func(context.Context, int, *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	return func(ctx context.Context, n int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		if n == 1 {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return in, nil
	}
}

func TestShedderRejectsWithPushback(t *testing.T) {
	for _, mode := range []string{"interceptor", "tap"} {
		for _, code := range []codes.Code{codes.Unavailable, codes.ResourceExhausted} {
			t.Run(mode+"/"+code.String(), func(t *testing.T) {
				checkGoroutines(t)
				sh := newShedder(t, newLimiter(t), rampartgrpc.WithRejectCode(code))
				sopts := sh.ServerOptions()
				if mode == "interceptor" {
					sopts = sopts[1:] // no tap handle
				}
				arrived, release := make(chan struct{}, 1), make(chan struct{})
				s := &testServer{unary: holdFirst(arrived, release)}
				conn := start(t, s, sopts)
				first := make(chan error, 1)
				go func() {
					_, err := call(t.Context(), conn, "first")
					first <- err
				}()
				recvTimeout(t, arrived, "the first call")
				var trl metadata.MD
				_, err := call(t.Context(), conn, "second", grpc.Trailer(&trl))
				st, _ := status.FromError(err)
				if st.Code() != code || !strings.HasPrefix(st.Message(), "rampart:") {
					t.Errorf("second call: %v, want %v prefixed rampart:", err, code)
				}
				if mode == "interceptor" {
					v := trl.Get(rampartgrpc.PushbackKey)
					if len(v) != 1 {
						t.Errorf("trailer %s = %q, want one value", rampartgrpc.PushbackKey, v)
					} else if ms, err := strconv.Atoi(v[0]); err != nil || ms <= 0 {
						t.Errorf("pushback %q, want a positive number of ms", v[0])
					}
				} else {
					var ri *errdetails.RetryInfo
					for _, d := range st.Details() {
						if r, ok := d.(*errdetails.RetryInfo); ok {
							ri = r
						}
					}
					if ri == nil || ri.GetRetryDelay().AsDuration() <= 0 {
						t.Errorf("tap rejection details %v, want a RetryInfo with a positive delay", st.Details())
					}
				}
				if n := s.attempts.Load(); n != 1 {
					t.Errorf("handler ran %d times, want 1", n)
				}
				close(release)
				if err := recvTimeout(t, first, "the first call"); err != nil {
					t.Fatal(err)
				}
				// The slot is free again.
				if _, err := call(t.Context(), conn, "third"); err != nil {
					t.Errorf("third call: %v", err)
				}
			})
		}
	}
}

func TestShedderReadsPriority(t *testing.T) {
	for _, mode := range []string{"interceptor", "tap"} {
		t.Run(mode, func(t *testing.T) {
			checkGoroutines(t)
			sh := newShedder(t, newLimiter(t))
			sopts := sh.ServerOptions()
			if mode == "interceptor" {
				sopts = sopts[1:]
			}
			var got rampart.Priority
			s := &testServer{unary: func(ctx context.Context, _ int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
				got = rampart.PriorityFrom(ctx)
				return in, nil
			}}
			conn := start(t, s, sopts)
			ctx := metadata.AppendToOutgoingContext(t.Context(), rampartgrpc.PriorityKey, "critical")
			if _, err := call(ctx, conn, "x"); err != nil {
				t.Fatal(err)
			}
			if got != rampart.PriorityCritical {
				t.Errorf("handler saw priority %v, want critical", got)
			}
			ctx = metadata.AppendToOutgoingContext(t.Context(), rampartgrpc.PriorityKey, "urgent!")
			if _, err := call(ctx, conn, "x"); status.Code(err) != codes.InvalidArgument {
				t.Errorf("bad priority: %v, want INVALID_ARGUMENT", err)
			}
			if n := s.attempts.Load(); n != 1 {
				t.Errorf("handler ran %d times, want 1", n)
			}
		})
	}
}

func TestShedderDropsExpiredRequests(t *testing.T) {
	sh := newShedder(t, newLimiter(t))
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	ran := false
	h := func(context.Context, any) (any, error) { ran = true; return nil, nil }
	if _, err := sh.UnaryInterceptor(ctx, nil, &grpc.UnaryServerInfo{}, h); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("unary: %v, want DEADLINE_EXCEEDED", err)
	}
	if _, err := sh.TapHandle(ctx, &tap.Info{FullMethodName: unaryMethod}); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("tap: %v, want DEADLINE_EXCEEDED", err)
	}
	if ran {
		t.Error("the handler ran for an expired request")
	}
}

func TestShedderTapPermitReleasedForUnknownMethod(t *testing.T) {
	checkGoroutines(t)
	l := newLimiter(t)
	sh := newShedder(t, l)
	s := &testServer{unary: failFirst(0, nil)}
	conn := start(t, s, sh.ServerOptions())
	for range 3 {
		err := conn.Invoke(t.Context(), "/rampart.test.Echo/Nope", wrapperspb.Bytes(nil), new(wrapperspb.BytesValue))
		if status.Code(err) != codes.Unimplemented {
			t.Fatalf("unknown method: %v, want UNIMPLEMENTED", err)
		}
		// The permit goes back when the server ends the stream, which
		// may be just after the client has the status: the next call
		// waits for it, or would find the limit of one taken.
		waitFor(t, "the tap's permit to be released", func() bool { return l.Snapshot().InFlight == 0 })
	}
	if _, err := call(t.Context(), conn, "x"); err != nil {
		t.Errorf("call after unknown methods: %v", err)
	}
}

func TestShedderStream(t *testing.T) {
	checkGoroutines(t)
	sh := newShedder(t, newLimiter(t))
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		if n == 1 {
			arrived <- struct{}{}
			<-release
		}
		return ss.SendMsg(reply("ok"))
	}}
	conn := start(t, s, sh.ServerOptions()[1:])
	open := func() (grpc.ClientStream, error) {
		cs, err := conn.NewStream(t.Context(), &testDesc.Streams[0], streamMethod)
		if err != nil {
			return nil, err
		}
		return cs, cs.CloseSend()
	}
	first, err := open()
	if err != nil {
		t.Fatal(err)
	}
	recvTimeout(t, arrived, "the first stream")
	second, err := open()
	if err != nil {
		t.Fatal(err)
	}
	err = second.RecvMsg(new(wrapperspb.BytesValue))
	if st, _ := status.FromError(err); st.Code() != codes.Unavailable || len(second.Trailer().Get(rampartgrpc.PushbackKey)) != 1 {
		t.Errorf("second stream: %v, trailer %v; want UNAVAILABLE with pushback", err, second.Trailer())
	}
	close(release)
	if err := first.RecvMsg(new(wrapperspb.BytesValue)); err != nil {
		t.Errorf("first stream: %v", err)
	}
}

// The tap's rejection carries its pushback as a RetryInfo detail, which the
// client waits on instead of its backoff.
func TestClientHonoursTapPushback(t *testing.T) {
	checkGoroutines(t)
	sh := newShedder(t, newLimiter(t), rampartgrpc.WithPushback(7*time.Second))
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	s := &testServer{unary: holdFirst(arrived, release)}
	clock := rampart.NewManualClock(time.Unix(0, 0))
	c := newClient(t, rampartgrpc.WithPolicy(newRetry(t, 2, nil, clock)))
	conn := start(t, s, sh.ServerOptions(), c.DialOptions()...)
	first := make(chan error, 1)
	go func() {
		_, err := call(t.Context(), conn, "first")
		first <- err
	}()
	recvTimeout(t, arrived, "the first call")
	second := make(chan error, 1)
	go func() {
		_, err := call(t.Context(), conn, "second")
		second <- err
	}()
	waitFor(t, "the retry's wait", func() bool { return clock.Pending() > 0 })
	due, _ := clock.NextDue()
	if d := due.Sub(clock.Now()); d <= 0 {
		t.Errorf("retry waits %v, want the limiter's positive hint", d)
	}
	close(release)
	if err := recvTimeout(t, first, "the first call"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if err := recvTimeout(t, second, "the second call"); err != nil {
		t.Errorf("second call after the pushback: %v", err)
	}
}

func TestNewShedderRejectsBadOptions(t *testing.T) {
	l := newLimiter(t)
	for name, f := range map[string]func() (*rampartgrpc.Shedder, error){
		"nil policy": func() (*rampartgrpc.Shedder, error) { return rampartgrpc.NewShedder(nil) },
		"nil option": func() (*rampartgrpc.Shedder, error) { return rampartgrpc.NewShedder(l, nil) },
		"code OK": func() (*rampartgrpc.Shedder, error) {
			return rampartgrpc.NewShedder(l, rampartgrpc.WithRejectCode(codes.OK))
		},
		"code 99": func() (*rampartgrpc.Shedder, error) { return rampartgrpc.NewShedder(l, rampartgrpc.WithRejectCode(99)) },
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: NewShedder succeeded", name)
		}
	}
}
