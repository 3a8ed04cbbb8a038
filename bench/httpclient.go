package bench

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/rampart-go/rampart/ramparthttp"
	"github.com/rampart-go/rampart/retry"
)

// HTTPClient class: a GET to a loopback server that answers 200 with a
// short body, read whole and closed, through each library's retrying
// client. Every row has its own http.Transport, so each keeps one
// connection alive; the nethttp row is the plain http.Client, the floor.
//
// Every retrying row is configured alike: 3 attempts in all, waits from
// HTTPRetryMin to HTTPRetryMax (short, so the correctness test runs on
// the real clock in milliseconds; no failures happen while benchmarking).
//
// Where the libraries differ:
//   - rampart: ramparthttp.Transport with a retry policy, which also keeps
//     its default retry budget and jitter; replays only idempotent
//     requests, bodies through GetBody.
//   - failsafe-go: failsafehttp.NewRoundTripper with its HTTP retry policy
//     (retries 429 and 5xx, honours integer Retry-After); reads each
//     request body into memory.
//   - retryablehttp: hashicorp/go-retryablehttp's Client used through
//     StandardClient, logging off; buffers each request body, retries
//     every method.

// HTTP retry waits of every row.
const (
	HTTPRetryMin = time.Millisecond
	HTTPRetryMax = 4 * time.Millisecond
)

// HTTPSubject is a row of the HTTPClient class.
type HTTPSubject struct {
	Lib string
	// New returns a client that sends through base.
	New func(base http.RoundTripper) *http.Client
}

// HTTPClientSubjects lists the HTTPClient class's rows.
func HTTPClientSubjects() []HTTPSubject {
	return []HTTPSubject{
		{Lib: "nethttp", New: func(base http.RoundTripper) *http.Client { return &http.Client{Transport: base} }},
		{Lib: "rampart", New: rampartHTTP},
		{Lib: "failsafe-go", New: failsafeHTTP},
		{Lib: "retryablehttp", New: retryableHTTP},
	}
}

func rampartHTTP(base http.RoundTripper) *http.Client {
	p := must(retry.New(retry.Config{
		MaxAttempts: 3,
		Backoff:     retry.BackoffConfig{Base: HTTPRetryMin, Max: HTTPRetryMax},
	}))
	return &http.Client{Transport: must(ramparthttp.NewTransport(base, ramparthttp.WithPolicy(p)))}
}

func failsafeHTTP(base http.RoundTripper) *http.Client {
	rp := failsafehttp.NewRetryPolicyBuilder().
		WithMaxAttempts(3).
		WithBackoff(HTTPRetryMin, HTTPRetryMax).
		Build()
	return &http.Client{Transport: failsafehttp.NewRoundTripper(base, rp)}
}

func retryableHTTP(base http.RoundTripper) *http.Client {
	c := retryablehttp.NewClient()
	c.HTTPClient = &http.Client{Transport: base}
	c.RetryMax = 2 // retries after the first attempt: 3 attempts in all
	c.RetryWaitMin, c.RetryWaitMax = HTTPRetryMin, HTTPRetryMax
	c.Logger = nil
	return c.StandardClient()
}

// HTTPGet sends one GET through c and reads the body whole.
func HTTPGet(c *http.Client, url string) (int, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// InstantTransport is the base of the HTTPClientOverhead class: a
// RoundTripper that answers every request at once with a fresh 200 and a
// two-byte body, with no network in between, so what a client adds on top
// of it is the client's own cost, free of loopback noise.
type InstantTransport struct{}

// RoundTrip answers req with 200 "ok".
func (InstantTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"text/plain"}},
		Body:          io.NopCloser(strings.NewReader("ok")),
		ContentLength: 2,
		Request:       req,
	}, nil
}
