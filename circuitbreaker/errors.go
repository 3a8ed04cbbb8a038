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
type OpenError struct {
	// Name is the breaker's Config.Name.
	Name string
	// Delay is how long until the open period ends, as of the rejection.
	Delay time.Duration
}

// Error returns "circuitbreaker: open, next probe in <Delay>".
func (e *OpenError) Error() string {
	return "circuitbreaker: open, next probe in " + e.Delay.String()
}

// Is reports whether target is [ErrOpen] or [rampart.ErrRejected].
func (e *OpenError) Is(target error) bool { return target == ErrOpen || target == rampart.ErrRejected }

// RetryAfter returns Delay, the time until the breaker lets a probe through.
func (e *OpenError) RetryAfter() time.Duration { return e.Delay }

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
