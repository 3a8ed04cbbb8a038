package ramparthttp_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/rampart-go/rampart/retry"
)

// block is the pattern's period: a prime length, so chunk boundaries and
// the period never line up.
var block = func() []byte {
	b := make([]byte, 65521)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}()

// pattern is a body of left bytes generated as it is read, never stored:
// block repeated.
type pattern struct{ off, left int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n := 0
	for n < len(b) {
		k := copy(b[n:], block[p.off%int64(len(block)):])
		n += k
		p.off += int64(k)
	}
	p.left -= int64(n)
	return n, nil
}

func (p *pattern) Close() error { return nil }

// TestStreamsALargeBodyThroughARetryWithBoundedMemory sends 1 GB (128 MB
// under the race detector), twice
// (the first attempt answers 503), and checks that the bytes on the wire
// are the generated ones while the memory allocated stays a small fraction
// of the body: the transport replays through GetBody and never buffers.
func TestStreamsALargeBodyThroughARetryWithBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 2 GB over loopback")
	}
	checkGoroutines(t)
	size := int64(1 << 30)
	if raceEnabled {
		size = 128 << 20 // the same path, at a size the race detector gets through
	}
	var requests, bad atomic.Int32
	var received atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		want := &pattern{left: size}
		buf, ref := make([]byte, 64<<10), make([]byte, 64<<10)
		var total int64
		for {
			k, err := io.ReadFull(r.Body, buf)
			if k > 0 {
				want.Read(ref[:k])
				if !bytes.Equal(buf[:k], ref[:k]) {
					bad.Add(1)
				}
				total += int64(k)
			}
			if err != nil {
				break
			}
		}
		received.Add(total)
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer s.Close()
	p := newRetry(t, retry.Config{MaxAttempts: 2})
	c := &http.Client{Transport: newTransport(t, p)}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPut, s.URL, &pattern{left: size})
	req.ContentLength = size
	req.Header.Set("Idempotency-Key", "upload-1")
	req.GetBody = func() (io.ReadCloser, error) { return &pattern{left: size}, nil }

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if resp.StatusCode != 200 || requests.Load() != 2 {
		t.Fatalf("got %d after %d attempts", resp.StatusCode, requests.Load())
	}
	if received.Load() != 2*size || bad.Load() != 0 {
		t.Fatalf("server received %d bytes, %d chunks differing", received.Load(), bad.Load())
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Fatalf("allocated %d MB while streaming %d MB twice: the body was buffered", alloc>>20, size>>20)
	} else {
		t.Logf("allocated %d KB while streaming %d MB twice", alloc>>10, size>>20)
	}
}
