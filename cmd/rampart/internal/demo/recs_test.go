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
