package demo

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// pageRecord is one page view as a shopper saw it.
type pageRecord struct {
	at      time.Duration // when the request started, since the demo began
	latency time.Duration
	ok      bool
	source  Source
}

// recorder collects page views from every shopper.
type recorder struct {
	start time.Time
	mu    sync.Mutex
	pages []pageRecord
}

func (r *recorder) add(p pageRecord) {
	r.mu.Lock()
	r.pages = append(r.pages, p)
	r.mu.Unlock()
}

// from returns the records added since the first n, and the new total.
func (r *recorder) from(n int) ([]pageRecord, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]pageRecord(nil), r.pages[n:]...), len(r.pages)
}

// shoppers is the load generator: a fixed number of simulated shoppers,
// each browsing product pages one after another with a short think time,
// until ctx is done. Everything stays on loopback.
type shoppers struct {
	count    int
	seed     uint64
	baseURL  string
	client   *http.Client
	think    time.Duration // mean pause between two pages of one shopper
	recorder *recorder
}

// weights makes some products more popular than others; gift cards get
// about one view in ten.
func productWeights() []int {
	w := make([]int, len(products))
	for i, p := range products {
		switch {
		case p.Category == "gift cards":
			w[i] = 4
		case i%5 == 0:
			w[i] = 8
		default:
			w[i] = 5
		}
	}
	return w
}

// run starts the shoppers and returns once they have all stopped, after ctx
// is done.
func (s *shoppers) run(ctx context.Context) {
	weights := productWeights()
	sum := 0
	for _, w := range weights {
		sum += w
	}
	var wg sync.WaitGroup
	for i := range s.count {
		rnd := rand.New(rand.NewPCG(s.seed, uint64(i)+1))
		wg.Go(func() { s.shop(ctx, rnd, weights, sum) })
	}
	wg.Wait()
}

func (s *shoppers) shop(ctx context.Context, rnd *rand.Rand, weights []int, sum int) {
	for {
		// Shoppers arrive spread over one think time rather than all at once.
		pause := time.Duration(rnd.Int64N(int64(2*s.think) + 1))
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		n := rnd.IntN(sum)
		id := 0
		for n >= weights[id] {
			n -= weights[id]
			id++
		}
		s.view(ctx, id+1)
	}
}

func (s *shoppers) view(ctx context.Context, id int) {
	start := time.Now()
	rec := pageRecord{at: start.Sub(s.recorder.start)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.baseURL+"/product/"+strconv.Itoa(id), nil)
	if err != nil {
		return
	}
	resp, err := s.client.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		rec.ok = resp.StatusCode == http.StatusOK
		rec.source, _ = parseSource(resp.Header.Get("X-Recs-Source"))
	}
	if ctx.Err() != nil {
		// The demo ended during the request: the shopper left, the
		// storefront did nothing wrong.
		return
	}
	rec.latency = time.Since(start)
	s.recorder.add(rec)
}
