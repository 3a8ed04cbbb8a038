package demo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart/circuitbreaker"
)

// Past its workers, the service's latency grows with the queue: with 3
// workers and 9 requests of 10ms arriving at once, three finish after
// 10ms, three after 20ms, three after 30ms.
func TestWorkersQueuePastCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorkers(3)
		start := time.Now()
		var mu sync.Mutex
		done := map[time.Duration]int{}
		var wg sync.WaitGroup
		for range 9 {
			wg.Go(func() {
				release, ok := w.acquire(t.Context(), nil)
				if !ok {
					t.Error("acquire failed")
					return
				}
				sleep(t.Context(), 10*time.Millisecond, nil)
				release()
				mu.Lock()
				done[time.Since(start)]++
				mu.Unlock()
			})
		}
		wg.Wait()
		want := map[time.Duration]int{10 * time.Millisecond: 3, 20 * time.Millisecond: 3, 30 * time.Millisecond: 3}
		if len(done) != len(want) {
			t.Fatalf("finished at %v, want %v", done, want)
		}
		for d, n := range want {
			if done[d] != n {
				t.Errorf("finished at %v, want %v", done, want)
			}
		}
	})
}

// A request that leaves, or a demo that stops, while waiting for a worker
// holds none.
func TestWorkersWaitEndsWithTheRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorkers(1)
		release, ok := w.acquire(t.Context(), nil)
		if !ok {
			t.Fatal("acquire failed")
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
		defer cancel()
		if _, ok := w.acquire(ctx, nil); ok {
			t.Error("acquired a busy worker after the request left")
		}
		stop := make(chan struct{})
		close(stop)
		if _, ok := w.acquire(t.Context(), stop); ok {
			t.Error("acquired a busy worker after the demo stopped")
		}
		if sleep(t.Context(), time.Hour, stop) {
			t.Error("work went on after the demo stopped")
		}
		release()
		if r, ok := w.acquire(t.Context(), nil); !ok {
			t.Error("the freed worker is still busy")
		} else {
			r()
		}
	})
}

// There are enough workers for the usual shoppers, and SurgeFactor times
// as many keep more of them busy than there are.
func TestRecsWorkersScaleWithTheShoppers(t *testing.T) {
	for _, c := range []struct{ shoppers, want int }{{1, 1}, {2, 1}, {3, 1}, {4, 2}, {12, 4}, {20, 7}} {
		if got := recsWorkers(c.shoppers); got != c.want {
			t.Errorf("recsWorkers(%d) = %d, want %d", c.shoppers, got, c.want)
		}
	}
}

// The breaker counts a 503 with Retry-After, a request shed, as no fault:
// a service that sheds every request leaves it closed, while one that
// fails with plain 503s opens it. Both on real loopback servers.
func TestBreakerIgnoresShedRequests(t *testing.T) {
	for _, c := range []struct {
		name       string
		retryAfter string
		wantState  circuitbreaker.State
	}{
		{"shedding", "1", circuitbreaker.StateClosed},
		{"failing", "", circuitbreaker.StateOpen},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.retryAfter != "" {
					w.Header().Set("Retry-After", c.retryAfter)
				}
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
			}))
			defer srv.Close()
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			tl := Timeline{Total: DefaultDuration}
			client, err := newRecsClient(srv.URL, tr, bestsellers, defaultProtection(tl), func() Phase { return Surge })
			if err != nil {
				t.Fatal(err)
			}
			for range 30 {
				if r := client.recommend(t.Context(), products[0]); r.Source == Fresh {
					t.Fatal("fresh recommendations from a service that answers 503")
				}
			}
			if got := client.breaker.State(); got != c.wantState {
				t.Errorf("breaker %v after 30 pages, want %v", got, c.wantState)
			}
			if c.wantState == circuitbreaker.StateClosed && client.openedIn[Surge].Load() != 0 {
				t.Errorf("breaker opened %d times", client.openedIn[Surge].Load())
			}
		})
	}
}

// The service admits as many requests as it has workers and as many more
// for RecsMaxWait, and sheds the rest at once with 503 and Retry-After:
// with its only worker held, of twelve requests at once one is admitted
// (and waits for the worker), at most one more waits in the queue, and
// the others are shed, each counted. Real loopback HTTP.
func TestRecsServiceShedsPastItsWorkers(t *testing.T) {
	d, err := Start(Config{Shoppers: 3, Controls: true}) // one worker
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n := cap(d.recs.workers.busy); n != 1 {
		t.Fatalf("%d workers, want 1", n)
	}
	release, ok := d.recs.workers.acquire(t.Context(), nil)
	if !ok {
		t.Fatal("acquire failed")
	}
	const n = 12
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := http.Get(d.recsURL + "/recommendations?product=7")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			codes <- resp.StatusCode
		})
	}
	// Every request but the admitted one is answered while the worker is
	// still held: the queue's wait is bounded.
	shed := 0
	for shed < n-1 {
		if c := <-codes; c != http.StatusServiceUnavailable {
			t.Fatalf("HTTP %d while the worker is held, want 503", c)
		}
		shed++
	}
	release()
	wg.Wait()
	close(codes)
	if c := <-codes; c != http.StatusOK {
		t.Errorf("the admitted request: HTTP %d, want 200", c)
	}
	st := d.recs.Stats()
	if st.Received[Healthy] != n || st.Shed[Healthy] != n-1 || len(st.Admitted[Healthy]) != 1 {
		t.Errorf("service saw %d requests, shed %d, answered %d; want %d, %d, 1",
			st.Received[Healthy], st.Shed[Healthy], len(st.Admitted[Healthy]), n, n-1)
	}
}
