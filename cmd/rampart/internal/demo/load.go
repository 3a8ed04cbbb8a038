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
// until ctx is done, joined by surge more for surgeFor from surgeAt.
// Everything stays on loopback.
type shoppers struct {
	count    int
	surge    int           // shoppers who come for the surge only
	surgeAt  time.Time     // when they arrive
	surgeFor time.Duration // how long they stay
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
	if s.surge > 0 {
		wg.Go(func() {
			if !pause(ctx, time.Until(s.surgeAt)) {
				return
			}
			surgeCtx, cancel := context.WithDeadline(ctx, s.surgeAt.Add(s.surgeFor))
			defer cancel()
			var surge sync.WaitGroup
			// They arrive over the first quarter of the surge, not all in
			// the same instant.
			ramp := int64(s.surgeFor / 4)
			for i := range s.surge {
				rnd := rand.New(rand.NewPCG(s.seed, uint64(s.count+i)+1))
				surge.Go(func() {
					if pause(surgeCtx, time.Duration(rnd.Int64N(ramp+1))) {
						s.shop(surgeCtx, rnd, weights, sum)
					}
				})
			}
			surge.Wait()
		})
	}
	wg.Wait()
}

func (s *shoppers) shop(ctx context.Context, rnd *rand.Rand, weights []int, sum int) {
	for {
		// Shoppers arrive spread over one think time rather than all at once.
		if !pause(ctx, time.Duration(rnd.Int64N(int64(2*s.think)+1))) {
			return
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

// pause waits for d; false if ctx is done first.
func pause(ctx context.Context, d time.Duration) bool { return sleep(ctx, d, nil) }

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
		// The demo (or the surge) ended during the request: the shopper
		// left, the storefront did nothing wrong.
		return
	}
	rec.latency = time.Since(start)
	s.recorder.add(rec)
}
