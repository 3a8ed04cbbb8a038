package bench_test

import (
	"context"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart/bench"
)

func BenchmarkGRPCUnary(b *testing.B) {
	addr, stop, err := bench.ServeGRPC(func(_ context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		return in, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	for _, s := range bench.GRPCSubjects() {
		b.Run("lib="+s.Lib, func(b *testing.B) {
			conn, err := bench.DialGRPC(s, addr)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			ctx := context.Background()
			in, out := wrapperspb.Bytes([]byte("ping")), new(wrapperspb.BytesValue)
			b.ReportAllocs()
			for b.Loop() {
				if err := bench.GRPCEcho(ctx, conn, in, out); err != nil {
					b.Fatalf("%s: %v", s.Lib, err)
				}
			}
		})
	}
}

// TestGRPCRowsRetry checks that every retrying GRPCUnary row really
// retries: a server that answers UNAVAILABLE twice and then echoes is
// called three times and the caller gets the echo; and that the grpc row,
// the floor, does not.
func TestGRPCRowsRetry(t *testing.T) {
	for _, s := range bench.GRPCSubjects() {
		t.Run(s.Lib, func(t *testing.T) {
			var n atomic.Int32
			addr, stop, err := bench.ServeGRPC(func(_ context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
				if n.Add(1) <= 2 {
					return nil, status.Error(codes.Unavailable, "down")
				}
				return in, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			conn, err := bench.DialGRPC(s, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			out := new(wrapperspb.BytesValue)
			err = bench.GRPCEcho(t.Context(), conn, wrapperspb.Bytes([]byte("ping")), out)
			wantCode, wantN := codes.OK, int32(3)
			if s.Lib == "grpc" {
				wantCode, wantN = codes.Unavailable, 1
			}
			if status.Code(err) != wantCode || n.Load() != wantN {
				t.Fatalf("got %v after %d calls; want %v after %d", err, n.Load(), wantCode, wantN)
			}
			if err == nil && string(out.GetValue()) != "ping" {
				t.Errorf("reply %q, want ping", out.GetValue())
			}
		})
	}
}

// BenchmarkGRPCInterceptor is the GRPCUnary class without the network:
// each row's interceptor around an invoker that succeeds at once, so the
// figure is the interceptor's own cost, which GRPCUnary's loopback noise
// hides.
func BenchmarkGRPCInterceptor(b *testing.B) {
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	for _, s := range bench.GRPCSubjects() {
		b.Run("lib="+s.Lib, func(b *testing.B) {
			i := s.Interceptor()
			if i == nil {
				i = func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
					return invoker(ctx, method, req, reply, cc, opts...)
				}
			}
			ctx := context.Background()
			in, out := wrapperspb.Bytes([]byte("ping")), new(wrapperspb.BytesValue)
			b.ReportAllocs()
			for b.Loop() {
				if err := i(ctx, bench.GRPCMethod, in, out, nil, invoker); err != nil {
					b.Fatalf("%s: %v", s.Lib, err)
				}
			}
		})
	}
}
