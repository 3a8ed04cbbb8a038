package rampartgrpc_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
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
