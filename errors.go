package rampart

import (
	"errors"
	"time"
)

// ErrPanic is what policies record as the outcome of a call whose function
// panicked, before the panic is raised again in the caller's goroutine.
var ErrPanic = errors.New("rampart: protected function panicked")

// ErrRejected matches every error by which a policy refused a call without
// running it: an open circuit breaker, a full bulkhead, a rate limit. The
// downstream did nothing; retrying at once is pointless, so retry policies
// do not retry rejections by default, while fallbacks do replace them.
// Each rejection also matches its own package's sentinel, such as
// circuitbreaker.ErrOpen.
var ErrRejected = errors.New("rampart: call rejected")

// Permanent marks err as not worth retrying: no retry policy retries it,
// whatever its classification. The result still matches err with
// [errors.Is] and [errors.As]. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or any error it wraps, was marked by
// [Permanent].
//
// It walks the chain as [errors.As] does, through Unwrap() error and
// Unwrap() []error, but with type checks instead of reflection, so a retry
// that judges a failed attempt allocates nothing.
func IsPermanent(err error) bool {
	for err != nil {
		switch e := err.(type) {
		case *permanentError:
			return true
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		case interface{ Unwrap() []error }:
			for _, err := range e.Unwrap() {
				if IsPermanent(err) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// WithRetryAfter attaches a server's hint to err: the caller should wait d
// before trying again (HTTP's Retry-After, gRPC's pushback). Retry policies
// wait on the hint instead of their own backoff, within the caller's
// deadline. WithRetryAfter(nil, d) is nil.
func WithRetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, after: d}
}

// RetryAfter returns the first retry-after hint found in err's chain: any
// error with a method RetryAfter() time.Duration, such as one made by
// [WithRetryAfter] or a breaker's rejection.
//
// The chain is walked in the order of [errors.As], depth first through
// Unwrap() error and Unwrap() []error, without reflection or allocation.
//
// A hint may be zero, or negative when made by [WithRetryAfter] with a
// negative d: the time it asked for has passed (a breaker's open period
// that has ended reports 0), and the caller may try now. Retry policies
// treat such a hint as none and use their own backoff.
func RetryAfter(err error) (time.Duration, bool) {
	for err != nil {
		if h, ok := err.(hinter); ok {
			return h.RetryAfter(), true
		}
		switch e := err.(type) {
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		case interface{ Unwrap() []error }:
			for _, err := range e.Unwrap() {
				if d, ok := RetryAfter(err); ok {
					return d, true
				}
			}
			return 0, false
		default:
			return 0, false
		}
	}
	return 0, false
}

// hinter is an error that carries a retry-after hint.
type hinter interface{ RetryAfter() time.Duration }

type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string             { return e.err.Error() }
func (e *retryAfterError) Unwrap() error             { return e.err }
func (e *retryAfterError) RetryAfter() time.Duration { return e.after }

// ConfigError is returned by a policy's New for an invalid config. It names
// the package and the field.
type ConfigError struct {
	Package string // e.g. "circuitbreaker"
	Field   string // e.g. "FailureRateThreshold"
	Reason  string // e.g. "must be in (0, 1], got 1.5"
}

// Error returns "<package>: invalid config: <field> <reason>".
func (e *ConfigError) Error() string {
	return e.Package + ": invalid config: " + e.Field + " " + e.Reason
}

// Is makes every ConfigError match [ErrInvalidConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// ErrInvalidConfig matches every [ConfigError].
var ErrInvalidConfig = errors.New("rampart: invalid config")
