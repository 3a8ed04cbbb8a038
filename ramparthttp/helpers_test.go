package ramparthttp_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/testutil"
	"github.com/rampart-go/rampart/ramparthttp"
	"github.com/rampart-go/rampart/retry"
)

// server is a loopback server that answers its n-th request with the n-th
// handler (the last one repeats), recording each request's body and
// counting the connections it accepts.
type server struct {
	*httptest.Server
	handlers []http.HandlerFunc
	requests atomic.Int32
	conns    atomic.Int32
	mu       sync.Mutex
	bodies   [][]byte
	methods  []string
}

func newServer(t *testing.T, handlers ...http.HandlerFunc) *server {
	t.Helper()
	s := &server{handlers: handlers}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(s.requests.Add(1)) - 1
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, b)
		s.methods = append(s.methods, r.Method)
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		s.handlers[min(i, len(s.handlers)-1)](w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *server) Bodies() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.bodies...)
}

func status(code int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, http.StatusText(code))
	}
}

// resetConn closes the connection without answering.
func resetConn(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// truncated promises a longer body than it sends, then drops the connection.
func truncated(w http.ResponseWriter, r *http.Request) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
	buf.Flush()
	conn.Close()
}

// zero is a backoff of no wait, so tests never wait on time.
var zero = retry.Constant(0)

func newRetry(t *testing.T, c retry.Config) *retry.Policy {
	t.Helper()
	if c.Strategy == nil && c.Backoff == (retry.BackoffConfig{}) {
		c.Strategy = zero
	}
	c.DisableBudget = c.Budget == nil
	p, err := retry.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newTransport(t *testing.T, p rampart.Policy, opts ...ramparthttp.Option) *ramparthttp.Transport {
	t.Helper()
	base := &http.Transport{}
	tr, err := ramparthttp.NewTransport(base, append([]ramparthttp.Option{ramparthttp.WithPolicy(p)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(base.CloseIdleConnections)
	return tr
}

// checkGoroutines fails the test if goroutines it started outlive it.
func checkGoroutines(t *testing.T) { t.Helper(); testutil.CheckGoroutines(t) }

func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func runtimeGosched() { runtime.Gosched() }
