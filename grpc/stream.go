package rampartgrpc

import (
	"context"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

// StreamInterceptor is a [grpc.StreamClientInterceptor] that retries
// streams under the policy of [WithStreamRetry] (without it, streams pass
// through) until they are committed, as gRFC A6 describes:
//
//   - a stream is committed when it receives its first response message,
//     when the server sent response headers before failing, or when its
//     sent messages outgrow the replay buffer ([WithStreamBuffer], 256 KiB
//     by default); after that it is never retried;
//   - before that, each sent message is encoded once ([grpc.PreparedMsg])
//     and kept, and a retry replays the kept messages byte for byte on a
//     new stream (followed by CloseSend if the caller had closed), with
//     [PreviousAttemptsKey] set;
//   - a failure is retried by the rules of [Client.UnaryInterceptor]:
//     retryable codes only, pushback honoured, the caller's cancellation
//     and deadline never retried; the retry policy's backoff and budget
//     apply as to any call ([retry.Policy.Begin]);
//   - while the stream is not committed, a SendMsg that finds the attempt
//     over returns nil (the message is kept for the replay); RecvMsg then
//     reports the outcome.
//
// Only messages that are proto messages are kept; sending any other commits
// the stream. Streams are not hedged: a hedge would need the same replay
// and a winner chosen on the first message, which the policies of package
// hedge, running one function per attempt, cannot express.
func (c *Client) StreamInterceptor(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if c.o.streamRetry == nil {
		return streamer(ctx, desc, cc, method, opts...)
	}
	deadline, _ := ctx.Deadline()
	s := &retryStream{c: c, ctx: ctx, desc: desc, cc: cc, method: method, streamer: streamer, opts: opts,
		call: c.o.streamRetry.Begin(time.Now(), deadline)}
	for {
		cs, err := s.open()
		if err == nil {
			s.cur = cs
			return s, nil
		}
		if err = s.retry(err, false, nil); err != nil {
			return nil, err
		}
	}
}

// retryStream is a client stream that may be retried until it commits.
type retryStream struct {
	c        *Client
	ctx      context.Context // the caller's
	desc     *grpc.StreamDesc
	cc       *grpc.ClientConn
	method   string
	streamer grpc.Streamer
	opts     []grpc.CallOption
	call     retry.Call // used by the goroutine in RecvMsg only
	attempts int

	committed atomic.Bool // set under mu; cur no longer changes once set
	mu        sync.Mutex  // held by SendMsg and CloseSend, and by a replay
	cur       grpc.ClientStream
	buf       []*grpc.PreparedMsg
	bufBytes  int
	closed    bool
}

// open starts an attempt.
func (s *retryStream) open() (grpc.ClientStream, error) {
	s.attempts++
	ctx := s.ctx
	if s.attempts > 1 {
		ctx = metadata.AppendToOutgoingContext(ctx, PreviousAttemptsKey, strconv.Itoa(s.attempts-1))
	}
	return s.streamer(ctx, s.desc, s.cc, s.method, s.opts...)
}

// retry decides, after an attempt failed with err, whether to retry; it
// waits the delay and returns nil if so, or the error for the caller.
func (s *retryStream) retry(err error, committed bool, trl metadata.MD) error {
	_, jerr := judge(s.c, s.ctx, s.ctx, err, committed, trl)
	if jerr == nil {
		return err // an answer
	}
	d := s.call.Failed(s.ctx, jerr, time.Now())
	if !d.Retry {
		return finishErr(s.ctx, d.Err)
	}
	if serr := rampart.Sleep(s.ctx, nil, d.Delay); serr != nil {
		return finishErr(s.ctx, s.call.Interrupted(serr))
	}
	return nil
}

func (s *retryStream) commitLocked() {
	if !s.committed.Load() {
		s.buf, s.bufBytes = nil, 0
		s.committed.Store(true)
	}
}

func (s *retryStream) current() grpc.ClientStream {
	if s.committed.Load() {
		return s.cur
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// SendMsg sends m, keeping it for a replay while the stream is not
// committed.
func (s *retryStream) SendMsg(m any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.committed.Load() {
		return s.cur.SendMsg(m)
	}
	pm, ok := m.(proto.Message)
	size := 0
	if ok {
		size = proto.Size(pm)
	}
	if !ok || s.bufBytes+size > s.c.o.streamBuffer {
		s.commitLocked()
		return s.cur.SendMsg(m)
	}
	prep := new(grpc.PreparedMsg)
	if err := prep.Encode(s.cur, m); err != nil {
		return err
	}
	s.buf = append(s.buf, prep)
	s.bufBytes += size
	if err := s.cur.SendMsg(prep); err != io.EOF {
		return err
	}
	return nil // kept: RecvMsg reports the attempt's end, and may replay it
}

// CloseSend closes the sending side, on every later attempt too.
func (s *retryStream) CloseSend() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.cur.CloseSend()
}

// RecvMsg receives a message; before the stream commits, a failure may
// start a new attempt that replays what was sent.
func (s *retryStream) RecvMsg(m any) error {
	if s.committed.Load() {
		return s.cur.RecvMsg(m)
	}
	for {
		cur := s.current()
		err := cur.RecvMsg(m)
		if err == nil || err == io.EOF {
			s.mu.Lock()
			s.commitLocked()
			s.mu.Unlock()
			s.call.Succeeded()
			return err
		}
		hdr, _ := cur.Header() // at once: the attempt is over
		if s.committed.Load() {
			return err
		}
		if rerr := s.retry(err, hdr != nil, cur.Trailer()); rerr != nil {
			s.mu.Lock()
			s.commitLocked()
			s.mu.Unlock()
			return rerr
		}
		if rerr := s.replay(); rerr != nil {
			return rerr
		}
	}
}

// replay opens attempts until one takes the kept messages.
func (s *retryStream) replay() error {
	for {
		s.mu.Lock()
		cs, err := s.open()
		if err == nil {
			s.cur = cs
			for _, p := range s.buf {
				if cs.SendMsg(p) != nil {
					break // the attempt failed: RecvMsg sees why
				}
			}
			if s.closed {
				cs.CloseSend()
			}
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		if err = s.retry(err, false, nil); err != nil {
			s.mu.Lock()
			s.commitLocked()
			s.mu.Unlock()
			return err
		}
	}
}

// Header returns the current attempt's response headers.
func (s *retryStream) Header() (metadata.MD, error) { return s.current().Header() }

// Trailer returns the current attempt's trailers.
func (s *retryStream) Trailer() metadata.MD { return s.current().Trailer() }

// Context returns the current attempt's context.
func (s *retryStream) Context() context.Context { return s.current().Context() }
