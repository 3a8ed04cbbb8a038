package ramparthttp

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-go/rampart"
)

// StatusError is what the transport's policies see for a response judged a
// failure (by default 408, 429 and 5xx other than 501). It carries the
// server's Retry-After hint, when there is one, through
// [rampart.RetryAfter]. The caller of RoundTrip never gets it: when the
// policy gives up on such a failure, RoundTrip returns the response
// itself.
type StatusError struct {
	StatusCode int
	Status     string
	resp       *http.Response
}

// Error returns "ramparthttp: " and the response's status.
func (e *StatusError) Error() string {
	if e.Status != "" {
		return "ramparthttp: " + e.Status
	}
	return "ramparthttp: status " + strconv.Itoa(e.StatusCode)
}

// ParseRetryAfter reads a Retry-After header value in either of its forms,
// delta-seconds ("120") or an HTTP-date, as a wait from now. A date in the
// past is a wait of zero; a delay too long to represent saturates. ok is
// false for an empty or malformed value.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
				return math.MaxInt64, true
			}
			return 0, false
		}
		if n > uint64(math.MaxInt64/int64(time.Second)) {
			return math.MaxInt64, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// ShedIsNoFault is a [rampart.Classifier] for a circuit breaker
// (circuitbreaker.Config.Classifier) guarding calls made through a
// [Transport]. A 503 or 429 answer that carries a Retry-After is the
// service refusing work it has no room for, as load shedding ([Shed]) and
// rate limiting ([RateLimit]) answer: a rejection, not a fault, so it is
// [rampart.Ignored], counting neither as a failure nor as a success.
// Counted as failures, a surge in which the service sheds half its
// requests would open the breaker, and the client would stop asking for
// the half the service still answers. A service that is down answers
// without Retry-After, or not at all, and is judged by [rampart.Classify]
// as before, as is everything else.
func ShedIsNoFault(ctx context.Context, err error) rampart.Outcome {
	var status *StatusError
	if errors.As(err, &status) &&
		(status.StatusCode == http.StatusServiceUnavailable || status.StatusCode == http.StatusTooManyRequests) {
		if _, ok := rampart.RetryAfter(err); ok {
			return rampart.Ignored
		}
	}
	return rampart.Classify(ctx, err)
}
