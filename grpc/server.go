package rampartgrpc

import (
	"context"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
)

// PriorityKey is the request metadata from which a [Shedder] reads a
// request's priority, by default: "sheddable", "default" or "critical" (see
// [rampart.ParsePriority]). Only trust it from callers you control, such as
// your own services behind a gateway that strips it from outside traffic.
const PriorityKey = "rampart-priority"

// DefaultPushback is the pushback sent with a rejection whose error carries
// no retry-after hint of its own.
const DefaultPushback = time.Second

// ServerOption configures a [Shedder].
type ServerOption interface{ applyServer(*serverOptions) }

type serverOptionFunc func(*serverOptions)

func (f serverOptionFunc) applyServer(o *serverOptions) { f(o) }

type serverOptions struct {
	priorityKey string
	pushback    time.Duration
	code        codes.Code
	failures    Codes
}

// WithPriorityKey names the metadata key priorities are read from; an empty
// name turns the reading off.
func WithPriorityKey(key string) ServerOption {
	return serverOptionFunc(func(o *serverOptions) { o.priorityKey = key })
}

// WithPushback sets the pushback sent with a rejection whose error carries
// no hint (default [DefaultPushback]); negative means zero.
func WithPushback(d time.Duration) ServerOption {
	return serverOptionFunc(func(o *serverOptions) { o.pushback = max(d, 0) })
}

// WithRejectCode sets the status of a rejection: UNAVAILABLE (the default,
// which gRPC clients retry by default, after the pushback) or
// RESOURCE_EXHAUSTED (which they do not).
func WithRejectCode(c codes.Code) ServerOption {
	return serverOptionFunc(func(o *serverOptions) { o.code = c })
}

// WithHandlerFailures sets the codes of a handler's answer that the
// admission policy records as a failure (default [DefaultFailures]); other
// answers are successes to it.
func WithHandlerFailures(cs ...codes.Code) ServerOption {
	return serverOptionFunc(func(o *serverOptions) { o.failures = CodeSet(cs...) })
}

// Shedder admits a server's requests through a rampart admission policy,
// such as an adaptive limiter or a bulkhead, and sheds what it refuses. Its
// interceptors and tap handle, installed by [Shedder.ServerOptions]:
//
//   - drop a request whose deadline has passed, or whose caller has gone,
//     before its handler runs (DEADLINE_EXCEEDED or CANCELED);
//   - read its priority from [PriorityKey] (see [WithPriorityKey]) into its
//     context with [rampart.WithPriority], so a policy that knows priorities
//     sheds critical traffic last; a value that is not a priority is
//     answered INVALID_ARGUMENT;
//   - answer a rejection (any error of the policy before the handler runs)
//     with UNAVAILABLE (see [WithRejectCode]), a message prefixed "rampart:"
//     and a pushback ([PushbackKey]) from [rampart.RetryAfter] or
//     [WithPushback].
//
// It is safe for concurrent use.
type Shedder struct {
	p   rampart.Policy
	lim *adaptive.Limiter
	o   serverOptions
}

// NewShedder returns a shedder admitting requests through p, or an error
// for a nil p, a nil option or a rejection code that is not an error.
func NewShedder(p rampart.Policy, opts ...ServerOption) (*Shedder, error) {
	if p == nil {
		return nil, rampart.ErrNilPolicy
	}
	s := &Shedder{p: p, o: serverOptions{priorityKey: PriorityKey, pushback: DefaultPushback,
		code: codes.Unavailable, failures: DefaultFailures}}
	s.lim, _ = p.(*adaptive.Limiter)
	for _, o := range opts {
		if o == nil {
			return nil, errNilOption
		}
		o.applyServer(&s.o)
	}
	if s.o.code == codes.OK || s.o.code > codes.Unauthenticated {
		return nil, &rampart.ConfigError{Package: "rampartgrpc", Field: "WithRejectCode",
			Reason: "must be an error code, got " + s.o.code.String()}
	}
	return s, nil
}

// ServerOptions returns the server options that install the shedder's tap
// handle and interceptors.
func (s *Shedder) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.InTapHandle(s.TapHandle),
		grpc.ChainUnaryInterceptor(s.UnaryInterceptor),
		grpc.ChainStreamInterceptor(s.StreamInterceptor),
	}
}

var errPriority = status.Error(codes.InvalidArgument, "rampart: invalid "+PriorityKey+" metadata")

// withPriority returns ctx carrying the priority md names.
func (s *Shedder) withPriority(ctx context.Context, md metadata.MD) (context.Context, error) {
	if s.o.priorityKey == "" {
		return ctx, nil
	}
	v := md.Get(s.o.priorityKey)
	if len(v) == 0 {
		return ctx, nil
	}
	p, err := rampart.ParsePriority(v[0])
	if err != nil {
		return ctx, errPriority
	}
	return rampart.WithPriority(ctx, p), nil
}

// tapPermit is the limiter's leave for a request admitted by the tap
// handle, finished exactly once: by the interceptor with the handler's
// outcome, or, if no interceptor runs (an unknown method), when the
// stream's context ends.
type tapPermit struct {
	permit adaptive.Permit
	done   atomic.Bool
	stop   func() bool
}

type tapKey struct{}

func (t *tapPermit) finish(ctx context.Context, err error) {
	if t.done.CompareAndSwap(false, true) {
		t.stop()
		t.permit.DoneContext(ctx, err)
	}
}

func (t *tapPermit) abandon() {
	if t.done.CompareAndSwap(false, true) {
		t.permit.Ignore()
	}
}

// TapHandle is a [tap.ServerInHandle]: it sheds a request as soon as its
// headers arrive, before the server reads or decodes its message. It drops
// requests whose deadline has passed and reads priorities; when the
// shedder's policy is an [*adaptive.Limiter], it takes the limiter's permit
// here, and the interceptors finish it with the handler's outcome instead
// of admitting the request again. A rejection carries its pushback as a
// google.rpc.RetryInfo status detail, which this package's client reads
// (the tap cannot send trailers). gRPC calls the tap on the connection's
// reading goroutine: give such a limiter no queue (Config.MaxQueue zero),
// so that admission never waits.
func (s *Shedder) TapHandle(ctx context.Context, info *tap.Info) (context.Context, error) {
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return ctx, status.Error(codes.DeadlineExceeded, "rampart: deadline passed before admission")
	}
	ctx, err := s.withPriority(ctx, info.Header)
	if err != nil || s.lim == nil {
		return ctx, err
	}
	permit, err := s.lim.Acquire(ctx)
	if err != nil {
		st := status.New(s.o.code, "rampart: "+err.Error())
		if dst, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(s.hint(err))}); derr == nil {
			st = dst
		}
		return ctx, st.Err()
	}
	t := &tapPermit{permit: permit}
	t.stop = context.AfterFunc(ctx, t.abandon)
	return context.WithValue(ctx, tapKey{}, t), nil
}

func (s *Shedder) hint(err error) time.Duration {
	if d, ok := rampart.RetryAfter(err); ok && d > 0 {
		return d
	}
	return s.o.pushback
}

// outcome is what the policy sees of a handler's answer.
func (s *Shedder) outcome(err error) error {
	if err != nil && s.o.failures.Has(status.Code(err)) {
		return err
	}
	return nil
}

// admit runs handle under the policy, or under the tap's permit, and
// returns the handler's error, or the rejection to send.
func (s *Shedder) admit(ctx context.Context, setTrailer func(metadata.MD) error, handle func(context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	if t, ok := ctx.Value(tapKey{}).(*tapPermit); ok {
		ok := false
		defer func() {
			if !ok {
				t.finish(ctx, rampart.ErrPanic)
			}
		}()
		herr := handle(ctx)
		ok = true
		t.finish(ctx, s.outcome(herr))
		return herr
	}
	md, _ := metadata.FromIncomingContext(ctx)
	ctx, err := s.withPriority(ctx, md)
	if err != nil {
		return err
	}
	ran := false
	var herr error
	err = rampart.Do(ctx, s.p, func(pctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return err // left while waiting for admission
		}
		ran = true
		herr = handle(pctx)
		return s.outcome(herr)
	})
	if ran {
		return herr
	}
	if cerr := ctx.Err(); cerr != nil {
		return status.FromContextError(cerr).Err()
	}
	if err == nil {
		return status.Error(codes.Internal, "rampart: admission policy succeeded without running the handler")
	}
	setTrailer(metadata.Pairs(PushbackKey, formatPushback(s.hint(err))))
	return status.Error(s.o.code, "rampart: "+err.Error())
}

// UnaryInterceptor is a [grpc.UnaryServerInterceptor] that admits each
// request through the shedder's policy; see [Shedder].
func (s *Shedder) UnaryInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	var resp any
	err := s.admit(ctx, func(md metadata.MD) error { return grpc.SetTrailer(ctx, md) }, func(ctx context.Context) error {
		var err error
		resp, err = handler(ctx, req)
		return err
	})
	return resp, err
}

// StreamInterceptor is a [grpc.StreamServerInterceptor] that admits each
// stream through the shedder's policy, for the stream's whole life; see
// [Shedder].
func (s *Shedder) StreamInterceptor(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return s.admit(ss.Context(), func(md metadata.MD) error { ss.SetTrailer(md); return nil }, func(ctx context.Context) error {
		if ctx != ss.Context() {
			ss = &ctxStream{ServerStream: ss, ctx: ctx}
		}
		return handler(srv, ss)
	})
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }
