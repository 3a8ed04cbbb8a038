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
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
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
func RetryAfter(err error) (time.Duration, bool) {
	var h interface{ RetryAfter() time.Duration }
	if errors.As(err, &h) {
		return h.RetryAfter(), true
	}
	return 0, false
}

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

func (e *ConfigError) Error() string {
	return e.Package + ": invalid config: " + e.Field + " " + e.Reason
}

// Is makes every ConfigError match [ErrInvalidConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// ErrInvalidConfig matches every [ConfigError].
var ErrInvalidConfig = errors.New("rampart: invalid config")
