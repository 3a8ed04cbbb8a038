package rampartgrpc

import (
	"context"
	"errors"
	"sync"

	"google.golang.org/grpc/stats"
)

// commitWatch is the stats handler of [Client.DialOptions]: it tells a
// hedged attempt when its response headers arrive (gRFC A6: the first
// attempt to receive headers commits the call).
type commitWatch struct{}

type hedgeAttemptKey struct{}

func (commitWatch) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (commitWatch) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (commitWatch) HandleConn(context.Context, stats.ConnStats) {}

// HandleRPC runs on the transport's goroutine: it only takes a lock and
// cancels contexts.
func (commitWatch) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.InHeader); !ok {
		return
	}
	if a, ok := ctx.Value(hedgeAttemptKey{}).(*hedgeAttempt); ok {
		a.commit()
	}
}

// hedges is the state a unary call that may be hedged keeps to commit to
// the first attempt that receives response headers.
type hedges struct {
	mu        sync.Mutex
	committed int32 // the committed attempt's number, 0 before
	live      []*hedgeAttempt
	over      chan struct{} // closed when the committed attempt returns; made on demand
}

// hedgeAttempt is one attempt of a call that may be hedged.
type hedgeAttempt struct {
	h        *hedges
	n        int32
	cancel   context.CancelFunc
	returned bool          // under h.mu
	lostTo   chan struct{} // under h.mu: set when another attempt committed; closed when it returns
}

var errLostToCommit = errors.New("rampartgrpc: another attempt of the call received response headers first")

func (h *hedges) overLocked() chan struct{} {
	if h.over == nil {
		h.over = make(chan struct{})
	}
	return h.over
}

// start registers attempt n, returning the context to send it under; if
// another attempt has committed, it sends nothing: it waits for that
// attempt to return (the call is then decided) and returns errLostToCommit.
func (h *hedges) start(ctx context.Context, n int32) (*hedgeAttempt, context.Context, error) {
	h.mu.Lock()
	if h.committed != 0 {
		over := h.overLocked()
		h.mu.Unlock()
		select {
		case <-over:
		case <-ctx.Done():
		}
		return nil, nil, errLostToCommit
	}
	a := &hedgeAttempt{h: h, n: n}
	ctx, a.cancel = context.WithCancel(ctx)
	h.live = append(h.live, a)
	h.mu.Unlock()
	return a, context.WithValue(ctx, hedgeAttemptKey{}, a), nil
}

// commit commits the call to a, whose response headers arrived, and
// cancels the other attempts.
func (a *hedgeAttempt) commit() {
	h := a.h
	h.mu.Lock()
	if h.committed != 0 || a.returned {
		h.mu.Unlock()
		return
	}
	h.committed = a.n
	over := h.overLocked()
	var losers []context.CancelFunc
	for _, o := range h.live {
		if o != a && !o.returned {
			o.lostTo = over
			losers = append(losers, o.cancel)
		}
	}
	h.mu.Unlock()
	for _, cancel := range losers {
		cancel()
	}
}

// done records that a's call of the invoker returned. lost is true
// when another attempt had committed: a's outcome is then not the call's,
// and done has waited for the committed attempt to return.
func (a *hedgeAttempt) done(ctx context.Context) (lost bool) {
	h := a.h
	h.mu.Lock()
	a.returned = true
	wait := a.lostTo
	if h.committed == a.n {
		// The commit lasts while its attempt runs: the losers wait for it,
		// and a retry of the call (after a failure that is not final)
		// starts afresh.
		close(h.overLocked())
		h.committed, h.over, h.live = 0, nil, nil
	}
	h.mu.Unlock()
	a.cancel()
	if wait == nil {
		return false
	}
	select {
	case <-wait:
	case <-ctx.Done():
	}
	return true
}
