package bench_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/rampart-go/rampart/bench"
)

func BenchmarkHTTPClient(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	for _, s := range bench.HTTPClientSubjects() {
		b.Run("lib="+s.Lib, func(b *testing.B) {
			base := &http.Transport{}
			defer base.CloseIdleConnections()
			c := s.New(base)
			b.ReportAllocs()
			for b.Loop() {
				if code, err := bench.HTTPGet(c, srv.URL); err != nil || code != 200 {
					b.Fatalf("%s: %d %v", s.Lib, code, err)
				}
			}
		})
	}
}

// BenchmarkHTTPClientOverhead is the HTTPClient class without the network:
// every client wraps the same InstantTransport, so each row minus the
// nethttp row is what that library adds to a request.
func BenchmarkHTTPClientOverhead(b *testing.B) {
	const url = "http://rampart.invalid/"
	for _, s := range bench.HTTPClientSubjects() {
		b.Run("lib="+s.Lib, func(b *testing.B) {
			c := s.New(bench.InstantTransport{})
			b.ReportAllocs()
			for b.Loop() {
				if code, err := bench.HTTPGet(c, url); err != nil || code != 200 {
					b.Fatalf("%s: %d %v", s.Lib, code, err)
				}
			}
		})
	}
}

// TestHTTPClientRowsRetry checks that every retrying HTTPClient row really
// retries: a server that answers 503 twice and then 200 is asked three
// times and the caller gets the 200; and that the nethttp row, the floor,
// does not.
func TestHTTPClientRowsRetry(t *testing.T) {
	for _, s := range bench.HTTPClientSubjects() {
		t.Run(s.Lib, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) <= 2 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				io.WriteString(w, "ok")
			}))
			defer srv.Close()
			base := &http.Transport{}
			defer base.CloseIdleConnections()
			code, err := bench.HTTPGet(s.New(base), srv.URL)
			want, wantN := 200, int32(3)
			if s.Lib == "nethttp" {
				want, wantN = 503, 1
			}
			if err != nil || code != want || n.Load() != wantN {
				t.Fatalf("got %d, %v after %d requests; want %d after %d", code, err, n.Load(), want, wantN)
			}
		})
	}
}
