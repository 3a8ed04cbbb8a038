package rampartgrpc_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
	"github.com/rampart-go/rampart/retry"
)

// BenchmarkUnaryInterceptor measures what the interceptor adds to a call
// whose first attempt succeeds, with an invoker that does nothing: the
// overhead alone, to set beside a real call's cost (bench's GRPCUnary).
// policy=none is an empty pipeline, the interceptor's own floor; retry
// adds a retry policy with its default budget.
func BenchmarkUnaryInterceptor(b *testing.B) {
	r, err := retry.New(retry.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		p    rampart.Policy
	}{{"none", rampart.Pipeline()}, {"retry", r}} {
		b.Run("policy="+bc.name, func(b *testing.B) {
			c, err := rampartgrpc.NewClient(rampartgrpc.WithPolicy(bc.p))
			if err != nil {
				b.Fatal(err)
			}
			invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
			ctx := context.Background()
			in, out := wrapperspb.Bytes(nil), new(wrapperspb.BytesValue)
			b.ReportAllocs()
			for b.Loop() {
				if err := c.UnaryInterceptor(ctx, unaryMethod, in, out, nil, invoker); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
