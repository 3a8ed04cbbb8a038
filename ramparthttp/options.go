package ramparthttp

import (
	"errors"
	"net/http"

	"github.com/rampart-go/rampart"
)

// Option configures a [Transport].
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	policy     rampart.Policy
	perHost    func(host string) (rampart.Policy, error)
	maxHosts   int
	failure    func(resp *http.Response, err error) bool
	bufferBody int64
	drainLimit int64
	clock      rampart.Clock
}

// DefaultDrainLimit is how many bytes of a failed attempt's response body
// are read, by default, before it is closed so its connection can be
// reused. A longer body is closed without reading the rest.
const DefaultDrainLimit = 256 << 10

// DefaultMaxHosts bounds the policies [WithHostPolicies] keeps when given
// no bound.
const DefaultMaxHosts = 1024

// WithPolicy protects every request with p, typically a pipeline such as
// retry → circuit breaker → per-attempt timeout.
func WithPolicy(p rampart.Policy) Option {
	return optionFunc(func(o *options) { o.policy = p })
}

// WithHostPolicies protects each host (the request URL's host:port) with a
// policy of its own, built by newPolicy when the host is first seen, so a
// failing host trips its own breaker and spends its own retry budget. At
// most maxHosts policies are kept (zero means [DefaultMaxHosts]); past
// that, the oldest host's policy is dropped and built anew if the host
// returns. An error from newPolicy fails the request, which is not sent.
func WithHostPolicies(newPolicy func(host string) (rampart.Policy, error), maxHosts int) Option {
	return optionFunc(func(o *options) { o.perHost, o.maxHosts = newPolicy, maxHosts })
}

// WithFailure replaces the rule that decides whether an attempt failed.
// failed is called with the response (err nil) or the error (resp nil) of
// each attempt, never for the caller's own cancellation, which is always
// ignored. A failed response is retried (if safe) and counted against the
// destination; one that did not fail is returned as it is. An error judged
// not failed is returned marked [rampart.Permanent], so it is not retried.
// The default is [IsFailure].
func WithFailure(failed func(resp *http.Response, err error) bool) Option {
	return optionFunc(func(o *options) { o.failure = failed })
}

// WithBodyBuffer lets the transport buffer up to maxBytes of a request body
// that has no GetBody, so such a request can be replayed. A longer body is
// sent once, as it comes, never held whole in memory. Without this option
// a request with a body and no GetBody is sent once.
func WithBodyBuffer(maxBytes int64) Option {
	return optionFunc(func(o *options) { o.bufferBody = maxBytes })
}

// WithDrainLimit sets how many bytes of a failed attempt's response body
// are read before it is closed (default [DefaultDrainLimit]); zero or less
// closes it without reading.
func WithDrainLimit(n int64) Option {
	return optionFunc(func(o *options) { o.drainLimit = max(n, 0) })
}

// WithClock sets the clock used to turn an HTTP-date Retry-After into a
// wait; nil means the real clock. Give it the clock the retry policy uses.
func WithClock(c rampart.Clock) Option {
	return optionFunc(func(o *options) { o.clock = c })
}

// IsFailure is the default rule for [WithFailure]: an error is a failure,
// and so is a response with status 408 (Request Timeout), 429 (Too Many
// Requests) or 5xx other than 501 (Not Implemented, which retrying will
// not fix).
func IsFailure(resp *http.Response, err error) bool {
	if err != nil {
		return true
	}
	if resp == nil {
		return true
	}
	switch c := resp.StatusCode; {
	case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests:
		return true
	case c == http.StatusNotImplemented:
		return false
	case c >= 500 && c <= 599:
		return true
	}
	return false
}

var errNilOption = errors.New("ramparthttp: nil option")
