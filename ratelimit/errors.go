package ratelimit

import (
	"errors"
	"time"

	"github.com/rampart-go/rampart"
)

// ErrLimited matches every refusal by a limiter: a call rejected by
// [Limiter.Execute], a Wait whose token would come after the caller's
// deadline or after Config.MaxWait. Test with errors.Is. Every such error
// also matches [rampart.ErrRejected], so retry policies do not retry it and
// server middleware answers 429 with a Retry-After.
var ErrLimited = errors.New("ratelimit: rate limited")

// ErrExceedsBurst is returned by WaitN for more tokens than the limiter's
// Burst: no wait would ever be enough.
var ErrExceedsBurst = errors.New("ratelimit: request exceeds burst")

// LimitedError is a limiter's refusal. It matches [ErrLimited] and
// [rampart.ErrRejected], and says through RetryAfter (read by
// [rampart.RetryAfter]) how long until the token it lacked is due.
//
// Execute returns one LimitedError per limiter for every call it rejects, so
// a rejection allocates nothing; its RetryAfter is worked out when asked,
// from the limiter's state at that moment.
type LimitedError struct {
	// Name is the limiter's Config.Name.
	Name string

	l     *Limiter      // the limiter, for a hint worked out when asked; or nil
	n     int64         // tokens asked for, with l
	after time.Duration // the hint, without l
}

// Error returns "ratelimit: rate limited, next token in <RetryAfter>".
func (e *LimitedError) Error() string {
	s := "ratelimit: "
	if e.Name != "" && e.Name != "ratelimit" {
		s += e.Name + ": "
	}
	return s + "rate limited, next token in " + e.RetryAfter().String()
}

// Is reports whether target is [ErrLimited] or [rampart.ErrRejected].
func (e *LimitedError) Is(target error) bool {
	return target == ErrLimited || target == rampart.ErrRejected
}

// RetryAfter returns how long until the tokens are due: for a rejection by
// Execute, from now; for a refused Wait, from the moment it refused.
func (e *LimitedError) RetryAfter() time.Duration {
	if e.l != nil {
		return time.Duration(e.l.wait(e.l.now(), e.n))
	}
	return e.after
}
