package bench_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart/bench"
)

// BenchmarkGRPCUnary is a unary call to a loopback server through each
// row's interceptor. Besides wall time it reports cpu-ns/op, the CPU time
// the process (client and server) spent per call, which the waits of a
// busy machine do not inflate as they do wall time; BenchmarkGRPCUnaryOverhead
// sets each row beside the plain call more closely.
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
			cpu0, ok := processCPU()
			for b.Loop() {
				if err := bench.GRPCEcho(ctx, conn, in, out); err != nil {
					b.Fatalf("%s: %v", s.Lib, err)
				}
			}
			if cpu1, ok1 := processCPU(); ok && ok1 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// grpcBlock is how many calls BenchmarkGRPCUnaryOverhead makes in a row
// on one connection before it switches to the other.
const grpcBlock = 16

// BenchmarkGRPCUnaryOverhead measures what each row's interceptor adds to
// a unary call on loopback, beside a plain call on the same server: it
// alternates blocks of grpcBlock calls through the row and plain calls
// (the order flipped every other pair of blocks), so that both see the
// same state of the machine, and reports per call
//
//   - cpu-ns/call and plain-cpu-ns/call: the CPU time of the calling
//     goroutine, locked to its thread and read to the nanosecond, and
//     overhead-% their ratio less one. An interceptor runs on the calling
//     goroutine, and so does gRPC's side of a unary call that differs
//     between the rows (options, metadata copies, garbage collection
//     assists for their allocations); the server and gRPC's transport
//     goroutines, which do the same work for every row, are left out, so
//     overhead-% is a share of the caller's part of the call, larger than
//     its share of the whole (GRPCUnary's cpu-ns/op counts the whole
//     process);
//   - allocs/call, B/call and their excess over the plain call
//     (extra-allocs/call, extra-B/call), server included, counted in a
//     separate run of calls at the end.
//
// The grpc row is a control: plain calls on a second connection beside
// plain calls on the first. Its overhead-% is the method's noise, against
// which to judge the other rows'; on a shared machine, take the median of
// many runs (-count 10 or more). The grpc-a6-options row is a plain call
// given the header and trailer call options rampart passes to see commit
// and pushback: what those cost in gRPC, without rampart (its interceptor
// allocates the two metadata slots and the option slice, 2 allocations
// that rampart's reused call state does not make).
//
// One op is a pair of calls, one of each kind: ns/op is their wall time.
func BenchmarkGRPCUnaryOverhead(b *testing.B) {
	if _, ok := threadCPU(); !ok {
		b.Skip("no thread CPU time on this platform")
	}
	addr, stop, err := bench.ServeGRPC(func(_ context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		return in, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	subjects := bench.GRPCSubjects()
	plainConn, err := bench.DialGRPC(subjects[0], addr)
	if err != nil {
		b.Fatal(err)
	}
	defer plainConn.Close()
	subjects = append(subjects, bench.GRPCSubject{Lib: "grpc-a6-options", Interceptor: a6Options})
	for _, s := range subjects {
		b.Run("lib="+s.Lib, func(b *testing.B) {
			conn, err := bench.DialGRPC(s, addr)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ctx := context.Background()
			in, out := wrapperspb.Bytes([]byte("ping")), new(wrapperspb.BytesValue)
			block := func(c *grpc.ClientConn, n int) time.Duration {
				t0, _ := threadCPU()
				for range n {
					if err := bench.GRPCEcho(ctx, c, in, out); err != nil {
						b.Fatalf("%s: %v", s.Lib, err)
					}
				}
				t1, _ := threadCPU()
				return t1 - t0
			}
			block(conn, grpcBlock) // warm both connections up
			block(plainConn, grpcBlock)
			var cpu, plainCPU time.Duration
			b.ResetTimer()
			for i, left := 0, b.N; left > 0; i, left = i+1, left-grpcBlock {
				n := min(left, grpcBlock)
				if i%2 == 0 {
					cpu += block(conn, n)
					plainCPU += block(plainConn, n)
				} else {
					plainCPU += block(plainConn, n)
					cpu += block(conn, n)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/call")
			b.ReportMetric(float64(plainCPU)/float64(b.N), "plain-cpu-ns/call")
			b.ReportMetric(100*(float64(cpu)/float64(plainCPU)-1), "overhead-%")
			const calls = 2000
			allocs, bytes := callMemory(b, conn, calls)
			plainAllocs, plainBytes := callMemory(b, plainConn, calls)
			b.ReportMetric(allocs, "allocs/call")
			b.ReportMetric(bytes, "B/call")
			b.ReportMetric(allocs-plainAllocs, "extra-allocs/call")
			b.ReportMetric(bytes-plainBytes, "extra-B/call")
		})
	}
}

// a6Options is an interceptor that only adds, as rampart does, header and
// trailer call options to the call.
func a6Options() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		var md [2]metadata.MD
		return invoker(ctx, method, req, reply, cc, append(opts, grpc.Header(&md[0]), grpc.Trailer(&md[1]))...)
	}
}

// callMemory returns the allocations and bytes per call of n echo calls
// on c, the server's share included.
func callMemory(b *testing.B, c *grpc.ClientConn, n int) (allocs, bytes float64) {
	ctx := context.Background()
	in, out := wrapperspb.Bytes([]byte("ping")), new(wrapperspb.BytesValue)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	for range n {
		if err := bench.GRPCEcho(ctx, c, in, out); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / float64(n), float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n)
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
