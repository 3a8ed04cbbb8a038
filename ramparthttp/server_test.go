package ramparthttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/bulkhead"
	"github.com/rampart-go/rampart/ramparthttp"
	"github.com/rampart-go/rampart/ratelimit"
)

// gate is a handler that holds each request until released, counting runs.
type gate struct {
	runs    atomic.Int32
	arrived chan string
	release chan struct{}
}

func newGate() *gate {
	return &gate{arrived: make(chan string, 16), release: make(chan struct{})}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.runs.Add(1)
	g.arrived <- r.Header.Get("X-Name")
	<-g.release
	io.WriteString(w, "served "+r.Header.Get("X-Name"))
}

type answer struct {
	code       int
	retryAfter string
	body       string
	err        error
}

func send(ctx context.Context, c *http.Client, url, name string, header ...string) <-chan answer {
	out := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("X-Name", name)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			out <- answer{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out <- answer{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b)}
	}()
	return out
}

func newBulkhead(t *testing.T, c bulkhead.Config) *bulkhead.Bulkhead {
	t.Helper()
	b, err := bulkhead.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func client(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func waitFor(cond func() bool) {
	for !cond() {
		runtimeGosched()
	}
}

// shedHolding starts a server that sheds through a bulkhead configured by
// bc, and one request that holds a slot until the gate is released.
func shedHolding(t *testing.T, bc bulkhead.Config) (*gate, *bulkhead.Bulkhead, *httptest.Server, *http.Client, <-chan answer) {
	g := newGate()
	b := newBulkhead(t, bc)
	s := httptest.NewServer(ramparthttp.Shed(b)(g))
	t.Cleanup(s.Close)
	c := client(t)
	holder := send(context.Background(), c, s.URL, "holder")
	<-g.arrived
	return g, b, s, c, holder
}

func TestShedAnswers503WithRetryAfter(t *testing.T) {
	checkGoroutines(t)
	g := newGate()
	b := newBulkhead(t, bulkhead.Config{MaxConcurrent: 1})
	s := httptest.NewServer(ramparthttp.Shed(b, ramparthttp.WithRetryAfter(1500*time.Millisecond))(g))
	defer s.Close()
	c := client(t)
	first := send(context.Background(), c, s.URL, "a")
	<-g.arrived
	a := <-send(context.Background(), c, s.URL, "b")
	if a.code != 503 || a.retryAfter != "2" {
		t.Fatalf("shed request: %+v, want 503 with Retry-After 2", a)
	}
	close(g.release)
	if a := <-first; a.code != 200 || a.body != "served a" {
		t.Fatalf("admitted request: %+v", a)
	}
	if g.runs.Load() != 1 {
		t.Fatalf("handler ran %d times", g.runs.Load())
	}
}

func TestShedServesCriticalTrafficLast(t *testing.T) {
	checkGoroutines(t)
	g, b, s, c, holder := shedHolding(t, bulkhead.Config{MaxConcurrent: 1, MaxQueue: 1})
	sheddable := send(context.Background(), c, s.URL, "batch", ramparthttp.PriorityHeader, "sheddable")
	waitFor(func() bool { return b.Snapshot().Queued == 1 })
	critical := send(context.Background(), c, s.URL, "checkout", ramparthttp.PriorityHeader, "Critical")
	if a := <-sheddable; a.code != 503 || a.retryAfter == "" {
		t.Fatalf("sheddable: %+v, want 503 with Retry-After", a)
	}
	// The critical request holds the queue: a default one is shed.
	if a := <-send(context.Background(), c, s.URL, "browse"); a.code != 503 {
		t.Fatalf("default: %+v", a)
	}
	close(g.release)
	if a := <-critical; a.code != 200 || a.body != "served checkout" {
		t.Fatalf("critical: %+v", a)
	}
	<-holder
	if a := <-send(context.Background(), c, s.URL, "x", ramparthttp.PriorityHeader, "urgent"); a.code != 400 {
		t.Fatalf("bad priority: %+v, want 400", a)
	}
}

func TestShedDropsRequestsWhoseClientHasGone(t *testing.T) {
	checkGoroutines(t)
	g, b, s, c, holder := shedHolding(t, bulkhead.Config{MaxConcurrent: 1, MaxQueue: 4})
	ctx, cancel := context.WithCancel(context.Background())
	gone := send(ctx, c, s.URL, "gone")
	waitFor(func() bool { return b.Snapshot().Queued == 1 })
	cancel()
	if a := <-gone; !errors.Is(a.err, context.Canceled) {
		t.Fatalf("client: %+v", a)
	}
	waitFor(func() bool { return b.Snapshot().Queued == 0 }) // the server noticed
	close(g.release)
	<-holder
	if a := <-send(context.Background(), c, s.URL, "next"); a.code != 200 {
		t.Fatalf("next: %+v", a)
	}
	if g.runs.Load() != 2 {
		t.Fatalf("handler ran %d times, want 2: the gone client's request must not run", g.runs.Load())
	}

	// A request whose context is already done never reaches the policy.
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	rec := httptest.NewRecorder()
	ramparthttp.Shed(b)(g).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil).WithContext(done))
	if g.runs.Load() != 2 || rec.Body.Len() != 0 {
		t.Fatal("handler ran for a request whose client had gone")
	}
}

// fixedLimiter allows each key n requests, then asks it to wait.
type fixedLimiter struct {
	mu   sync.Mutex
	n    int
	wait time.Duration
	seen map[string]int
}

func (l *fixedLimiter) AllowKey(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[key]++
	if l.seen[key] > l.n {
		return false, l.wait
	}
	return true, 0
}

func TestRateLimitAnswers429PerClient(t *testing.T) {
	checkGoroutines(t)
	l := &fixedLimiter{n: 2, wait: 2500 * time.Millisecond, seen: map[string]int{}}
	var runs atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { runs.Add(1) })
	key := func(r *http.Request) string { return r.Header.Get("X-Client") }
	s := httptest.NewServer(ramparthttp.RateLimit(l, key)(h))
	defer s.Close()
	c := client(t)
	for i, want := range []int{200, 200, 429} {
		if a := <-send(context.Background(), c, s.URL, "", "X-Client", "alice"); a.code != want {
			t.Fatalf("alice #%d: %+v, want %d", i+1, a, want)
		} else if want == 429 && a.retryAfter != "3" {
			t.Fatalf("Retry-After %q, want 3", a.retryAfter)
		}
	}
	if a := <-send(context.Background(), c, s.URL, "", "X-Client", "bob"); a.code != 200 {
		t.Fatalf("bob: %+v", a)
	}
	if runs.Load() != 3 {
		t.Fatalf("handler ran %d times", runs.Load())
	}
}

// The middleware with the real keyed limiter: each client has its own
// budget, and the 429's Retry-After is the limiter's wait rounded up.
func TestRateLimitWithKeyedLimiter(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	l, err := ratelimit.NewKeyed(ratelimit.KeyedConfig{Rate: 0.5, Burst: 2, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	var _ ramparthttp.KeyedLimiter = l
	var runs atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { runs.Add(1) })
	key := func(r *http.Request) string { return r.Header.Get("X-Client") }
	s := httptest.NewServer(ramparthttp.RateLimit(l, key)(h))
	defer s.Close()
	c := client(t)
	for i, want := range []int{200, 200, 429} {
		a := <-send(context.Background(), c, s.URL, "", "X-Client", "alice")
		if a.code != want {
			t.Fatalf("alice #%d: %+v, want %d", i+1, a, want)
		}
		if want == 429 && a.retryAfter != "2" {
			t.Fatalf("Retry-After %q, want 2 (one token every 2 s)", a.retryAfter)
		}
	}
	if a := <-send(context.Background(), c, s.URL, "", "X-Client", "bob"); a.code != 200 {
		t.Fatalf("bob shares alice's budget: %+v", a)
	}
	clock.Advance(2 * time.Second)
	if a := <-send(context.Background(), c, s.URL, "", "X-Client", "alice"); a.code != 200 {
		t.Fatalf("alice after her token is due: %+v", a)
	}
	if runs.Load() != 4 {
		t.Fatalf("handler ran %d times, want 4", runs.Load())
	}
}

func TestTimeoutAnswers503OnceAndFailsLateWrites(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	late := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Handler", "1")
		<-r.Context().Done()
		if !errors.Is(context.Cause(r.Context()), context.DeadlineExceeded) {
			late <- context.Cause(r.Context())
			return
		}
		_, err := io.WriteString(w, "too late")
		late <- err
	})
	s := httptest.NewServer(ramparthttp.Timeout(time.Second, ramparthttp.WithServerClock(clock))(h))
	defer s.Close()
	res := send(context.Background(), client(t), s.URL, "")
	waitFor(func() bool { return clock.Pending() == 1 })
	clock.Advance(time.Second)
	if err := <-late; !errors.Is(err, http.ErrHandlerTimeout) {
		t.Fatalf("late write: %v", err)
	}
	a := <-res
	if a.code != 503 || a.body != "Service Unavailable\n" {
		t.Fatalf("got %+v", a)
	}
}

func TestTimeoutLeavesAStartedResponseAlone(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "part one,")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the deadline passes mid-stream
		io.WriteString(w, "part two")
	})
	s := httptest.NewServer(ramparthttp.Timeout(time.Second, ramparthttp.WithServerClock(clock))(h))
	defer s.Close()
	resp, err := client(t).Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "part one,part two" {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
}

func TestTimeoutNotReached(t *testing.T) {
	checkGoroutines(t)
	clock := rampart.NewManualClock(time.Unix(0, 0))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Handler", "1")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "made")
	})
	s := httptest.NewServer(ramparthttp.Timeout(time.Second, ramparthttp.WithServerClock(clock))(h))
	defer s.Close()
	resp, err := client(t).Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || string(b) != "made" || resp.Header.Get("X-Handler") != "1" {
		t.Fatalf("got %d %q %v", resp.StatusCode, b, resp.Header)
	}
	if clock.Pending() != 0 {
		t.Fatal("timer left pending after the handler returned")
	}
	clock.Advance(time.Hour) // nothing fires, nothing races
}

func TestTimeoutUnderRace(t *testing.T) {
	checkGoroutines(t)
	// Real clock, a deadline that fires while handlers write: the writes
	// and the 503 must never overlap (run with -race).
	// The handler wakes at the deadline and writes at once, while the 503
	// may still be going out: the two must never mix.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		io.WriteString(w, "late")
	})
	s := httptest.NewServer(ramparthttp.Timeout(time.Millisecond)(h))
	defer s.Close()
	c := client(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get(s.URL)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !(resp.StatusCode == 503 && string(b) == "Service Unavailable\n") && !(resp.StatusCode == 200 && string(b) == "late") {
				t.Errorf("got %d %q: a mix of the 503 and the handler's response", resp.StatusCode, b)
			}
		}()
	}
	wg.Wait()
}
