package ramparthttp_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/retry"
)

// snapshot is what the RoundTripper contract says RoundTrip must not
// change in a request.
type snapshot struct {
	method, url string
	header      http.Header
	body        io.ReadCloser
	hasGetBody  bool
	length      int64
	ctx         context.Context
}

func snap(r *http.Request) snapshot {
	return snapshot{r.Method, r.URL.String(), r.Header.Clone(), r.Body, r.GetBody != nil, r.ContentLength, r.Context()}
}

func (s snapshot) same(o snapshot) bool {
	return s.method == o.method && s.url == o.url && maps.EqualFunc(s.header, o.header, func(a, b []string) bool {
		return strings.Join(a, "\x00") == strings.Join(b, "\x00")
	}) && s.body == o.body && s.hasGetBody == o.hasGetBody && s.length == o.length && s.ctx == o.ctx
}

// TestRoundTripperContractMatchesTheStandardTransport sends the same
// requests through a plain http.Transport and through the rampart
// transport, case by case, and checks both keep the contract the same way:
// a response if and only if a nil error, the request left as it was, the
// same status.
func TestRoundTripperContractMatchesTheStandardTransport(t *testing.T) {
	checkGoroutines(t)
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()
	cases := []struct {
		name    string
		handler http.HandlerFunc
		url     string
		method  string
	}{
		{"200", status(200), "", http.MethodGet},
		{"404", status(404), "", http.MethodGet},
		{"503", status(503), "", http.MethodGet},
		{"503 POST", status(503), "", http.MethodPost},
		{"reset", resetConn, "", http.MethodGet},
		{"reset POST", resetConn, "", http.MethodPost},
		{"truncated", truncated, "", http.MethodGet},
		{"refused", nil, refusedURL, http.MethodGet},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url
			if tc.handler != nil {
				url = newServer(t, tc.handler).URL
			}
			std := &http.Transport{}
			defer std.CloseIdleConnections()
			ours := newTransport(t, newRetry(t, retry.Config{MaxAttempts: 2}))
			type result struct {
				code int
				err  bool
			}
			var results []result
			for _, rt := range []http.RoundTripper{std, ours} {
				req, _ := http.NewRequest(tc.method, url+"/path?q=1", strings.NewReader("body"))
				req.Header.Set("X-Test", "1")
				before := snap(req)
				resp, err := rt.RoundTrip(req)
				if (resp == nil) == (err == nil) {
					t.Fatalf("%T: resp %v with err %v: want exactly one", rt, resp, err)
				}
				if !before.same(snap(req)) {
					t.Fatalf("%T modified the request", rt)
				}
				r := result{err: err != nil}
				if resp != nil {
					r.code = resp.StatusCode
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					resp.Body.Close() // a second Close is harmless
				}
				results = append(results, r)
			}
			if results[0] != results[1] {
				t.Fatalf("standard transport %+v, rampart %+v", results[0], results[1])
			}
		})
	}
}
