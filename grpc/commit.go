package rampartgrpc

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/stats"

	"github.com/rampart-go/rampart"
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

// hedges is the state a call that may run attempts side by side keeps to
// commit to the first attempt that receives response headers.
//
// An attempt that loses to the committed one, or starts after it, does not
// return until its own context ends: a hedging policy cancels it once it
// has the call's outcome, which the committed attempt gives (a success, an
// answer, or a failure that is final because the call was committed).
// Returning earlier would give the policy an outcome that is not the
// call's. So a hedge.Config.NonFatal of one's own must treat
// [rampart.Permanent] failures as fatal, as [NonFatal] does.
type hedges struct {
	pushback  pushbackGate // hedges wait for the latest pushback
	mu        sync.Mutex
	committed int32 // the committed attempt's number, 0 before
	live      []*hedgeAttempt
}

// hedgeAttempt is one attempt of such a call.
type hedgeAttempt struct {
	h        *hedges
	n        int32
	cancel   context.CancelFunc
	returned bool // under h.mu
	lost     bool // under h.mu: another attempt committed while this one ran
}

var errLostToCommit = errors.New("rampartgrpc: another attempt of the call received response headers first")

// start registers attempt n, returning the context to send it under; if
// another attempt has committed, it sends nothing, waits for ctx to end and
// returns errLostToCommit.
func (h *hedges) start(ctx context.Context, n int32) (*hedgeAttempt, context.Context, error) {
	h.mu.Lock()
	if h.committed != 0 {
		h.mu.Unlock()
		<-ctx.Done()
		return nil, nil, errLostToCommit
	}
	a := &hedgeAttempt{h: h, n: n}
	ctx, a.cancel = context.WithCancel(ctx)
	h.live = append(h.live, a)
	h.mu.Unlock()
	return a, context.WithValue(ctx, hedgeAttemptKey{}, a), nil
}

// commit commits the call to a, whose response headers arrived, and
// cancels the other attempts. It reports whether a is the committed
// attempt.
func (a *hedgeAttempt) commit() bool {
	h := a.h
	h.mu.Lock()
	if h.committed != 0 || a.returned {
		ok := h.committed == a.n
		h.mu.Unlock()
		return ok
	}
	h.committed = a.n
	var losers []context.CancelFunc
	for _, o := range h.live {
		if o != a && !o.returned {
			o.lost = true
			losers = append(losers, o.cancel)
		}
	}
	h.mu.Unlock()
	for _, cancel := range losers {
		cancel()
	}
	return true
}

// done records that a's call returned. lost is true when another attempt
// had committed: a's outcome is then not the call's, and done has waited
// for ctx, a's context in the policy, to end.
func (a *hedgeAttempt) done(ctx context.Context) (lost bool) {
	h := a.h
	h.mu.Lock()
	a.returned = true
	lost = a.lost
	if h.committed == a.n {
		// The commit lasts while its attempt runs: a retry of the call
		// (after a failure that is not final) starts afresh.
		h.committed, h.live = 0, nil
	}
	h.mu.Unlock()
	a.cancel()
	if lost {
		<-ctx.Done()
	}
	return lost
}

// pushbackGate holds back the hedges of a call while a server's pushback
// runs (gRFC A6: the next hedged request is sent after the pushback
// delay).
type pushbackGate struct {
	until atomic.Int64 // on the client's clock, in UnixNano; 0 for none
}

// failed records the pushback that err, an attempt's failure, carries.
func (g *pushbackGate) failed(err error, clock rampart.Clock) {
	d, ok := rampart.RetryAfter(err)
	if !ok || d <= 0 {
		return
	}
	until := int64(math.MaxInt64)
	if d < time.Duration(math.MaxInt64)/2 {
		until = rampart.Now(clock).Add(d).UnixNano()
	}
	for {
		old := g.until.Load()
		if old >= until || g.until.CompareAndSwap(old, until) {
			return
		}
	}
}

// wait waits until the latest pushback has passed; it returns the
// context's error if the hedge is cancelled meanwhile.
func (g *pushbackGate) wait(ctx context.Context, clock rampart.Clock) error {
	until := g.until.Load()
	if until == 0 {
		return nil
	}
	d := time.Duration(until - rampart.Now(clock).UnixNano())
	if d <= 0 {
		return nil
	}
	return rampart.Sleep(ctx, clock, d)
}
