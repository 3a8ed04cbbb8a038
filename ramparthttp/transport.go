package ramparthttp

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/rampart-go/rampart"
)

// Transport is an [http.RoundTripper] that sends each request through a
// rampart policy. It is safe for concurrent use.
//
// It honours the RoundTripper contract: it does not modify the request; it
// returns a nil error if and only if it obtained a response, whatever its
// status (a request whose every attempt failed with a 503 returns the last
// 503); it closes the request body, including on errors; and it closes
// every response it does not return.
type Transport struct {
	base    http.RoundTripper
	o       options
	mu      sync.RWMutex
	hosts   map[string]rampart.Policy
	order   []string // hosts in the order their policies were built, for eviction
	evicted int      // index of the oldest host in order
}

// ErrNoPolicy is returned by [NewTransport] when given neither
// [WithPolicy] nor [WithHostPolicies], or both.
var ErrNoPolicy = errors.New("ramparthttp: want exactly one of WithPolicy and WithHostPolicies")

// NewTransport returns a transport that sends requests through base (nil
// means [http.DefaultTransport]) under the policy given by [WithPolicy] or
// [WithHostPolicies].
func NewTransport(base http.RoundTripper, opts ...Option) (*Transport, error) {
	t := &Transport{base: base, o: options{drainLimit: DefaultDrainLimit, failure: IsFailure}}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	for _, o := range opts {
		if o == nil {
			return nil, errNilOption
		}
		o.apply(&t.o)
	}
	if (t.o.policy == nil) == (t.o.perHost == nil) {
		return nil, ErrNoPolicy
	}
	if t.o.bufferBody < 0 {
		return nil, errors.New("ramparthttp: WithBodyBuffer: maxBytes must be ≥ 0")
	}
	if t.o.maxHosts < 0 {
		return nil, errors.New("ramparthttp: WithHostPolicies: maxHosts must be ≥ 0")
	}
	if t.o.maxHosts == 0 {
		t.o.maxHosts = DefaultMaxHosts
	}
	if t.o.failure == nil {
		t.o.failure = IsFailure
	}
	if t.o.perHost != nil {
		t.hosts = make(map[string]rampart.Policy)
	}
	return t, nil
}

// policyFor returns the policy that protects req.
func (t *Transport) policyFor(req *http.Request) (rampart.Policy, error) {
	if t.o.policy != nil {
		return t.o.policy, nil
	}
	host := ""
	if req.URL != nil {
		host = req.URL.Host
	}
	t.mu.RLock()
	p, ok := t.hosts[host]
	t.mu.RUnlock()
	if ok {
		return p, nil
	}
	// Built outside the lock: newPolicy is the user's code.
	p, err := t.o.perHost(host)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, rampart.ErrNilPolicy
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if q, ok := t.hosts[host]; ok {
		return q, nil // another request built it first
	}
	if len(t.hosts) >= t.o.maxHosts {
		delete(t.hosts, t.order[t.evicted])
		t.order[t.evicted] = host
		t.evicted = (t.evicted + 1) % len(t.order)
	} else {
		t.order = append(t.order, host)
	}
	t.hosts[host] = p
	return p, nil
}

// Hosts returns how many per-host policies the transport holds.
func (t *Transport) Hosts() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.hosts)
}

// RoundTrip implements [http.RoundTripper].
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	p, err := t.policyFor(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	c := newCall(t, req)
	if err := c.prepare(); err != nil {
		closeBody(req)
		return nil, err
	}
	ok := false
	defer func() {
		if !ok { // a panic in a policy, a rule or the base transport
			c.abort()
		}
	}()
	resp, err := rampart.Get(req.Context(), p, c.attempt)
	ok = true
	return c.finish(resp, err)
}

// CloseIdleConnections closes the base transport's idle connections, if it
// can.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// withReplayKey marks a context whose requests may be replayed whatever
// their method.
type withReplayKey struct{}

// WithReplay returns a copy of ctx whose requests the transport may replay
// (retry or hedge) even though their method is not idempotent, for a
// server known to deduplicate them. Without it, only GET, HEAD, OPTIONS and
// TRACE requests, and requests with an Idempotency-Key or
// X-Idempotency-Key header, are replayed: the rule net/http follows.
func WithReplay(ctx context.Context) context.Context {
	return context.WithValue(ctx, withReplayKey{}, true)
}

// idempotent reports whether req may be sent more than once by the rule
// net/http uses for its own retries, or because its context says so.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	if _, ok := req.Header["Idempotency-Key"]; ok {
		return true
	}
	if _, ok := req.Header["X-Idempotency-Key"]; ok {
		return true
	}
	ok, _ := req.Context().Value(withReplayKey{}).(bool)
	return ok
}
