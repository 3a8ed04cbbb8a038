package rampartgrpc

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/bulkhead"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/fallback"
	"github.com/rampart-go/rampart/hedge"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/retry"
)

// ClientOption configures a [Client].
type ClientOption interface{ applyClient(*clientOptions) }

type clientOptionFunc func(*clientOptions)

func (f clientOptionFunc) applyClient(o *clientOptions) { f(o) }

type clientOptions struct {
	unary, stream policySource
	retryable     Codes
	failures      Codes
	streamBuffer  int
	clock         rampart.Clock
}

// policySource is how an option gave the policies of one kind of call: one
// for all, or one per method.
type policySource struct {
	one       rampart.Policy
	perMethod func(method string) (rampart.Policy, error)
	conflict  bool // both were given
}

func (s *policySource) setOne(p rampart.Policy) {
	s.conflict = s.conflict || s.perMethod != nil
	s.one = p
}

func (s *policySource) setPerMethod(f func(string) (rampart.Policy, error)) {
	s.conflict = s.conflict || s.one != nil
	s.perMethod = f
}

// DefaultStreamBuffer is how many bytes of a stream's sent messages the
// client keeps, by default, to replay them on a retry.
const DefaultStreamBuffer = 256 << 10

// WithPolicy runs every unary call under p, typically a pipeline such as
// retry → hedge → circuit breaker → per-attempt timeout.
func WithPolicy(p rampart.Policy) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.unary.setOne(p) })
}

// WithMethodPolicies runs each method's unary calls under a policy of its
// own, built by newPolicy the first time the method is called and kept for
// the life of the [Client]. method is the full name, "/package.Service/Method";
// to share one policy per service, key on the part before the last slash.
// An error from newPolicy fails the call, which is not sent, with status
// INTERNAL; the next call asks again.
func WithMethodPolicies(newPolicy func(method string) (rampart.Policy, error)) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.unary.setPerMethod(newPolicy) })
}

// WithStreamPolicy runs every stream under p, as [Client.StreamInterceptor]
// describes: a circuit breaker, a limiter, a bulkhead, a throttle, a retry,
// or a pipeline of them. Without it (or [WithStreamMethodPolicies]) streams
// pass through.
func WithStreamPolicy(p rampart.Policy) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.stream.setOne(p) })
}

// WithStreamMethodPolicies runs each method's streams under a policy of its
// own, built and kept as [WithMethodPolicies] describes.
func WithStreamMethodPolicies(newPolicy func(method string) (rampart.Policy, error)) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.stream.setPerMethod(newPolicy) })
}

// WithStreamRetry retries streams under p before they are committed; it is
// [WithStreamPolicy](p).
func WithStreamRetry(p *retry.Policy) ClientOption {
	return clientOptionFunc(func(o *clientOptions) {
		if p == nil {
			o.stream.setOne(nil)
			return
		}
		o.stream.setOne(p)
	})
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

// WithStreamBuffer sets how many bytes of sent messages a stream keeps for
// replay (default [DefaultStreamBuffer]); a stream that sends more is
// committed and no longer retried. Zero or less means the default.
func WithStreamBuffer(maxBytes int) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.streamBuffer = maxBytes })
}

// WithClock sets the clock on which a hedge waits out a server's pushback
// (see [Client.UnaryInterceptor]); nil, the default, is the real clock.
func WithClock(c rampart.Clock) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.clock = c })
}

// ErrNoPolicy is returned by [NewClient] when given no policy at all, or
// both a policy for every call and policies per method for the same kind
// of call (unary or stream).
var ErrNoPolicy = errors.New("rampartgrpc: want one of WithPolicy and WithMethodPolicies, or of WithStreamPolicy and WithStreamMethodPolicies")

var errNilOption = errors.New("rampartgrpc: nil option")

// Client holds the policies of a gRPC client connection and provides its
// interceptors. It is safe for concurrent use.
type Client struct {
	o       clientOptions
	unary   *methodPolicies // nil: unary calls pass through
	streams *methodPolicies // nil: streams pass through
}

// NewClient returns a client whose interceptors run unary calls under the
// policy given by [WithPolicy] or [WithMethodPolicies], and streams under
// the one given by [WithStreamPolicy] or [WithStreamMethodPolicies]. A kind
// of call given no policy passes through.
func NewClient(opts ...ClientOption) (*Client, error) {
	c := &Client{o: clientOptions{retryable: DefaultRetryable, failures: DefaultFailures}}
	for _, o := range opts {
		if o == nil {
			return nil, errNilOption
		}
		o.applyClient(&c.o)
	}
	c.unary, c.streams = c.o.unary.policies(), c.o.stream.policies()
	if c.o.unary.conflict || c.o.stream.conflict || c.unary == nil && c.streams == nil {
		return nil, ErrNoPolicy
	}
	if c.o.streamBuffer <= 0 {
		c.o.streamBuffer = DefaultStreamBuffer
	}
	c.o.failures |= c.o.retryable
	return c, nil
}

// DialOptions returns the dial options that install the client's unary and
// stream interceptors.
//
// When unary calls may be hedged (a policy holding a hedge.Policy, or
// policies per method, which may), they also install a stats handler that
// tells a hedged call when one of its attempts receives response headers,
// so that it commits to that attempt at once (see [Client.UnaryInterceptor]).
// Without it, a hedged call commits when an attempt returns. A stats
// handler makes gRPC report every message of every call on the
// connection, a cost a connection whose calls are not hedged need not pay.
func (c *Client) DialOptions() []grpc.DialOption {
	opts := []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(c.UnaryInterceptor),
		grpc.WithChainStreamInterceptor(c.StreamInterceptor),
	}
	if c.unary != nil && (c.unary.one.p == nil || c.unary.one.hedges) {
		opts = append(opts, grpc.WithStatsHandler(commitWatch{}))
	}
	return opts
}

// methodPolicies gives the policy of each method: one for all, or one per
// method built on its first call and kept.
type methodPolicies struct {
	one       methodPolicy // zero when per method
	newPolicy func(method string) (rampart.Policy, error)
	mu        sync.RWMutex
	built     map[string]methodPolicy
}

// methodPolicy is a method's policy, whether it holds a hedge or a
// fallback, and whether a call's state may be reused once it returns.
type methodPolicy struct {
	p        rampart.Policy
	hedges   bool
	fallback bool
	reuse    bool
}

func newMethodPolicy(p rampart.Policy) methodPolicy {
	mp := methodPolicy{p: p, hedges: holds[*hedge.Policy](p), fallback: holds[*fallback.Policy](p)}
	mp.reuse = !mp.hedges && !mp.fallback && keepsNoContext(p)
	return mp
}

// keepsNoContext reports whether p is one of rampart's policies that run
// their attempts one after another, each before Execute returns, and hold
// no reference to the context they were given, nor to one derived from it,
// once Execute has returned: a retry, a circuit breaker, a bulkhead, a rate
// limiter, or a pipeline of them. Other policies (a timeout may abandon an
// attempt, a keyed limiter hands the context to the user's key function,
// the user's own policies may do anything) keep a call's state to
// themselves.
func keepsNoContext(p rampart.Policy) bool {
	switch p := p.(type) {
	case *retry.Policy, *circuitbreaker.Breaker, *bulkhead.Bulkhead, *ratelimit.Limiter:
		return true
	case *rampart.Chain:
		for _, q := range p.Policies() {
			if !keepsNoContext(q) {
				return false
			}
		}
		return true
	}
	return false
}

func (s policySource) policies() *methodPolicies {
	switch {
	case s.one != nil:
		return &methodPolicies{one: newMethodPolicy(s.one)}
	case s.perMethod != nil:
		return &methodPolicies{newPolicy: s.perMethod, built: make(map[string]methodPolicy)}
	}
	return nil
}

// get returns the policy of method.
func (m *methodPolicies) get(method string) (methodPolicy, error) {
	if m.one.p != nil {
		return m.one, nil
	}
	m.mu.RLock()
	mp, ok := m.built[method]
	m.mu.RUnlock()
	if ok {
		return mp, nil
	}
	// Built outside the lock: newPolicy is the user's code.
	p, err := m.newPolicy(method)
	if err != nil {
		return methodPolicy{}, err
	}
	if p == nil {
		return methodPolicy{}, rampart.ErrNilPolicy
	}
	mp = newMethodPolicy(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	if q, ok := m.built[method]; ok {
		return q, nil // another call built it first
	}
	m.built[method] = mp
	return mp, nil
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
//     ([rampart.WithRetryAfter]), and by the hedges that follow it;
//   - the caller's own cancellation, and a DEADLINE_EXCEEDED caused by the
//     caller's deadline, are never retried and never counted as failures;
//   - attempts after the first carry [PreviousAttemptsKey];
//   - under a hedging policy, the first attempt to receive response
//     headers commits the call (gRFC A6): the other attempts are
//     cancelled, and hedges that fall due later send nothing (this needs
//     the stats handler of [Client.DialOptions]);
//   - when the policy gives up on an attempt's failure, the call returns
//     that attempt's status error as the server sent it; when a policy ends
//     the call itself (a rejection, its own timeout), it returns an
//     [*Error], UNAVAILABLE for a rejection, prefixed "rampart: ".
//
// Hedged attempts decode into new values of reply's type (reply must be a
// pointer), and the answer's is copied into reply once every attempt has
// returned.
//
// A fallback (a [fallback.Policy] as the policy, or in a pipeline of them)
// answers with a value of reply's type, which becomes the reply; a value of
// another type is an INTERNAL error, and a fallback that serves no value
// (under [rampart.Do] semantics) leaves reply as it is. With a fallback in
// the policy, each answer also keeps a copy of its reply, so that a cache
// such as fallback.LastGood holds one the caller cannot change: one more
// allocation and a copy per call. A fallback nested inside a policy of
// another kind is not seen, and its value is not used.
//
// A call costs one allocation of its own, its state, besides what the
// policy costs; none when the policy is a retry, a circuit breaker, a
// bulkhead, a rate limiter or a pipeline of them and the call's first
// attempt answers: the state is then reused by a later call.
func (c *Client) UnaryInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if c.unary == nil {
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	mp, err := c.unary.get(method)
	if err != nil {
		return newError(codes.Internal, err)
	}
	// The call's state travels in the context the policies pass to each
	// attempt, so that the attempt function is a plain function and not a
	// closure: one allocation per call rather than two, or none when the
	// state can be reused.
	var u *unaryCall
	if mp.reuse {
		u = unaryCalls.Get().(*unaryCall)
	} else {
		u = new(unaryCall)
	}
	u.Context, u.c, u.method, u.req, u.reply, u.cc, u.invoker, u.opts = ctx, c, method, req, reply, cc, invoker, opts
	u.sequential, u.reuse = mp.reuse, mp.reuse
	if mp.hedges {
		u.h = new(hedges)
	}
	if mp.fallback {
		return u.runWithFallback(mp.p)
	}
	err = rampart.Do(u, mp.p, runUnaryAttempt)
	o := u.answer.Load()
	if u.reuse {
		u.release()
	}
	if err != nil {
		return finishErr(ctx, err)
	}
	return answered(reply, o)
}

// answered gives the caller the answer o, that of the attempt that answered
// last (nil: the reply is in place, or a policy answered without an
// attempt): its status error, or its reply, copied into reply when the
// attempt decoded into one of its own.
func answered(reply any, o *outcome) error {
	if o == nil {
		return nil
	}
	if o.err != nil {
		return o.err
	}
	if o.dst != nil {
		copyReply(reply, o.dst)
	}
	return nil
}

// unaryCalls holds the states of finished calls for reuse (see
// [unaryCall.release]).
var unaryCalls = sync.Pool{New: func() any { return new(unaryCall) }}

// release clears u and puts it back in unaryCalls. It is called only when
// nothing else can still see u: the call's policy keeps no context once it
// has returned (see [keepsNoContext]), and every attempt of the call ran
// under u itself, so that gRPC was given the caller's context, not one
// derived from u, which it might still hold (see [unaryCall.attempt]).
func (u *unaryCall) release() {
	// Plain writes: nothing else sees u now, and the pool orders them
	// before the next call's.
	*u = unaryCall{}
	unaryCalls.Put(u)
}

// runWithFallback runs the call under a policy that holds a fallback, with
// [rampart.Get]: each attempt that answers returns a copy of its reply, so
// that a fallback that caches results (fallback.LastGood) keeps one the
// caller cannot change, and a fallback's value, of the reply's type,
// becomes the reply.
func (u *unaryCall) runWithFallback(p rampart.Policy) error {
	u.keep = true
	v, err := rampart.Get(u, p, runUnaryAttemptValue)
	if err != nil {
		return finishErr(u.Context, err)
	}
	o := u.answer.Load()
	if v != nil && (o == nil || o.ret != v) {
		// Not what an attempt returned: a fallback's value.
		if reflect.TypeOf(v) != reflect.TypeOf(u.reply) {
			return newError(codes.Internal, fmt.Errorf("rampartgrpc: %s: the fallback's value is a %T, the reply a %T", u.method, v, u.reply))
		}
		copyReply(u.reply, v)
		return nil
	}
	return answered(u.reply, o) // nil o: a fallback without a value
}

// runUnaryAttemptValue is [runUnaryAttempt] for [rampart.Get]: the value
// is the answer's reply, a copy of it when the attempt decoded into the
// caller's.
func runUnaryAttemptValue(ctx context.Context) (any, error) {
	if err := runUnaryAttempt(ctx); err != nil {
		return nil, err
	}
	u, _ := ctx.Value(unaryKey{}).(*unaryCall)
	if o := u.answer.Load(); o != nil {
		return o.ret, nil
	}
	return nil, nil
}

// unaryCall is one call through [Client.UnaryInterceptor]. It is the
// context the call runs under: the caller's, which also gives the call
// itself as the value of unaryKey.
type unaryCall struct {
	context.Context // the caller's
	c               *Client
	method          string
	req, reply      any
	cc              *grpc.ClientConn
	invoker         grpc.UnaryInvoker
	opts            []grpc.CallOption
	attempts        atomic.Int32
	answer          atomic.Pointer[outcome] // the latest attempt that answered
	md              [2]metadata.MD          // the first attempt's headers and trailers
	optBuf          [2]grpc.CallOption      // the first attempt's call options, when the caller gave none
	h               *hedges                 // when the policy holds a hedge: which attempt committed
	keep            bool                    // the policy holds a fallback: an answer keeps a copy of its reply as ret
	sequential      bool                    // the policy runs attempts one after another, on the caller's goroutine (see keepsNoContext)
	seq             int32                   // attempts so far, when sequential (attempts otherwise)
	reuse           bool                    // u goes back to unaryCalls when the call returns (see release)
}

type unaryKey struct{}

// Value implements [context.Context].
func (u *unaryCall) Value(key any) any {
	if _, ok := key.(unaryKey); ok {
		return u
	}
	return u.Context.Value(key)
}

// runUnaryAttempt runs an attempt of the call in ctx.
func runUnaryAttempt(ctx context.Context) error {
	u, ok := ctx.Value(unaryKey{}).(*unaryCall)
	if !ok {
		return rampart.Permanent(errLostCall)
	}
	return u.attempt(ctx)
}

var errLostCall = errors.New("rampartgrpc: a policy ran the attempt under a context not derived from the call's")

// outcome is an attempt that answered: its reply (nil: in the caller's),
// or err, the status of an answer whose code is not a failure (the
// policies see a success, the caller gets err).
type outcome struct {
	dst any
	err error
	ret any // with a fallback in the policy: the value the attempt returned
}

// repliedInPlace is the outcome of an attempt that decoded its reply into
// the caller's: shared, so that a call that succeeds allocates none.
var repliedInPlace = new(outcome)

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

var errHedgeReply = errors.New("rampartgrpc: cannot hedge a call whose reply is not a non-nil pointer")

func (u *unaryCall) attempt(actx context.Context) error {
	var n int32
	if u.sequential {
		// No other attempt runs beside this one: plain memory will do.
		u.seq++
		n = u.seq
	} else {
		n = u.attempts.Add(1)
	}
	dst := u.reply
	octx := actx
	// The first attempt uses the call's own header and trailer slots and
	// option array; later ones, which may run beside it as hedges, their
	// own.
	md := &u.md
	opts := u.optBuf[:0]
	if n > 1 || len(u.opts)+2 > len(u.optBuf) {
		md = new([2]metadata.MD)
		opts = make([]grpc.CallOption, 0, len(u.opts)+2)
	}
	if n > 1 {
		if rampart.AttemptFrom(actx).Hedge {
			var ok bool
			if dst, ok = newReply(u.reply); !ok {
				return rampart.Permanent(errHedgeReply)
			}
			if u.h != nil {
				if err := u.h.pushback.wait(actx, u.c.o.clock); err != nil {
					return err
				}
			}
		}
		octx = metadata.AppendToOutgoingContext(actx, PreviousAttemptsKey, strconv.Itoa(int(n-1)))
	}
	var ha *hedgeAttempt
	if u.h != nil {
		var err error
		if ha, octx, err = u.h.start(octx, n); err != nil {
			return err
		}
	}
	opts = append(append(opts, u.opts...), grpc.Header(&md[0]), grpc.Trailer(&md[1]))
	if ou, ok := octx.(*unaryCall); ok && ou == u {
		// gRPC gets the caller's own context: u, which only adds the
		// call's state to it, stays out of gRPC's hands.
		octx = u.Context
	} else if u.reuse {
		// gRPC may hold octx, derived from u, after the call: u is not
		// reused. (u.reuse is set only for sequential attempts.)
		u.reuse = false
	}
	err := u.invoker(octx, u.method, u.req, dst, u.cc, opts...)
	if ha != nil && ha.done(actx) {
		return errLostToCommit
	}
	if err == nil {
		switch {
		case u.keep && dst == u.reply:
			u.answer.Store(&outcome{ret: cloneReply(dst)})
		case u.keep:
			u.answer.Store(&outcome{dst: dst, ret: dst})
		case dst == u.reply:
			// Sequential attempts store no answer where there is none yet:
			// none means the same as repliedInPlace.
			if !u.sequential || u.answer.Load() != nil {
				u.answer.Store(repliedInPlace)
			}
		default:
			u.answer.Store(&outcome{dst: dst})
		}
		return nil
	}
	ans, jerr := judge(u.c, u.Context, actx, err, md[0] != nil, md[1])
	if jerr != nil {
		if u.h != nil {
			u.h.pushback.failed(jerr, u.c.o.clock)
		}
		return jerr
	}
	if actx.Err() != nil {
		// A policy ended the attempt (a hedge that lost, a per-attempt
		// timeout): its status is no answer to the call.
		return &attemptError{err: ans}
	}
	u.answer.Store(&outcome{err: ans})
	return nil
}

// newReply returns a new value of reply's type, a pointer.
func newReply(reply any) (any, bool) {
	t := reflect.TypeOf(reply)
	if t == nil || t.Kind() != reflect.Pointer || reflect.ValueOf(reply).IsNil() {
		return nil, false
	}
	return reflect.New(t.Elem()).Interface(), true
}

// cloneReply returns a copy of reply, a pointer.
func cloneReply(reply any) any {
	if m, ok := reply.(proto.Message); ok {
		return proto.Clone(m)
	}
	c, ok := newReply(reply)
	if !ok {
		return nil
	}
	reflect.ValueOf(c).Elem().Set(reflect.ValueOf(reply).Elem())
	return c
}

// copyReply copies a hedge's reply into the caller's.
func copyReply(reply, from any) {
	rm, ok1 := reply.(proto.Message)
	fm, ok2 := from.(proto.Message)
	if ok1 && ok2 {
		proto.Reset(rm)
		proto.Merge(rm, fm)
		return
	}
	reflect.ValueOf(reply).Elem().Set(reflect.ValueOf(from).Elem())
}

// judge turns an attempt's status error into what the policies see.
// committed is whether the server sent response headers.
// answer is the error to give the caller for an attempt the policies see
// as a success (nil, nil: a failure that is not one); failure is what the
// policies see otherwise.
func judge(c *Client, ctx, actx context.Context, err error, committed bool, trl metadata.MD) (answer, failure error) {
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
		return err, nil
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
