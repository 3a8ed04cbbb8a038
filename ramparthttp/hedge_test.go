package ramparthttp_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/rampart-go/rampart"
)

// twin is a stand-in for a hedging policy: it runs two attempts at once,
// each on its own fork, and keeps the first that succeeds.
type twin struct{}

func (twin) Execute(ctx context.Context, next rampart.Next) error {
	type result struct {
		n   rampart.Next
		err error
	}
	out := make(chan result, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		f := next.Fork()
		actx := ctx
		if i == 1 {
			actx = rampart.WithAttempt(ctx, rampart.Attempt{Number: 2, Hedge: true})
		}
		wg.Go(func() { out <- result{f, f.Run(actx)} })
	}
	wg.Wait()
	close(out)
	var last error
	for r := range out {
		if r.err == nil {
			next.Adopt(r.n)
			return nil
		}
		last = r.err
	}
	return last
}

func TestConcurrentAttemptsCloseTheLoser(t *testing.T) {
	checkGoroutines(t)
	s := newServer(t, status(200))
	c := &http.Client{Transport: newTransport(t, twin{})}
	for range 3 {
		resp, body := get(t, c, s.URL)
		if resp.StatusCode != 200 || body != "OK" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	}
	if n := s.requests.Load(); n != 6 {
		t.Fatalf("requests = %d, want two per call", n)
	}
	// Both connections are reused call after call: the losing response
	// was drained and closed, not leaked.
	if n := s.conns.Load(); n > 2 {
		t.Fatalf("connections = %d, want at most 2", n)
	}
}

func TestConcurrentAttemptsNeverReplayAPost(t *testing.T) {
	checkGoroutines(t)
	s := newServer(t, status(200))
	c := &http.Client{Transport: newTransport(t, twin{})}
	resp, err := c.Post(s.URL, "text/plain", strings.NewReader("pay"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || s.requests.Load() != 1 {
		t.Fatalf("got %d after %d requests: a POST was sent twice", resp.StatusCode, s.requests.Load())
	}
}
