package rampartgrpc_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
	"github.com/rampart-go/rampart/circuitbreaker"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
	"github.com/rampart-go/rampart/hedge"
	"github.com/rampart-go/rampart/retry"
)

// A client that retries UNAVAILABLE per gRFC A6 with gRPC's retry
// throttling, against a server that fails twice.
func ExampleClient() {
	s := &testServer{unary: failFirst(2, status.Error(codes.Unavailable, "warming up"))}
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := grpc.NewServer()
	srv.RegisterService(&testDesc, s)
	go srv.Serve(lis)
	defer srv.Stop()

	budget, _ := rampartgrpc.RetryThrottling{MaxTokens: 10, TokenRatio: 0.1}.Budget()
	rc, _ := rampartgrpc.RetryPolicy{MaxAttempts: 3, InitialBackoff: 1, MaxBackoff: 1, BackoffMultiplier: 2}.Config(budget)
	r, _ := retry.New(rc)
	c, _ := rampartgrpc.NewClient(rampartgrpc.WithPolicy(r))
	conn, _ := grpc.NewClient(lis.Addr().String(),
		append(c.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	defer conn.Close()

	out := new(wrapperspb.BytesValue)
	err := conn.Invoke(context.Background(), unaryMethod, wrapperspb.Bytes([]byte("hello")), out)
	fmt.Println(string(out.GetValue()), err, "after", s.attempts.Load(), "attempts")
	// Output: hello <nil> after 3 attempts
}

// A server that sheds what an adaptive limiter refuses, before reading the
// request, with a pushback.
func ExampleShedder() {
	lim, _ := adaptive.New(adaptive.Config{}) // no queue: the tap never waits
	sh, _ := rampartgrpc.NewShedder(lim)
	s := &testServer{unary: func(ctx context.Context, _ int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		return wrapperspb.Bytes([]byte(rampart.PriorityFrom(ctx).String())), nil
	}}
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := grpc.NewServer(sh.ServerOptions()...)
	srv.RegisterService(&testDesc, s)
	go srv.Serve(lis)
	defer srv.Stop()

	conn, _ := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), rampartgrpc.PriorityKey, "critical")
	got, err := call(ctx, conn, "x")
	fmt.Println(got, err)
	// Output: critical <nil>
}

// Streams under a pipeline of retry and circuit breaker: the stream is
// retried before it commits, replaying what was sent, and the breaker
// records each stream's final status.
func ExampleWithStreamPolicy() {
	s := &testServer{stream: func(n int, ss grpc.ServerStream) error {
		got, err := readAll(ss)
		if err != nil {
			return err
		}
		if n == 1 {
			return status.Error(codes.Unavailable, "warming up") // before any reply: retried
		}
		return ss.SendMsg(wrapperspb.Bytes([]byte(strings.Join(got, " "))))
	}}
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := grpc.NewServer()
	srv.RegisterService(&testDesc, s)
	go srv.Serve(lis)
	defer srv.Stop()

	r, _ := retry.New(retry.Config{MaxAttempts: 3, Strategy: retry.Constant(0)})
	br, _ := circuitbreaker.New(circuitbreaker.Config{})
	c, _ := rampartgrpc.NewClient(rampartgrpc.WithStreamPolicy(rampart.Pipeline(r, br)))
	conn, _ := grpc.NewClient(lis.Addr().String(),
		append(c.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	defer conn.Close()

	got, err := clientStream(context.Background(), conn, "hello", "stream")
	fmt.Println(got, err, "after", s.attempts.Load(), "attempts; breaker", br.State())
	// Output: [hello stream] <nil> after 2 attempts; breaker closed
}

// A6 hedging of unary calls: a hedge goes after hedgingDelay, the first
// attempt to receive response headers commits the call, and the other is
// cancelled.
func ExampleHedgingPolicy() {
	s := &testServer{unary: func(ctx context.Context, n int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		if n == 1 {
			<-ctx.Done() // a straggler: cancelled once the hedge commits
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		return in, nil
	}}
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := grpc.NewServer()
	srv.RegisterService(&testDesc, s)
	go srv.Serve(lis)
	defer srv.Stop()

	budget, _ := rampartgrpc.RetryThrottling{MaxTokens: 10, TokenRatio: 0.1}.Budget()
	hc, _ := rampartgrpc.HedgingPolicy{MaxAttempts: 2, HedgingDelay: 10 * time.Millisecond,
		NonFatalStatusCodes: []codes.Code{codes.Unavailable}}.Config(budget)
	h, _ := hedge.New(hc)
	c, _ := rampartgrpc.NewClient(rampartgrpc.WithPolicy(h))
	conn, _ := grpc.NewClient(lis.Addr().String(),
		append(c.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	defer conn.Close()

	got, err := call(context.Background(), conn, "fast")
	fmt.Println(got, err, "after", s.attempts.Load(), "attempts")
	// Output: fast <nil> after 2 attempts
}
