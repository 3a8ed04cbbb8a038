package bench

import (
	"context"
	"net"
	"time"

	failsafe "github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/failsafegrpc"
	grpcretry "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"

	rampartgrpc "github.com/rampart-go/rampart/grpc"
	"github.com/rampart-go/rampart/retry"
)

// GRPCUnary class: a unary call to a loopback gRPC server (the echo service
// below, a BytesValue each way) through each library's retrying client
// interceptor. The grpc row is the plain call, the floor.
//
// Every retrying row is configured alike: 3 attempts in all, UNAVAILABLE
// retried, waits from GRPCRetryMin to GRPCRetryMax (short, so the
// correctness test runs on the real clock in milliseconds; no failures
// happen while benchmarking).
//
// Where the libraries differ:
//   - rampart: rampartgrpc.Client with a retry policy, which also keeps its
//     default retry budget (gRPC's retry throttling) and full jitter, sees
//     whether a call was committed (response headers) and reads the
//     server's pushback: it adds header and trailer call options to every
//     attempt. For those gRPC copies the response metadata (the header
//     map, its slots and value: 3 allocations, some 420 B; the trailer
//     map: 1) and, as for any call given options, rebuilds its option
//     slice (1): the 5 allocations and some 510 B per call by which the
//     rampart row exceeds the plain call, none of them rampart's own
//     (its call state is reused). go-grpc-middleware passes no options
//     on a first attempt, failsafe-go none either but allocates 16 times
//     itself.
//   - failsafe-go: failsafegrpc.NewUnaryClientInterceptor with its gRPC
//     retry policy, which retries UNAVAILABLE, DEADLINE_EXCEEDED and
//     RESOURCE_EXHAUSTED; no budget, no pushback, no commit rule.
//   - go-grpc-middleware: the v2 retry interceptor with exponential backoff
//     and jitter, UNAVAILABLE only; no budget, no commit rule.
const (
	GRPCRetryMin = time.Millisecond
	GRPCRetryMax = 4 * time.Millisecond
)

// GRPCMethod is the echo service's only method.
const GRPCMethod = "/rampart.bench.Echo/Echo"

// GRPCSubject is a row of the GRPCUnary class.
type GRPCSubject struct {
	Lib string
	// Interceptor returns the row's unary client interceptor, nil for
	// the plain call.
	Interceptor func() grpc.UnaryClientInterceptor
}

// GRPCSubjects lists the GRPCUnary class's rows.
func GRPCSubjects() []GRPCSubject {
	return []GRPCSubject{
		{Lib: "grpc", Interceptor: func() grpc.UnaryClientInterceptor { return nil }},
		{Lib: "rampart", Interceptor: rampartGRPC},
		{Lib: "failsafe-go", Interceptor: failsafeGRPC},
		{Lib: "go-grpc-middleware", Interceptor: middlewareGRPC},
	}
}

func rampartGRPC() grpc.UnaryClientInterceptor {
	p := must(retry.New(retry.Config{
		MaxAttempts: 3,
		Backoff:     retry.BackoffConfig{Base: GRPCRetryMin, Max: GRPCRetryMax},
	}))
	return must(rampartgrpc.NewClient(rampartgrpc.WithPolicy(p))).UnaryInterceptor
}

func failsafeGRPC() grpc.UnaryClientInterceptor {
	rp := failsafegrpc.NewRetryPolicyBuilder[any]().
		WithMaxAttempts(3).
		WithBackoff(GRPCRetryMin, GRPCRetryMax).
		Build()
	return failsafegrpc.NewUnaryClientInterceptor[any](failsafe.Policy[any](rp))
}

func middlewareGRPC() grpc.UnaryClientInterceptor {
	return grpcretry.UnaryClientInterceptor(
		grpcretry.WithMax(3), // attempts in all, the first included
		grpcretry.WithCodes(codes.Unavailable),
		grpcretry.WithBackoff(grpcretry.BackoffExponentialWithJitterBounded(GRPCRetryMin, 0.5, GRPCRetryMax)),
	)
}

// EchoFunc answers one echo call.
type EchoFunc func(ctx context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error)

var echoDesc = grpc.ServiceDesc{
	ServiceName: "rampart.bench.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.BytesValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return srv.(EchoFunc)(ctx, in)
		},
	}},
}

// ServeGRPC serves f as the echo service on loopback TCP and returns its
// address and a function that stops the server.
func ServeGRPC(f EchoFunc) (addr string, stop func(), err error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := grpc.NewServer()
	srv.RegisterService(&echoDesc, f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	return lis.Addr().String(), func() { srv.Stop(); <-done }, nil
}

// DialGRPC connects to addr through s's interceptor.
func DialGRPC(s GRPCSubject, addr string) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if i := s.Interceptor(); i != nil {
		opts = append(opts, grpc.WithUnaryInterceptor(i))
	}
	return grpc.NewClient(addr, opts...)
}

// GRPCEcho makes one echo call on conn.
func GRPCEcho(ctx context.Context, conn *grpc.ClientConn, in, out *wrapperspb.BytesValue) error {
	return conn.Invoke(ctx, GRPCMethod, in, out)
}
