package ramparthttp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/ramparthttp"
	"github.com/rampart-go/rampart/retry"
	"github.com/rampart-go/rampart/timeout"
)

func TestRetriesFailedStatusesAndReusesTheConnection(t *testing.T) {
	for _, code := range []int{500, 502, 503, 504, 408, 429} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			checkGoroutines(t)
			s := newServer(t, status(code), status(code), status(200))
			c := &http.Client{Transport: newTransport(t, newRetry(t, retry.Config{MaxAttempts: 3}))}
			resp, body := get(t, c, s.URL)
			if resp.StatusCode != 200 || body != "OK" {
				t.Fatalf("got %d %q", resp.StatusCode, body)
			}
			if n := s.requests.Load(); n != 3 {
				t.Fatalf("attempts = %d, want 3", n)
			}
			if n := s.conns.Load(); n != 1 {
				t.Fatalf("connections = %d, want 1: failed bodies must be drained", n)
			}
		})
	}
}

func TestDoesNotRetry501Or4xx(t *testing.T) {
	for _, code := range []int{501, 400, 404} {
		checkGoroutines(t)
		s := newServer(t, status(code), status(200))
		c := &http.Client{Transport: newTransport(t, newRetry(t, retry.Config{MaxAttempts: 3}))}
		resp, _ := get(t, c, s.URL)
		if resp.StatusCode != code || s.requests.Load() != 1 {
			t.Fatalf("%d: got %d after %d attempts", code, resp.StatusCode, s.requests.Load())
		}
	}
}

func TestExhaustedRetriesReturnTheLastResponse(t *testing.T) {
	checkGoroutines(t)
	s := newServer(t, status(503, "X-Attempt", "1"), status(503, "X-Attempt", "2"))
	c := &http.Client{Transport: newTransport(t, newRetry(t, retry.Config{MaxAttempts: 2}))}
	resp, body := get(t, c, s.URL)
	if resp.StatusCode != 503 || resp.Header.Get("X-Attempt") != "2" || body != "Service Unavailable" {
		t.Fatalf("got %d %q %q, want the second 503 intact", resp.StatusCode, resp.Header.Get("X-Attempt"), body)
	}
	if s.conns.Load() != 1 {
		t.Fatalf("connections = %d", s.conns.Load())
	}
}

func TestNetworkErrorsAreRetried(t *testing.T) {
	checkGoroutines(t)
	s := newServer(t, resetConn, status(200))
	c := &http.Client{Transport: newTransport(t, newRetry(t, retry.Config{MaxAttempts: 3}))}
	resp, _ := get(t, c, s.URL)
	if resp.StatusCode != 200 || s.requests.Load() != 2 {
		t.Fatalf("got %d after %d attempts", resp.StatusCode, s.requests.Load())
	}
}

func TestTruncatedBodyReachesTheCaller(t *testing.T) {
	checkGoroutines(t)
	s := newServer(t, truncated)
	c := &http.Client{Transport: newTransport(t, newRetry(t, retry.Config{MaxAttempts: 3}))}
	resp, err := c.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read = %v, want unexpected EOF", err)
	}
	if s.requests.Load() != 1 {
		t.Fatalf("attempts = %d: a response was obtained, nothing to retry", s.requests.Load())
	}
}

func post(t *testing.T, c *http.Client, ctx context.Context, url string, body io.Reader, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestNonIdempotentRequestIsSentOnce(t *testing.T) {
	checkGoroutines(t)
	s := newServer(t, status(503), status(200))
	c := &http.Client{Transport: newTransport(t, newRetry(t, retry.Config{MaxAttempts: 3}))}
	resp := post(t, c, context.Background(), s.URL, strings.NewReader("order #1"))
	if resp.StatusCode != 503 || s.requests.Load() != 1 {
		t.Fatalf("POST: got %d after %d attempts, want one 503", resp.StatusCode, s.requests.Load())
	}
	// A network error on a POST is not retried either.
	s2 := newServer(t, resetConn, status(200))
	req, _ := http.NewRequest(http.MethodPost, s2.URL, strings.NewReader("order #2"))
	if _, err := c.Do(req); err == nil || s2.requests.Load() != 1 {
		t.Fatalf("POST over a reset connection: err %v after %d attempts", err, s2.requests.Load())
	}
}

func TestReplayableRequestsReplayTheirBodyByteForByte(t *testing.T) {
	payload := strings.Repeat("rampart\x00\xff", 10000)
	cases := []struct {
		name   string
		ctx    context.Context
		header []string
	}{
		{"Idempotency-Key", context.Background(), []string{"Idempotency-Key", "k1"}},
		{"X-Idempotency-Key", context.Background(), []string{"X-Idempotency-Key", "k2"}},
		{"WithReplay", ramparthttp.WithReplay(context.Background()), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			s := newServer(t, status(503), resetConn, status(200))
			c := &http.Client{Transport: newTransport(t, newRetry(t, retry.Config{MaxAttempts: 3}))}
			resp := post(t, c, tc.ctx, s.URL, strings.NewReader(payload), tc.header...)
			if resp.StatusCode != 200 || s.requests.Load() != 3 {
				t.Fatalf("got %d after %d attempts", resp.StatusCode, s.requests.Load())
			}
			for i, b := range s.Bodies() {
				if string(b) != payload {
					t.Fatalf("attempt %d body differs (%d bytes)", i+1, len(b))
				}
			}
		})
	}
}

// onceBody is a body with no GetBody that records whether it was closed.
type onceBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *onceBody) Close() error { b.closed.Store(true); return nil }

func newOnceRequest(t *testing.T, url, payload string) (*http.Request, *onceBody) {
	body := &onceBody{Reader: strings.NewReader(payload)}
	req, err := http.NewRequest(http.MethodPut, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(payload))
	req.Header.Set("Idempotency-Key", "k") // replayable, but for its body
	return req, body
}

func TestBodyWithoutGetBody(t *testing.T) {
	checkGoroutines(t)
	p := newRetry(t, retry.Config{MaxAttempts: 3})
	t.Run("sent once", func(t *testing.T) {
		s := newServer(t, status(503), status(200))
		req, body := newOnceRequest(t, s.URL, "abc")
		resp, err := newTransport(t, p).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 || s.requests.Load() != 1 || string(s.Bodies()[0]) != "abc" {
			t.Fatalf("got %d after %d attempts", resp.StatusCode, s.requests.Load())
		}
		_ = body
	})
	t.Run("buffered within the limit", func(t *testing.T) {
		s := newServer(t, status(503), status(200))
		req, body := newOnceRequest(t, s.URL, "abcdef")
		resp, err := newTransport(t, p, ramparthttp.WithBodyBuffer(6)).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || s.requests.Load() != 2 || !body.closed.Load() { // read whole and closed by the buffering
			t.Fatalf("got %d after %d attempts", resp.StatusCode, s.requests.Load())
		}
		for _, b := range s.Bodies() {
			if string(b) != "abcdef" {
				t.Fatalf("body %q", b)
			}
		}
	})
	t.Run("longer than the limit streams once", func(t *testing.T) {
		s := newServer(t, status(503), status(200))
		req, _ := newOnceRequest(t, s.URL, "abcdefg")
		req.ContentLength = -1 // unknown: the transport must read to find out
		resp, err := newTransport(t, p, ramparthttp.WithBodyBuffer(6)).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 || s.requests.Load() != 1 || string(s.Bodies()[0]) != "abcdefg" {
			t.Fatalf("got %d after %d attempts, body %q", resp.StatusCode, s.requests.Load(), s.Bodies()[0])
		}
	})
}

func TestRetryAfterBothForms(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name   string
		code   int
		header string
		want   time.Duration
	}{
		{"503 delta-seconds", 503, "2", 2 * time.Second},
		{"429 delta-seconds", 429, "7", 7 * time.Second},
		{"503 HTTP-date", 503, start.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second},
		{"429 HTTP-date", 429, start.Add(4 * time.Second).Format(http.TimeFormat), 4 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			clock := rampart.NewManualClock(start)
			s := newServer(t, status(tc.code, "Retry-After", tc.header), status(200))
			// The backoff alone would retry at once: only the hint waits.
			p := newRetry(t, retry.Config{MaxAttempts: 2, Clock: clock})
			c := &http.Client{Transport: newTransport(t, p, ramparthttp.WithClock(clock))}
			done := make(chan *http.Response)
			go func() {
				resp, _ := get(t, c, s.URL)
				done <- resp
			}()
			for clock.Pending() == 0 {
				runtimeGosched()
			}
			due, _ := clock.NextDue()
			if got := due.Sub(start); got != tc.want {
				t.Fatalf("retry scheduled after %v, want %v", got, tc.want)
			}
			if s.requests.Load() != 1 {
				t.Fatalf("retried before the hint: %d attempts", s.requests.Load())
			}
			clock.Advance(tc.want)
			if resp := <-done; resp.StatusCode != 200 || s.requests.Load() != 2 {
				t.Fatalf("got %d after %d attempts", resp.StatusCode, s.requests.Load())
			}
		})
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	checkGoroutines(t)
	t.Run("by the policy's maximum", func(t *testing.T) {
		s := newServer(t, status(503, "Retry-After", "3600"), status(200))
		p := newRetry(t, retry.Config{MaxAttempts: 3, MaxRetryAfter: time.Minute})
		resp, _ := get(t, &http.Client{Transport: newTransport(t, p)}, s.URL)
		if resp.StatusCode != 503 || s.requests.Load() != 1 {
			t.Fatalf("got %d after %d attempts: an hour-long hint must end the call", resp.StatusCode, s.requests.Load())
		}
	})
	t.Run("by the context's deadline", func(t *testing.T) {
		s := newServer(t, status(429, "Retry-After", "20"), status(200))
		p := newRetry(t, retry.Config{MaxAttempts: 3})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
		resp, err := newTransport(t, p).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 429 || s.requests.Load() != 1 {
			t.Fatalf("got %d after %d attempts", resp.StatusCode, s.requests.Load())
		}
	})
	t.Run("huge values saturate", func(t *testing.T) {
		d, ok := ramparthttp.ParseRetryAfter("99999999999999999999999", time.Now())
		if !ok || d != time.Duration(1<<63-1) {
			t.Fatalf("got %v %v", d, ok)
		}
		d, ok = ramparthttp.ParseRetryAfter(time.Unix(0, 0).UTC().Format(http.TimeFormat), time.Now())
		if !ok || d != 0 {
			t.Fatalf("past date: got %v %v", d, ok)
		}
		for _, bad := range []string{"", "soon", "-1", "1.5"} {
			if _, ok := ramparthttp.ParseRetryAfter(bad, time.Now()); ok {
				t.Fatalf("%q accepted", bad)
			}
		}
	})
}

func TestRetryAfterFeedsTheBreaker(t *testing.T) {
	checkGoroutines(t)
	s := newServer(t, status(503, "Retry-After", "120"))
	b, err := circuitbreaker.New(circuitbreaker.Config{ConsecutiveFailures: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: newTransport(t, b)}
	get(t, c, s.URL)
	_, err = c.Get(s.URL)
	if !errors.Is(err, rampart.ErrRejected) {
		t.Fatalf("second call: %v, want a rejection", err)
	}
	// The breaker's default open period is far shorter; the server's hint
	// lengthens it, up to the breaker's cap.
	if d, ok := rampart.RetryAfter(err); !ok || d < 40*time.Second {
		t.Fatalf("rejection's hint = %v, want the server's hint, capped", d)
	}
	if s.requests.Load() != 1 {
		t.Fatalf("a rejected call reached the server")
	}
}

func TestRejectionSendsNothingAndClosesTheBody(t *testing.T) {
	checkGoroutines(t)
	s := newServer(t, status(200))
	b, _ := circuitbreaker.New(circuitbreaker.Config{})
	b.Open()
	req, body := newOnceRequest(t, s.URL, "x")
	resp, err := newTransport(t, b).RoundTrip(req)
	if resp != nil || !errors.Is(err, rampart.ErrRejected) || !errors.Is(err, circuitbreaker.ErrOpen) {
		t.Fatalf("got %v, %v", resp, err)
	}
	if s.requests.Load() != 0 || !body.closed.Load() {
		t.Fatalf("requests %d, body closed %v", s.requests.Load(), body.closed.Load())
	}
}

func TestCallerCancellationIsIgnored(t *testing.T) {
	checkGoroutines(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	b, _ := circuitbreaker.New(circuitbreaker.Config{ConsecutiveFailures: 1})
	p := rampart.Pipeline(newRetry(t, retry.Config{MaxAttempts: 3}), b)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	go func() { <-arrived; cancel() }()
	_, err := newTransport(t, p).RoundTrip(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if st := b.State(); st != circuitbreaker.StateClosed || s.requests.Load() != 1 {
		t.Fatalf("breaker %v after %d attempts: the caller's cancellation counted", st, s.requests.Load())
	}
}

func TestPerAttemptTimeoutLeavesTheWinningBodyReadable(t *testing.T) {
	checkGoroutines(t)
	more := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "head,")
		http.NewResponseController(w).Flush()
		<-more
		io.WriteString(w, "tail")
	})
	to, _ := timeout.New(timeout.Config{Timeout: time.Hour})
	p := rampart.Pipeline(newRetry(t, retry.Config{MaxAttempts: 2}), to)
	resp, err := (&http.Client{Transport: newTransport(t, p)}).Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The timeout policy cancelled its context when the attempt returned;
	// the body must still arrive whole.
	close(more)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "head,tail" {
		t.Fatalf("read %q, %v", b, err)
	}
}

func TestPerAttemptTimeoutBoundsTheAttempt(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(1000, 0))
	stuck := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select { // the first attempt hangs until its client gives up
		case <-r.Context().Done():
		case <-stuck:
		}
	}, status(200))
	defer close(stuck)
	to, _ := timeout.New(timeout.Config{Timeout: time.Second, Clock: clock})
	p := rampart.Pipeline(newRetry(t, retry.Config{MaxAttempts: 2}), to)
	done := make(chan *http.Response)
	go func() {
		resp, _ := get(t, &http.Client{Transport: newTransport(t, p)}, s.URL)
		done <- resp
	}()
	for s.requests.Load() == 0 || clock.Pending() == 0 {
		runtimeGosched()
	}
	clock.Advance(time.Second)
	if resp := <-done; resp.StatusCode != 200 || s.requests.Load() != 2 {
		t.Fatalf("got %d after %d attempts", resp.StatusCode, s.requests.Load())
	}
}

func TestHostPoliciesAreBounded(t *testing.T) {
	checkGoroutines(t)
	var built atomic.Int32
	newPolicy := func(host string) (rampart.Policy, error) {
		built.Add(1)
		return newRetry(t, retry.Config{MaxAttempts: 2}), nil
	}
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	tr, err := ramparthttp.NewTransport(base, ramparthttp.WithHostPolicies(newPolicy, 2))
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr}
	var servers []*server
	for range 3 {
		servers = append(servers, newServer(t, status(200)))
	}
	for _, s := range servers {
		get(t, c, s.URL)
		get(t, c, s.URL)
	}
	if tr.Hosts() != 2 || built.Load() != 3 {
		t.Fatalf("hosts %d, built %d; want 2 kept of 3 built", tr.Hosts(), built.Load())
	}
	get(t, c, servers[0].URL) // evicted first, built again
	if built.Load() != 4 {
		t.Fatalf("built %d", built.Load())
	}
	failing := func(string) (rampart.Policy, error) { return nil, errors.New("no policy for you") }
	tr2, _ := ramparthttp.NewTransport(base, ramparthttp.WithHostPolicies(failing, 0))
	if _, err := (&http.Client{Transport: tr2}).Get(servers[0].URL); err == nil {
		t.Fatal("a policy error must fail the request")
	}
}

func TestNewTransportRejectsBadOptions(t *testing.T) {
	p := newRetry(t, retry.Config{})
	for name, opts := range map[string][]ramparthttp.Option{
		"none":     nil,
		"both":     {ramparthttp.WithPolicy(p), ramparthttp.WithHostPolicies(func(string) (rampart.Policy, error) { return p, nil }, 1)},
		"nil":      {ramparthttp.WithPolicy(p), nil},
		"buffer":   {ramparthttp.WithPolicy(p), ramparthttp.WithBodyBuffer(-1)},
		"maxHosts": {ramparthttp.WithHostPolicies(func(string) (rampart.Policy, error) { return p, nil }, -1)},
	} {
		if _, err := ramparthttp.NewTransport(nil, opts...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFailureHook(t *testing.T) {
	checkGoroutines(t)
	s := newServer(t, status(404), status(200))
	failed := func(resp *http.Response, err error) bool {
		return err != nil || resp.StatusCode == 404
	}
	c := &http.Client{Transport: newTransport(t, newRetry(t, retry.Config{MaxAttempts: 2}), ramparthttp.WithFailure(failed))}
	resp, _ := get(t, c, s.URL)
	if resp.StatusCode != 200 || s.requests.Load() != 2 {
		t.Fatalf("got %d after %d attempts", resp.StatusCode, s.requests.Load())
	}
}

func TestPanicInTheRuleClosesEverything(t *testing.T) {
	checkGoroutines(t)
	s := newServer(t, status(200))
	c := &http.Client{Transport: newTransport(t, newRetry(t, retry.Config{}),
		ramparthttp.WithFailure(func(*http.Response, error) bool { panic("bad rule") }))}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		c.Get(s.URL)
	}()
}

var _ = bytes.NewReader
