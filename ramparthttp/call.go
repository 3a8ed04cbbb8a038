package ramparthttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/rampart-go/rampart"
)

// ErrNotReplayable is returned, marked [rampart.Permanent], when a policy
// asks for a second attempt of a request that cannot be sent again: its
// method is not idempotent, or its body cannot be replayed.
var ErrNotReplayable = errors.New("ramparthttp: request cannot be replayed")

// call is one RoundTrip: the request, how to replay its body, and the
// responses obtained so far.
type call struct {
	t          *Transport
	req        *http.Request
	body       io.ReadCloser // the first attempt's body
	getBody    func() (io.ReadCloser, error)
	replayable bool
	attempts   atomic.Int32
	bodyTaken  atomic.Bool // body handed to an attempt, which closes it

	mu   sync.Mutex
	held []held // responses obtained and not yet closed
	one  [1]held
}

// held is a response the call obtained, with what releases its request's
// context.
type held struct {
	resp   *http.Response
	cancel context.CancelFunc // nil when the request ran on the caller's context
	failed bool
}

func newCall(t *Transport, req *http.Request) *call {
	c := &call{t: t, req: req, body: req.Body, getBody: req.GetBody}
	c.held = c.one[:0]
	return c
}

// prepare decides whether the request may be replayed, buffering a body
// without GetBody if the transport was told it may.
func (c *call) prepare() error {
	req := c.req
	c.replayable = idempotent(req)
	if req.Body == nil || req.Body == http.NoBody {
		return nil // nothing to replay: every attempt sends no body
	}
	if c.getBody != nil || !c.replayable || c.t.o.bufferBody <= 0 {
		if c.getBody == nil {
			c.replayable = false
		}
		return nil
	}
	// Buffer at most bufferBody bytes; a longer body goes out once, as a
	// stream of what was read followed by the rest.
	limit := c.t.o.bufferBody
	if req.ContentLength > limit {
		c.replayable = false
		return nil
	}
	buf, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		return err
	}
	if int64(len(buf)) > limit {
		c.body = readCloser{io.MultiReader(bytes.NewReader(buf), req.Body), req.Body}
		c.replayable = false
		return nil
	}
	req.Body.Close()
	c.body = io.NopCloser(bytes.NewReader(buf))
	c.getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// attempt sends the request once. ctx is the policy's context for this
// attempt: it may carry a per-attempt deadline.
func (c *call) attempt(ctx context.Context) (*http.Response, error) {
	n := c.attempts.Add(1)
	body := c.body
	if n > 1 {
		if !c.replayable {
			return nil, rampart.Permanent(ErrNotReplayable)
		}
		c.drainFailed()
		if c.req.Body != nil && c.req.Body != http.NoBody {
			b, err := c.getBody()
			if err != nil {
				return nil, rampart.Permanent(err)
			}
			body = b
		}
	} else {
		c.bodyTaken.Store(true)
	}
	req := c.req
	var cancel context.CancelFunc
	var stop func() bool
	if ctx != req.Context() {
		// The policy gave the attempt a context of its own, which it will
		// cancel when the attempt returns (a per-attempt timeout does).
		// The request runs on the caller's context instead, cancelled by
		// the policy's only until the response's headers are in, so the
		// caller can still read the body of the response it is given.
		rctx, cancelCause := context.WithCancelCause(req.Context())
		cancel = func() { cancelCause(nil) }
		stop = context.AfterFunc(ctx, func() { cancelCause(context.Cause(ctx)) })
		req = req.WithContext(rctx)
		req.Body = body
	} else if body != req.Body {
		req = req.WithContext(ctx)
		req.Body = body
	}
	resp, err := c.t.base.RoundTrip(req)
	if stop != nil && !stop() {
		// The policy's context ended before the response arrived.
		if resp != nil {
			drain(resp, 0)
			resp = nil
		}
		cancel()
		if cerr := ctx.Err(); cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, c.judgeErr(err)
	}
	if resp == nil {
		if cancel != nil {
			cancel()
		}
		return nil, errors.New("ramparthttp: base transport returned neither a response nor an error")
	}
	c.mu.Lock()
	c.held = append(c.held, held{resp: resp, cancel: cancel, failed: true})
	i := len(c.held) - 1
	c.mu.Unlock()
	failed := c.failed(resp, nil)
	if !failed {
		c.mu.Lock()
		if i < len(c.held) && c.held[i].resp == resp {
			c.held[i].failed = false
		}
		c.mu.Unlock()
		return resp, nil
	}
	var ferr error = &StatusError{StatusCode: resp.StatusCode, Status: resp.Status, resp: resp}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), rampart.Now(c.t.o.clock)); ok {
			ferr = rampart.WithRetryAfter(ferr, d)
		}
	}
	if !c.replayable {
		ferr = rampart.Permanent(ferr)
	}
	return resp, ferr
}

// judgeErr turns an attempt's transport error into what the policies see.
func (c *call) judgeErr(err error) error {
	if cerr := c.req.Context().Err(); cerr != nil {
		// The caller gave up: make sure classifiers see its context's
		// error, so the attempt is ignored rather than counted.
		if !errors.Is(err, cerr) {
			err = &callerGoneError{err: err, ctxErr: cerr}
		}
		return err
	}
	if !c.failed(nil, err) || !c.replayable {
		return rampart.Permanent(err)
	}
	return err
}

// failed runs the failure rule. A panic in it reaches RoundTrip, which
// closes the responses held so far and raises it again.
func (c *call) failed(resp *http.Response, err error) bool {
	return c.t.o.failure(resp, err)
}

type callerGoneError struct{ err, ctxErr error }

func (e *callerGoneError) Error() string   { return e.err.Error() }
func (e *callerGoneError) Unwrap() []error { return []error{e.err, e.ctxErr} }

// drainFailed drains and closes the responses of failed attempts, so their
// connections are reused by the next attempt.
func (c *call) drainFailed() {
	c.mu.Lock()
	var failed []held
	kept := c.held[:0]
	for _, h := range c.held {
		if h.failed {
			failed = append(failed, h)
		} else {
			kept = append(kept, h)
		}
	}
	c.held = kept
	c.mu.Unlock()
	for _, h := range failed {
		c.release(h)
	}
}

func (c *call) release(h held) {
	drain(h.resp, c.t.o.drainLimit)
	if h.cancel != nil {
		h.cancel()
	}
}

// drain reads at most limit bytes of resp's body and closes it.
func drain(resp *http.Response, limit int64) {
	if resp.Body == nil {
		return
	}
	if limit > 0 {
		io.CopyN(io.Discard, resp.Body, limit)
	}
	resp.Body.Close()
}

// finish picks what RoundTrip returns: the winning response, the last
// failed response when the policy gave up on a failure it still holds, or
// the policy's error. Every other response is closed.
func (c *call) finish(resp *http.Response, err error) (*http.Response, error) {
	c.closeUnsentBody()
	var keep *http.Response
	if err == nil {
		keep = resp
	} else if se, ok := errors.AsType[*StatusError](err); ok && se.resp != nil {
		keep = se.resp
	}
	c.mu.Lock()
	all := c.held
	c.held = nil
	c.mu.Unlock()
	var out held
	for _, h := range all {
		if h.resp == keep && out.resp == nil {
			out = h
			continue
		}
		c.release(h)
	}
	if out.resp == nil {
		if err == nil && resp != nil {
			return resp, nil // put in place by a fallback
		}
		if err == nil {
			// The policy reported success without a response, such as a
			// fallback with no value: there is nothing to return.
			err = errors.New("ramparthttp: policy succeeded without a response")
		}
		return nil, err
	}
	if out.cancel != nil {
		out.resp.Body = &cancelOnClose{ReadCloser: out.resp.Body, cancel: out.cancel}
	}
	return out.resp, nil
}

// closeUnsentBody closes the request body if no attempt took it: the
// contract says RoundTrip closes it, even on errors.
func (c *call) closeUnsentBody() {
	if c.body != nil && !c.bodyTaken.Load() {
		c.body.Close()
	}
}

// abort releases everything the call holds, when a panic crosses RoundTrip.
func (c *call) abort() {
	c.closeUnsentBody()
	c.mu.Lock()
	all := c.held
	c.held = nil
	c.mu.Unlock()
	for _, h := range all {
		c.release(h)
	}
}

// cancelOnClose releases the request's context once the caller is done
// with the body.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
