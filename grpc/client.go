package rampartgrpc

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

// ClientOption configures a [Client].
type ClientOption interface{ applyClient(*clientOptions) }

type clientOptionFunc func(*clientOptions)

func (f clientOptionFunc) applyClient(o *clientOptions) { f(o) }

type clientOptions struct {
	policy       rampart.Policy
	perMethod    func(method string) (rampart.Policy, error)
	retryable    Codes
	failures     Codes
	streamRetry  *retry.Policy
	streamBuffer int
}

// DefaultStreamBuffer is how many bytes of a stream's sent messages the
// client keeps, by default, to replay them on a retry.
const DefaultStreamBuffer = 256 << 10

// WithPolicy runs every unary call under p, typically a pipeline such as
// retry → hedge → circuit breaker → per-attempt timeout.
func WithPolicy(p rampart.Policy) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.policy = p })
}

// WithMethodPolicies runs each method's unary calls under a policy of its
// own, built by newPolicy the first time the method is called and kept for
// the life of the [Client]. method is the full name, "/package.Service/Method";
// to share one policy per service, key on the part before the last slash.
// An error from newPolicy fails the call, which is not sent, with status
// INTERNAL; the next call asks again.
func WithMethodPolicies(newPolicy func(method string) (rampart.Policy, error)) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.perMethod = newPolicy })
}

// WithRetryable sets the status codes an attempt may be retried (or hedged)
// after, gRPC's retryableStatusCodes. Default [DefaultRetryable]. A
// retryable code is also a failure.
func WithRetryable(cs ...codes.Code) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.retryable = CodeSet(cs...) })
}

// WithFailures sets the status codes that count as a failure of the
// destination (see [DefaultFailures]); an answer with another code is a
// success to the policies, and returned to the caller as it is.
func WithFailures(cs ...codes.Code) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.failures = CodeSet(cs...) })
}

// WithStreamRetry retries streams under p before they are committed, as
// [Client.StreamInterceptor] describes. Without it streams are not retried.
func WithStreamRetry(p *retry.Policy) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.streamRetry = p })
}

// WithStreamBuffer sets how many bytes of sent messages a stream keeps for
// replay (default [DefaultStreamBuffer]); a stream that sends more is
// committed and no longer retried. Zero or less means the default.
func WithStreamBuffer(maxBytes int) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.streamBuffer = maxBytes })
}

// ErrNoPolicy is returned by [NewClient] when given neither [WithPolicy]
// nor [WithMethodPolicies], or both, and no [WithStreamRetry].
var ErrNoPolicy = errors.New("rampartgrpc: want exactly one of WithPolicy and WithMethodPolicies")

var errNilOption = errors.New("rampartgrpc: nil option")

// Client holds the policies of a gRPC client connection and provides its
// interceptors. It is safe for concurrent use.
type Client struct {
	o       clientOptions
	mu      sync.RWMutex
	methods map[string]rampart.Policy
}

// NewClient returns a client whose interceptors run calls under the policy
// given by [WithPolicy] or [WithMethodPolicies]. A client with only
// [WithStreamRetry] protects streams alone; its unary interceptor passes
// calls through.
func NewClient(opts ...ClientOption) (*Client, error) {
	c := &Client{o: clientOptions{retryable: DefaultRetryable, failures: DefaultFailures}}
	for _, o := range opts {
		if o == nil {
			return nil, errNilOption
		}
		o.applyClient(&c.o)
	}
	if c.o.policy != nil && c.o.perMethod != nil ||
		c.o.policy == nil && c.o.perMethod == nil && c.o.streamRetry == nil {
		return nil, ErrNoPolicy
	}
	if c.o.streamBuffer <= 0 {
		c.o.streamBuffer = DefaultStreamBuffer
	}
	c.o.failures |= c.o.retryable
	if c.o.perMethod != nil {
		c.methods = make(map[string]rampart.Policy)
	}
	return c, nil
}

// DialOptions returns the dial options that install the client's unary and
// stream interceptors.
func (c *Client) DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(c.UnaryInterceptor),
		grpc.WithChainStreamInterceptor(c.StreamInterceptor),
	}
}

// policyFor returns the policy of method, nil when unary calls pass
// through.
func (c *Client) policyFor(method string) (rampart.Policy, error) {
	if c.o.perMethod == nil {
		return c.o.policy, nil
	}
	c.mu.RLock()
	p, ok := c.methods[method]
	c.mu.RUnlock()
	if ok {
		return p, nil
	}
	// Built outside the lock: newPolicy is the user's code.
	p, err := c.o.perMethod(method)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, rampart.ErrNilPolicy
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if q, ok := c.methods[method]; ok {
		return q, nil // another call built it first
	}
	c.methods[method] = p
	return p, nil
}

// UnaryInterceptor is a [grpc.UnaryClientInterceptor] that runs each call
// under its method's policy, each attempt being one call of invoker:
//
//   - an answer whose code is not a failure (see [WithFailures]) is a
//     success to the policies and returned as it is;
//   - a failure is retried (or hedged past) only if its code is retryable
//     (see [WithRetryable]), the call was not committed (gRFC A6: the
//     server sent no response headers), and the server's pushback, if any,
//     is not negative; a pushback delay is waited on instead of the backoff
//     ([rampart.WithRetryAfter]);
//   - the caller's own cancellation, and a DEADLINE_EXCEEDED caused by the
//     caller's deadline, are never retried and never counted as failures;
//   - attempts after the first carry [PreviousAttemptsKey];
//   - when the policy gives up on an attempt's failure, the call returns
//     that attempt's status error as the server sent it; when a policy ends
//     the call itself (a rejection, its own timeout), it returns an
//     [*Error], UNAVAILABLE for a rejection, prefixed "rampart: ".
//
// Hedged attempts decode into copies of reply (which must then be a proto
// message), and the winner's is copied into reply once every attempt has
// returned.
func (c *Client) UnaryInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	p, err := c.policyFor(method)
	if err != nil {
		return newError(codes.Internal, err)
	}
	if p == nil {
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	u := &unaryCall{c: c, ctx: ctx, method: method, req: req, reply: reply, cc: cc, invoker: invoker, opts: opts}
	if m, ok := reply.(proto.Message); ok {
		// Read now: once attempts run, the first one writes reply while
		// hedges make copies of its type.
		u.replyType = m.ProtoReflect().Type()
	}
	v, err := rampart.Get(ctx, p, u.attempt)
	if err != nil {
		return u.finishErr(err)
	}
	if a, ok := v.(*answer); ok {
		return a.err
	}
	if v != reply && v != nil {
		// A hedge won: its copy holds the reply.
		rm, ok1 := reply.(proto.Message)
		vm, ok2 := v.(proto.Message)
		if ok1 && ok2 {
			proto.Reset(rm)
			proto.Merge(rm, vm)
		}
	}
	return nil
}

// unaryCall is one call through [Client.UnaryInterceptor].
type unaryCall struct {
	c         *Client
	ctx       context.Context // the caller's
	method    string
	req       any
	reply     any
	replyType protoreflect.MessageType // of reply, nil when it is not a proto message
	cc        *grpc.ClientConn
	invoker   grpc.UnaryInvoker
	opts      []grpc.CallOption
	attempts  atomic.Int32
	md        [2]metadata.MD // the first attempt's headers and trailers
	optBuf    [6]grpc.CallOption
}

// answer is the result of an attempt whose code is not a failure: the
// policies see a success, the caller gets err.
type answer struct{ err error }

// attemptError is an attempt's failure as the policies see it; the caller
// gets err, the server's status error.
type attemptError struct{ err error }

func (e *attemptError) Error() string { return e.err.Error() }
func (e *attemptError) Unwrap() error { return e.err }

// callerGoneError is an attempt ended by the caller's context: it matches
// the context's error so that every policy ignores it.
type callerGoneError struct{ err, ctxErr error }

func (e *callerGoneError) Error() string   { return e.err.Error() }
func (e *callerGoneError) Unwrap() []error { return []error{e.err, e.ctxErr} }

var errHedgeReply = errors.New("rampartgrpc: cannot hedge a call whose reply is not a proto message")

func (u *unaryCall) attempt(actx context.Context) (any, error) {
	n := u.attempts.Add(1)
	dst := u.reply
	octx := actx
	if n > 1 {
		if rampart.AttemptFrom(actx).Hedge {
			if u.replyType == nil {
				return nil, rampart.Permanent(errHedgeReply)
			}
			dst = u.replyType.New().Interface()
		}
		octx = metadata.AppendToOutgoingContext(actx, PreviousAttemptsKey, strconv.Itoa(int(n-1)))
	}
	// The first attempt uses the call's own header and trailer slots and
	// option array; later ones, which may run beside it as hedges, their
	// own.
	md := &u.md
	opts := u.optBuf[:0]
	if n > 1 || len(u.opts)+2 > len(u.optBuf) {
		md = new([2]metadata.MD)
		opts = make([]grpc.CallOption, 0, len(u.opts)+2)
	}
	opts = append(append(opts, u.opts...), grpc.Header(&md[0]), grpc.Trailer(&md[1]))
	err := u.invoker(octx, u.method, u.req, dst, u.cc, opts...)
	if err == nil {
		return dst, nil
	}
	return judge(u.c, u.ctx, actx, err, md[0] != nil, md[1])
}

// judge turns an attempt's status error into what the policies see.
// committed is whether the server sent response headers.
func judge(c *Client, ctx, actx context.Context, err error, committed bool, trl metadata.MD) (any, error) {
	if cerr := ctx.Err(); cerr != nil {
		return nil, &callerGoneError{err: err, ctxErr: cerr}
	}
	st, _ := status.FromError(err)
	code := st.Code()
	if code == codes.DeadlineExceeded && callerDeadline(ctx, actx) {
		// The caller's deadline, not a per-attempt one: never retried.
		return nil, &callerGoneError{err: err, ctxErr: context.DeadlineExceeded}
	}
	if !c.o.failures.Has(code) {
		return &answer{err: err}, nil
	}
	var ferr error = &attemptError{err: err}
	if !c.o.retryable.Has(code) || committed {
		return nil, rampart.Permanent(ferr)
	}
	if d, ok, stop := pushback(trl, st); stop {
		return nil, rampart.Permanent(ferr)
	} else if ok {
		ferr = rampart.WithRetryAfter(ferr, d)
	}
	return nil, ferr
}

// callerDeadline reports whether a DEADLINE_EXCEEDED came from the caller's
// deadline: the attempt had no earlier one, or the caller's has passed.
func callerDeadline(ctx, actx context.Context) bool {
	dl, ok := ctx.Deadline()
	if !ok {
		return false
	}
	if adl, _ := actx.Deadline(); adl.Equal(dl) {
		return true
	}
	return !time.Now().Before(dl)
}

// finishErr maps the policy's error to what the caller gets.
func (u *unaryCall) finishErr(err error) error {
	return finishErr(u.ctx, err)
}

func finishErr(ctx context.Context, err error) error {
	if cg, ok := errors.AsType[*callerGoneError](err); ok {
		return cg.err
	}
	if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
		return status.FromContextError(cerr).Err()
	}
	if ae, ok := errors.AsType[*attemptError](err); ok {
		return ae.err
	}
	return policyError(ctx, err)
}
