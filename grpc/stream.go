package rampartgrpc

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/rampart-go/rampart"
)

// StreamInterceptor is a [grpc.StreamClientInterceptor] that runs each
// stream under its method's policy ([WithStreamPolicy],
// [WithStreamMethodPolicies]; without one, streams pass through).
//
// To the policy, a stream is one call whose attempts are streams: an
// attempt starts when a stream is opened, and ends with the stream's final
// status, as the caller's RecvMsg receives it (io.EOF is a success), or
// when the attempt's context ends. So a circuit breaker records each
// stream's outcome when it ends, a limiter or a bulkhead holds its permit
// for the stream's whole life, a throttle or a rate limiter admits
// streams, and a per-attempt timeout bounds a stream's life. A policy that
// rejects the stream sends nothing: the interceptor returns an [*Error],
// UNAVAILABLE, prefixed "rampart: ". The policy runs in a goroutine of the
// stream's, which ends once the stream has ended (the caller received its
// final status from RecvMsg, or cancelled its context: the rule grpc-go
// sets for its own streams).
//
// Retries and hedges follow gRFC A6's commit rule:
//
//   - a stream commits to the first attempt that receives response
//     headers (which come before its first message), to an attempt that
//     ends without them but with an answer (OK, or a code that is not a
//     failure), or to the oldest open attempt when the sent messages
//     outgrow the replay buffer ([WithStreamBuffer], 256 KiB by default);
//     the other attempts are then cancelled, and no new one starts;
//   - until then, each sent message is encoded once ([grpc.PreparedMsg]),
//     kept, and sent to every open attempt; a new attempt (a retry, or a
//     hedge) replays the kept messages byte for byte, followed by
//     CloseSend if the caller had closed, with [PreviousAttemptsKey] set;
//   - an attempt's failure before the commit goes to the policy, by the
//     rules of [Client.UnaryInterceptor]: retryable codes only, pushback
//     honoured (by retries and by the hedges that follow it), the caller's
//     cancellation and deadline never retried nor counted; after the
//     commit, a failure is final;
//   - RecvMsg and Header wait for the commit; SendMsg keeps the message
//     even while no attempt is open (the policy is waiting to retry).
//
// A hedge.Policy in the stream's policy hedges it: hedgingDelay,
// maxAttempts and nonFatalStatusCodes apply as to a unary call, and the
// winner is the attempt the stream commits to.
//
// Only messages that are proto messages are kept; sending any other commits
// the stream.
func (c *Client) StreamInterceptor(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if c.streams == nil {
		return streamer(ctx, desc, cc, method, opts...)
	}
	mp, err := c.streams.get(method)
	if err != nil {
		return nil, newError(codes.Internal, err)
	}
	s := &policyStream{c: c, ctx: ctx, desc: desc, cc: cc, method: method, streamer: streamer, opts: opts,
		changed: make(chan struct{}), opened: make(chan struct{}), over: make(chan struct{})}
	go s.run(mp.p)
	select {
	case <-s.opened:
		return s, nil
	case <-s.over:
		select {
		case <-s.opened:
			return s, nil // opened, and already over: RecvMsg reports it
		default:
		}
		s.rethrow()
		switch {
		case s.final != nil:
			return nil, s.final
		case s.last != nil:
			return nil, s.last // an answer the policies count as a success
		}
		return nil, newError(codes.Internal, errNoStream)
	}
}

var errNoStream = errors.New("rampartgrpc: the stream policy ended the call without opening a stream")

// holds reports whether p is a T, or a pipeline holding one (at any
// depth of nested pipelines; a T inside a policy of another kind is not
// seen).
func holds[T rampart.Policy](p rampart.Policy) bool {
	switch p := p.(type) {
	case T:
		return true
	case *rampart.Chain:
		for _, q := range p.Policies() {
			if holds[T](q) {
				return true
			}
		}
	}
	return false
}

// policyStream is a client stream run under a policy, whose attempts may
// be retried or hedged until it commits.
type policyStream struct {
	c        *Client
	ctx      context.Context // the caller's
	desc     *grpc.StreamDesc
	cc       *grpc.ClientConn
	method   string
	streamer grpc.Streamer
	opts     []grpc.CallOption

	committedTo atomic.Pointer[streamAttempt] // set under mu; never changes once set
	h           hedges                        // cancels the other attempts on commit; holds back hedges during a pushback

	mu       sync.Mutex // held by SendMsg and CloseSend, and by a replay
	attempts int
	live     []*streamAttempt // open attempts, before the commit
	latest   *streamAttempt   // the latest opened
	changed  chan struct{}    // closed (and replaced) when live, the commit or done change
	buf      []*grpc.PreparedMsg
	bufBytes int
	closed   bool              // the caller called CloseSend
	enc      grpc.ClientStream // encodes kept messages: the first attempt
	done     bool

	opened   chan struct{} // closed when the first attempt opens
	over     chan struct{} // closed when the policy has returned; then:
	final    error         // what the caller gets, nil to get the last attempt's own error
	last     error         // the error of the last attempt that answered
	panicked bool
	panicVal any
}

// streamAttempt is one attempt of a stream.
type streamAttempt struct {
	cs    grpc.ClientStream
	ha    *hedgeAttempt
	end   chan struct{} // closed by finish
	ended bool          // under policyStream.mu
	err   error         // set by finish
}

// run runs the stream under p, on the stream's goroutine.
func (s *policyStream) run(p rampart.Policy) {
	var err error
	defer func() {
		s.mu.Lock()
		if v := recover(); v != nil {
			// Raised again by the caller's next RecvMsg, or by the
			// interceptor.
			s.panicked, s.panicVal = true, v
		}
		if err != nil {
			s.final = finishErr(s.ctx, err)
		}
		s.done = true
		s.signalLocked()
		s.mu.Unlock()
		close(s.over)
	}()
	err = rampart.Do(s.ctx, p, s.attempt)
}

func (s *policyStream) rethrow() {
	if s.panicked {
		panic(s.panicVal)
	}
}

// signalLocked wakes those waiting for the attempts to change.
func (s *policyStream) signalLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// attempt is the function the policy runs: it opens an attempt, replays
// what was sent, waits for its headers to commit to it, and returns its
// outcome when it ends.
func (s *policyStream) attempt(actx context.Context) error {
	s.mu.Lock()
	s.attempts++
	n := s.attempts
	s.mu.Unlock()
	if rampart.AttemptFrom(actx).Hedge {
		if err := s.h.pushback.wait(actx, s.c.o.clock); err != nil {
			return err
		}
	}
	ha, octx, err := s.h.start(actx, int32(n))
	if err != nil {
		return err // committed to another attempt: nothing sent
	}
	if n > 1 {
		octx = metadata.AppendToOutgoingContext(octx, PreviousAttemptsKey, strconv.Itoa(n-1))
	}
	cs, err := s.streamer(octx, s.desc, s.cc, s.method, s.opts...)
	if err != nil {
		if ha.done(actx) {
			return errLostToCommit
		}
		return s.judged(actx, nil, err, false, nil)
	}
	a := &streamAttempt{cs: cs, ha: ha, end: make(chan struct{})}
	s.open(a)
	if md, _ := cs.Header(); s.committedTo.Load() == a || md != nil && s.commit(a) {
		// Committed: the attempt lasts until the caller receives its
		// final status, or its context ends.
		select {
		case <-a.end:
		case <-actx.Done():
			s.finish(a, finishErr(actx, actx.Err()))
		}
		ha.done(actx)
		if a.err == io.EOF {
			return nil
		}
		return s.judged(actx, nil, a.err, true, cs.Trailer())
	}
	// Ended without headers, or cancelled as another attempt committed:
	// the status is at hand (nothing is left to decode).
	err = cs.RecvMsg(new(emptypb.Empty))
	s.finish(a, err)
	ferr := s.judged(actx, a, err, false, cs.Trailer()) // an answer commits to a
	if ha.done(actx) {
		return errLostToCommit
	}
	return ferr
}

// judged turns an attempt's end into the policies' view. a, when not nil,
// is an attempt that ended before any commit: if it answered, the stream
// commits to it, so that the caller's RecvMsg receives its answer.
func (s *policyStream) judged(actx context.Context, a *streamAttempt, err error, committed bool, trl metadata.MD) error {
	var ans, ferr error
	if err != io.EOF {
		ans, ferr = judge(s.c, s.ctx, actx, err, committed, trl)
	}
	if ferr != nil {
		s.h.pushback.failed(ferr, s.c.o.clock)
		return ferr
	}
	if !committed && actx.Err() != nil {
		// A policy ended the attempt (a hedge that lost, a per-attempt
		// timeout): its status is no answer to the call.
		return &attemptError{err: err}
	}
	if a != nil && !s.commit(a) {
		return errLostToCommit
	}
	if a == nil && !committed {
		s.mu.Lock()
		s.last = ans // an answer to opening the stream
		s.mu.Unlock()
	}
	return nil
}

// open makes a an open attempt: it replays the kept messages to it.
func (s *policyStream) open(a *streamAttempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.buf {
		if a.cs.SendMsg(m) != nil {
			break // the attempt failed: its status tells why
		}
	}
	if s.closed {
		a.cs.CloseSend()
	}
	if s.enc == nil {
		s.enc = a.cs
		close(s.opened)
	}
	s.live = append(s.live, a)
	s.latest = a
	s.signalLocked()
}

// commit commits the stream to a, if no other attempt was, and reports
// whether it is committed to a.
func (s *policyStream) commit(a *streamAttempt) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked(a)
}

func (s *policyStream) commitLocked(a *streamAttempt) bool {
	if c := s.committedTo.Load(); c != nil {
		return c == a
	}
	if !a.ha.commit() {
		return false
	}
	s.buf, s.bufBytes, s.live = nil, 0, nil
	s.committedTo.Store(a)
	s.signalLocked()
	return true
}

// finish records the end of attempt a, once.
func (s *policyStream) finish(a *streamAttempt, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.ended {
		return
	}
	a.ended, a.err = true, err
	close(a.end)
	for i, l := range s.live {
		if l == a {
			s.live = append(s.live[:i:i], s.live[i+1:]...)
			break
		}
	}
	s.signalLocked()
}

// committed returns the attempt the stream committed to, waiting for the
// commit; ok is false when the policy returned without one.
func (s *policyStream) committed() (a *streamAttempt, ok bool) {
	if a := s.committedTo.Load(); a != nil {
		return a, true
	}
	for {
		// Read together under the lock, so that no commit falls between
		// reading the commit and taking the channel that signals it.
		s.mu.Lock()
		a, done, ch := s.committedTo.Load(), s.done, s.changed
		s.mu.Unlock()
		switch {
		case a != nil:
			return a, true
		case done:
			return nil, false
		}
		<-ch
	}
}

// result is what the caller gets once the policy has returned without a
// commit.
func (s *policyStream) result() error {
	<-s.over
	s.rethrow()
	if s.final != nil {
		return s.final
	}
	if s.last != nil {
		return s.last
	}
	return io.EOF
}

// SendMsg sends m, keeping it for new attempts while the stream is not
// committed.
func (s *policyStream) SendMsg(m any) error {
	if a := s.committedTo.Load(); a != nil {
		return a.cs.SendMsg(m)
	}
	s.mu.Lock()
	for {
		if a := s.committedTo.Load(); a != nil {
			s.mu.Unlock()
			return a.cs.SendMsg(m)
		}
		if s.done {
			s.mu.Unlock()
			return io.EOF // RecvMsg reports the outcome
		}
		pm, isProto := m.(proto.Message)
		size := 0
		if isProto {
			size = proto.Size(pm)
		}
		if isProto && s.bufBytes+size <= s.c.o.streamBuffer {
			err := s.keepLocked(m, size)
			s.mu.Unlock()
			return err
		}
		// Too large to keep: commit to the oldest open attempt.
		for len(s.live) > 0 {
			if a := s.live[0]; s.commitLocked(a) {
				s.mu.Unlock()
				return a.cs.SendMsg(m)
			}
		}
		if s.committedTo.Load() == nil {
			// No attempt open: wait for the next.
			ch := s.changed
			s.mu.Unlock()
			<-ch
			s.mu.Lock()
		}
	}
}

// keepLocked keeps m, of encoded size size, and sends it to every open
// attempt.
func (s *policyStream) keepLocked(m any, size int) error {
	prep := new(grpc.PreparedMsg)
	if err := prep.Encode(s.enc, m); err != nil {
		return err
	}
	s.buf = append(s.buf, prep)
	s.bufBytes += size
	for _, a := range s.live {
		// io.EOF: the attempt is over, and its status will tell why.
		if err := a.cs.SendMsg(prep); err != nil && err != io.EOF && len(s.live) == 1 {
			return err
		}
	}
	return nil
}

// CloseSend closes the sending side, on every later attempt too.
func (s *policyStream) CloseSend() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if a := s.committedTo.Load(); a != nil {
		return a.cs.CloseSend()
	}
	for _, a := range s.live {
		a.cs.CloseSend()
	}
	return nil
}

// RecvMsg receives a message from the attempt the stream committed to,
// waiting for the commit.
func (s *policyStream) RecvMsg(m any) error {
	a, ok := s.committed()
	if !ok {
		return s.result()
	}
	err := a.cs.RecvMsg(m)
	if err == nil {
		return nil
	}
	s.finish(a, err)
	<-s.over // the policy has recorded the outcome
	s.rethrow()
	return err
}

// Header returns the response headers of the attempt the stream committed
// to, waiting for the commit.
func (s *policyStream) Header() (metadata.MD, error) {
	a, ok := s.committed()
	if !ok {
		return nil, s.result()
	}
	return a.cs.Header()
}

// Trailer returns the trailers of the attempt the stream committed to, or
// of the latest attempt.
func (s *policyStream) Trailer() metadata.MD {
	if a := s.current(); a != nil {
		return a.cs.Trailer()
	}
	return nil
}

// Context returns the context of the attempt the stream committed to, or
// of the latest attempt.
func (s *policyStream) Context() context.Context {
	if a := s.current(); a != nil {
		return a.cs.Context()
	}
	return s.ctx
}

func (s *policyStream) current() *streamAttempt {
	if a := s.committedTo.Load(); a != nil {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest
}
