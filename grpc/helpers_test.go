package rampartgrpc_test

import (
	"context"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart/internal/testutil"
)

const (
	unaryMethod  = "/rampart.test.Echo/Unary"
	streamMethod = "/rampart.test.Echo/Stream"
)

// testServer is a service whose every answer the test chooses: each
// attempt (counted from 1) runs unary or stream.
type testServer struct {
	attempts atomic.Int32
	unary    func(ctx context.Context, n int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error)
	stream   func(n int, ss grpc.ServerStream) error

	mu       sync.Mutex
	previous []string // PreviousAttemptsKey of each attempt, "" when absent
}

func (s *testServer) count(ctx context.Context) int {
	md, _ := metadata.FromIncomingContext(ctx)
	v := ""
	if p := md.Get("grpc-previous-rpc-attempts"); len(p) > 0 {
		v = p[0]
	}
	s.mu.Lock()
	s.previous = append(s.previous, v)
	s.mu.Unlock()
	return int(s.attempts.Add(1))
}

func (s *testServer) previousAttempts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.previous...)
}

var testDesc = grpc.ServiceDesc{
	ServiceName: "rampart.test.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Unary",
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.BytesValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			s := srv.(*testServer)
			h := func(ctx context.Context, req any) (any, error) {
				return s.unary(ctx, s.count(ctx), req.(*wrapperspb.BytesValue))
			}
			if ic == nil {
				return h(ctx, in)
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: unaryMethod}, h)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Stream",
		ClientStreams: true,
		ServerStreams: true,
		Handler: func(srv any, ss grpc.ServerStream) error {
			s := srv.(*testServer)
			return s.stream(s.count(ss.Context()), ss)
		},
	}},
}

// start serves s on loopback TCP and returns a connection to it, dialled
// with dopts; everything is closed when the test ends.
func start(t *testing.T, s *testServer, sopts []grpc.ServerOption, dopts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(sopts...)
	srv.RegisterService(&testDesc, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	conn, err := grpc.NewClient(lis.Addr().String(),
		append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, dopts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		<-done
	})
	return conn
}

func call(ctx context.Context, conn *grpc.ClientConn, in string, opts ...grpc.CallOption) (string, error) {
	out := new(wrapperspb.BytesValue)
	err := conn.Invoke(ctx, unaryMethod, wrapperspb.Bytes([]byte(in)), out, opts...)
	return string(out.GetValue()), err
}

// callAsync makes a call in a goroutine: the channel receives its reply,
// or its error's text.
func callAsync(t *testing.T, conn *grpc.ClientConn) <-chan string {
	done := make(chan string, 1)
	go func() {
		got, err := call(t.Context(), conn, "x")
		if err != nil {
			got = err.Error()
		}
		done <- got
	}()
	return done
}

func reply(s string) *wrapperspb.BytesValue { return wrapperspb.Bytes([]byte(s)) }

// checkGoroutines fails the test if goroutines it started outlive it.
func checkGoroutines(t *testing.T) { t.Helper(); testutil.CheckGoroutines(t) }

// waitFor spins until cond holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

// recvTimeout receives from c, failing the test after 10 s.
func recvTimeout[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// captureCodec is the proto codec, recording the bytes of every message
// the server decodes.
type captureCodec struct {
	mu  sync.Mutex
	got [][]byte
}

func (c *captureCodec) Marshal(v any) ([]byte, error) { return proto.Marshal(v.(proto.Message)) }
func (c *captureCodec) Unmarshal(data []byte, v any) error {
	c.mu.Lock()
	c.got = append(c.got, append([]byte(nil), data...))
	c.mu.Unlock()
	return proto.Unmarshal(data, v.(proto.Message))
}
func (c *captureCodec) Name() string { return "proto" }

func (c *captureCodec) messages() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.got...)
}
