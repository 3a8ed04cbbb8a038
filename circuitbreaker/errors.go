package circuitbreaker

import (
	"errors"
	"time"

	"github.com/rampart-go/rampart"
)

// ErrOpen matches every rejection by a breaker: open, isolated, or
// half-open with all probe slots taken. Test with errors.Is. Every
// rejection also matches [rampart.ErrRejected], the core's mark of a call
// refused without being run, which retry policies do not retry.
var ErrOpen = errors.New("circuitbreaker: open")

// ErrTooManyProbes matches a rejection by a half-open breaker whose probe
// slots are all in flight. It also matches [ErrOpen], so code that only asks
// "was I rejected?" needs one test.
var ErrTooManyProbes = errors.New("circuitbreaker: half-open, too many probes in flight")

// ErrIsolated matches a rejection by a breaker forced open with
// [Breaker.Isolate]. It also matches [ErrOpen].
var ErrIsolated = errors.New("circuitbreaker: isolated")

// OpenError is the rejection of an open breaker. It matches [ErrOpen] and
// says, through RetryAfter, how long until the breaker lets a probe through,
// so retry policies and [rampart.RetryAfter] see the hint.
//
// A breaker makes one OpenError each time it opens and returns that same
// error for every call it rejects during the open period, so rejecting
// allocates nothing. The time left is worked out when asked for.
type OpenError struct {
	// Name is the breaker's Config.Name.
	Name string
	// Until is when the open period ends, on the breaker's clock: the
	// first call at or after it may probe.
	Until time.Time

	b     *Breaker // the breaker that opened, or nil
	until int64    // Until in the breaker's own time
}

// Error returns "circuitbreaker: open, next probe in <RetryAfter>".
func (e *OpenError) Error() string {
	return "circuitbreaker: open, next probe in " + e.RetryAfter().String()
}

// Is reports whether target is [ErrOpen] or [rampart.ErrRejected].
func (e *OpenError) Is(target error) bool { return target == ErrOpen || target == rampart.ErrRejected }

// RetryAfter returns the time from now until the breaker lets a probe
// through (Until, on the breaker's clock), or 0 once that time has come.
func (e *OpenError) RetryAfter() time.Duration {
	var d time.Duration
	if e.b != nil {
		d = time.Duration(e.until - e.b.now())
	} else {
		d = time.Until(e.Until)
	}
	return max(d, 0)
}

// rejection is a rejection that carries no delay (isolated, probes full):
// allocated once, so rejecting costs nothing.
type rejection struct {
	msg string
	is  error
}

func (e *rejection) Error() string { return e.msg }

func (e *rejection) Is(target error) bool {
	return target == ErrOpen || target == rampart.ErrRejected || target == e.is
}

var (
	errTooManyProbes = &rejection{msg: ErrTooManyProbes.Error(), is: ErrTooManyProbes}
	errIsolated      = &rejection{msg: ErrIsolated.Error(), is: ErrIsolated}
)
