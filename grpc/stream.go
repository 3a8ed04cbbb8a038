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

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/hedge"
)

// StreamInterceptor is a [grpc.StreamClientInterceptor] that runs each
// stream under its method's policy ([WithStreamPolicy],
// [WithStreamMethodPolicies]; without one, streams pass through).
//
// To the policy, a stream is one call whose attempts are streams: an
// attempt starts when the stream is opened (or reopened for a retry) and
// ends with the stream's final status, as the caller's RecvMsg receives it
// (io.EOF is a success), or when the attempt's context ends. So a circuit
// breaker records each stream's outcome when it ends, a limiter or a
// bulkhead holds its permit for the stream's whole life, a throttle or a
// rate limiter admits streams, and a per-attempt timeout bounds a stream's
// life. A policy that rejects the stream sends nothing: the interceptor
// returns an [*Error], UNAVAILABLE, prefixed "rampart: ". The policy runs
// in a goroutine of the stream's, which ends once the stream has ended (the
// caller received its final status from RecvMsg, or cancelled its context:
// the rule grpc-go sets for its own streams).
//
// A retry in the policy retries a stream until it is committed, as gRFC A6
// describes:
//
//   - a stream is committed when it receives its first response message,
//     when the server sent response headers before failing, or when its
//     sent messages outgrow the replay buffer ([WithStreamBuffer], 256 KiB
//     by default); after that its failure is final;
//   - before that, each sent message is encoded once ([grpc.PreparedMsg])
//     and kept, and a new attempt replays the kept messages byte for byte
//     (followed by CloseSend if the caller had closed), with
//     [PreviousAttemptsKey] set;
//   - a failure is judged by the rules of [Client.UnaryInterceptor]:
//     retryable codes only, pushback honoured, the caller's cancellation
//     and deadline never retried nor counted;
//   - while the stream is not committed, a SendMsg that finds the attempt
//     over, or no attempt open (the policy is waiting to retry), keeps the
//     message for the next attempt and returns nil; RecvMsg then waits for
//     the policy's decision and reports the outcome.
//
// Only messages that are proto messages are kept; sending any other commits
// the stream. Streams are not hedged: a stream policy holding a
// hedge.Policy is refused (by [NewClient], or with status INTERNAL for a
// method's policy). A6's stream hedging would pick as winner the first
// attempt to receive headers or a message, while package hedge picks the
// first attempt to return, which for a stream is its end.
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

var (
	errNoStream     = errors.New("rampartgrpc: the stream policy ended the call without opening a stream")
	errStreamHedge  = errors.New("rampartgrpc: streams are not hedged: a stream policy holds a hedge.Policy")
	errStreamCommit = errors.New("rampartgrpc: the stream is committed: no new attempt")
)

// holdsHedge reports whether p is, or is a pipeline holding, a hedging
// policy.
func holdsHedge(p rampart.Policy) bool {
	switch p := p.(type) {
	case *hedge.Policy:
		return true
	case *rampart.Chain:
		for _, q := range p.Policies() {
			if holdsHedge(q) {
				return true
			}
		}
	}
	return false
}

// policyStream is a client stream run under a policy, whose attempts it
// may reopen until it commits.
type policyStream struct {
	c        *Client
	ctx      context.Context // the caller's
	desc     *grpc.StreamDesc
	cc       *grpc.ClientConn
	method   string
	streamer grpc.Streamer
	opts     []grpc.CallOption

	committedTo atomic.Pointer[streamAttempt] // set under mu; the attempt the stream is committed to

	mu       sync.Mutex // held by SendMsg and CloseSend, and by a replay
	attempts int
	cur      *streamAttempt // the latest attempt opened, nil before the first
	changed  chan struct{}  // closed (and replaced) when cur or done changes
	buf      []*grpc.PreparedMsg
	bufBytes int
	closed   bool // the caller called CloseSend
	enc      grpc.ClientStream
	done     bool

	opened   chan struct{} // closed when the first attempt opens
	over     chan struct{} // closed when the policy has returned; then:
	final    error         // what the caller gets, nil to get the last attempt's own error
	last     error         // the last attempt's error, as RecvMsg received it
	panicked bool
	panicVal any
}

// streamAttempt is one attempt of a stream.
type streamAttempt struct {
	cs    grpc.ClientStream
	end   chan struct{} // closed by finish
	ended bool          // under policyStream.mu
	err   error         // set by finish
	hdr   bool
	trl   metadata.MD
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

// signalLocked wakes those waiting for the current attempt to change.
func (s *policyStream) signalLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// attempt is the function the policy runs: it opens an attempt, replays
// what was sent, and returns the attempt's outcome when it ends.
func (s *policyStream) attempt(actx context.Context) error {
	if rampart.AttemptFrom(actx).Hedge {
		return rampart.Permanent(errStreamHedge)
	}
	s.mu.Lock()
	if s.committedTo.Load() != nil {
		s.mu.Unlock()
		return rampart.Permanent(errStreamCommit)
	}
	s.attempts++
	n := s.attempts
	s.mu.Unlock()
	octx := actx
	if n > 1 {
		octx = metadata.AppendToOutgoingContext(actx, PreviousAttemptsKey, strconv.Itoa(n-1))
	}
	cs, err := s.streamer(octx, s.desc, s.cc, s.method, s.opts...)
	if err != nil {
		ans, ferr := judge(s.c, s.ctx, actx, err, false, nil)
		if ferr == nil {
			s.setLast(ans)
		}
		return ferr
	}
	a := &streamAttempt{cs: cs, end: make(chan struct{})}
	s.mu.Lock()
	for _, m := range s.buf {
		if cs.SendMsg(m) != nil {
			break // the attempt failed: RecvMsg sees why
		}
	}
	if s.closed {
		cs.CloseSend()
	}
	if s.enc == nil {
		s.enc = cs
	}
	s.cur = a
	s.signalLocked()
	select {
	case <-s.opened:
	default:
		close(s.opened)
	}
	s.mu.Unlock()
	select {
	case <-a.end:
	case <-actx.Done():
		// The policy or the caller ended the attempt, which cancels the
		// stream: the caller's RecvMsg sees it too.
		hdr, _ := cs.Header()
		s.finish(a, errFromContext(actx), hdr != nil, cs.Trailer())
	}
	committed := s.committedTo.Load() != nil
	s.setLast(a.err)
	if a.err == io.EOF {
		return nil
	}
	_, ferr := judge(s.c, s.ctx, actx, a.err, committed || a.hdr, a.trl)
	return ferr
}

func errFromContext(ctx context.Context) error {
	return finishErr(ctx, ctx.Err())
}

func (s *policyStream) setLast(err error) {
	s.mu.Lock()
	s.last = err
	s.mu.Unlock()
}

// finish records the end of attempt a, once.
func (s *policyStream) finish(a *streamAttempt, err error, hdr bool, trl metadata.MD) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.ended {
		return
	}
	a.ended, a.err, a.hdr, a.trl = true, err, hdr, trl
	close(a.end)
	s.signalLocked()
}

// live returns the attempt to use, waiting while the policy decides; ok is
// false once the policy has returned.
func (s *policyStream) live() (a *streamAttempt, ok bool) {
	for {
		s.mu.Lock()
		if a := s.cur; a != nil && !a.ended {
			s.mu.Unlock()
			return a, true
		}
		if s.done {
			s.mu.Unlock()
			return nil, false
		}
		ch := s.changed
		s.mu.Unlock()
		<-ch
	}
}

// result is what RecvMsg returns once the policy has returned.
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

// commitLocked commits the stream to a.
func (s *policyStream) commitLocked(a *streamAttempt) {
	if s.committedTo.Load() == nil {
		s.buf, s.bufBytes = nil, 0
		s.committedTo.Store(a)
	}
}

// SendMsg sends m, keeping it for a replay while the stream is not
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
		a := s.cur
		live := a != nil && !a.ended
		pm, isProto := m.(proto.Message)
		size := 0
		if isProto {
			size = proto.Size(pm)
		}
		if isProto && s.bufBytes+size <= s.c.o.streamBuffer {
			prep := new(grpc.PreparedMsg)
			if err := prep.Encode(s.enc, m); err != nil {
				s.mu.Unlock()
				return err
			}
			s.buf = append(s.buf, prep)
			s.bufBytes += size
			var err error
			if live {
				err = a.cs.SendMsg(prep)
			}
			s.mu.Unlock()
			if err == io.EOF {
				err = nil // kept: RecvMsg reports the attempt's end, and the policy may replay it
			}
			return err
		}
		if live {
			s.commitLocked(a)
			s.mu.Unlock()
			return a.cs.SendMsg(m)
		}
		// Too large to keep, and no attempt open: wait for the next.
		ch := s.changed
		s.mu.Unlock()
		<-ch
		s.mu.Lock()
	}
}

// CloseSend closes the sending side, on every later attempt too.
func (s *policyStream) CloseSend() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if a := s.committedTo.Load(); a != nil {
		return a.cs.CloseSend()
	}
	if a := s.cur; a != nil && !a.ended {
		return a.cs.CloseSend()
	}
	return nil
}

// RecvMsg receives a message; before the stream commits, a failure goes to
// the policy, which may open a new attempt that replays what was sent.
func (s *policyStream) RecvMsg(m any) error {
	for {
		a := s.committedTo.Load()
		if a == nil {
			var ok bool
			if a, ok = s.live(); !ok {
				return s.result()
			}
		}
		err := a.cs.RecvMsg(m)
		if err == nil {
			if s.committedTo.Load() == nil {
				s.mu.Lock()
				s.commitLocked(a)
				s.mu.Unlock()
			}
			return nil
		}
		hdr, _ := a.cs.Header() // at once: the attempt is over
		s.finish(a, err, hdr != nil, a.cs.Trailer())
		if s.committedTo.Load() == a {
			<-s.over // the policy has recorded the outcome
			s.rethrow()
			return err
		}
		// Not committed: the policy decides; live waits for it.
	}
}

// Header returns the current attempt's response headers.
func (s *policyStream) Header() (metadata.MD, error) {
	a := s.committedTo.Load()
	if a == nil {
		var ok bool
		if a, ok = s.live(); !ok {
			return nil, s.result()
		}
	}
	return a.cs.Header()
}

// Trailer returns the latest attempt's trailers.
func (s *policyStream) Trailer() metadata.MD {
	if a := s.latest(); a != nil {
		return a.cs.Trailer()
	}
	return nil
}

// Context returns the latest attempt's context.
func (s *policyStream) Context() context.Context {
	if a := s.latest(); a != nil {
		return a.cs.Context()
	}
	return s.ctx
}

func (s *policyStream) latest() *streamAttempt {
	if a := s.committedTo.Load(); a != nil {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}
