package adaptive

import (
	"context"
	"errors"
	"time"

	"github.com/rampart-go/rampart"
)

// ErrLimited matches every rejection by a [Limiter]: the limit reached
// with no room in the queue, a wait that timed out, a deadline that leaves
// no time to do the work, a queued call shed for a more critical one. Each
// also matches [rampart.ErrRejected] and carries a retry-after hint (see
// [rampart.RetryAfter]): the limiter's current estimate of a call's
// latency, the time in which a slot is likely to free up.
var ErrLimited = errors.New("adaptive: concurrency limit reached")

// ErrQueueTimeout matches a rejection of a call that waited in the queue
// for as long as the queue allows. It also matches [ErrLimited].
var ErrQueueTimeout = errors.New("adaptive: timed out in the queue")

// ErrDeadline matches a rejection of a call whose deadline leaves less
// time than the limiter expects the call to take. It also matches
// [ErrLimited].
var ErrDeadline = errors.New("adaptive: deadline too close to do the work")

// ErrShed matches a rejection of a queued call pushed out by a call of
// higher priority. It also matches [ErrLimited].
var ErrShed = errors.New("adaptive: shed for a more critical call")

// ErrAbandoned matches the error of a call dropped because its caller had
// already gone (its context was done) before it could run. It also matches
// [rampart.ErrRejected] and the context's error ([context.Canceled] or
// [context.DeadlineExceeded]).
var ErrAbandoned = errors.New("adaptive: caller gone before the call ran")

// RejectedError is a [Limiter]'s rejection. A limiter makes one of each
// kind when it is built and returns the same one every time, so rejecting
// allocates nothing; the hint is read when asked for.
type RejectedError struct {
	l      *Limiter
	reason error
}

// Error returns the reason's message.
func (e *RejectedError) Error() string { return e.reason.Error() }

// Is reports whether target is [ErrLimited], [rampart.ErrRejected] or the
// rejection's own reason.
func (e *RejectedError) Is(target error) bool {
	return target == ErrLimited || target == rampart.ErrRejected || target == e.reason
}

// RetryAfter returns the limiter's current estimate of one call's latency,
// at least a millisecond: roughly when a slot frees up.
func (e *RejectedError) RetryAfter() time.Duration {
	if e.l == nil {
		return time.Millisecond
	}
	return max(time.Duration(e.l.est.Load()), time.Millisecond)
}

// abandonedError is the error of a call whose caller had gone.
type abandonedError struct{ cause error }

func (e *abandonedError) Error() string { return ErrAbandoned.Error() + ": " + e.cause.Error() }
func (e *abandonedError) Unwrap() error { return e.cause }
func (e *abandonedError) Is(target error) bool {
	return target == ErrAbandoned || target == rampart.ErrRejected
}

var (
	abandonedCanceled = &abandonedError{cause: context.Canceled}
	abandonedDeadline = &abandonedError{cause: context.DeadlineExceeded}
)

// abandoned returns the error for a call whose context is done.
func abandoned(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return abandonedDeadline
	}
	return abandonedCanceled
}
