package demo

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// workers is the recommendations service's finite capacity: a fixed number
// of workers, each serving one request at a time. A request that finds
// every worker busy waits for one, so past capacity its latency grows with
// the number waiting: without load shedding in front, a surge would make
// every answer slower.
type workers struct{ busy chan struct{} }

func newWorkers(n int) *workers { return &workers{busy: make(chan struct{}, n)} }

// acquire waits for a free worker and returns its release. ok is false,
// and nothing is held, if ctx is done or stop is closed first.
func (w *workers) acquire(ctx context.Context, stop <-chan struct{}) (release func(), ok bool) {
	select {
	case w.busy <- struct{}{}:
		return func() { <-w.busy }, true
	case <-ctx.Done():
		return nil, false
	case <-stop:
		return nil, false
	}
}

// sleep waits for d; false if ctx is done or stop is closed first.
func sleep(ctx context.Context, d time.Duration, stop <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}

// recsWorkers is how many workers the recommendations service has for a
// given number of shoppers: enough for the usual load with room to spare
// (a shopper spends about a tenth of its time waiting for the
// recommendations), but not for SurgeFactor times as many shoppers.
func recsWorkers(shoppers int) int { return max(1, (shoppers+2)/3) }

// recsWork is how long a worker spends on a healthy request: 4 to 12ms.
func (s *recsService) recsWork() time.Duration { return time.Duration(4+s.draw(9)) * time.Millisecond }

// recsStats is what the recommendations service saw, by phase.
type recsStats struct {
	Received [numPhases]int64           // requests that reached the service, shed ones included
	Shed     [numPhases]int64           // of which refused by its load shedding (503 + Retry-After)
	Admitted [numPhases][]time.Duration // latency of each request answered 200: its queueing, then its work
}

// recsService is the recommendations service ("customers also bought"). Its
// health follows the phase it is given: healthy answers take a few
// milliseconds of a worker's time (see workers), slow takes slowLatency (far
// beyond the storefront's per-attempt timeout), failing answers 503 at
// once, every third time with a Retry-After.
//
// The latency of a healthy answer is measured as the service's own: the
// time from the request's arrival (before load shedding) until a worker
// takes it up, by the wall clock, plus the work the worker was given. The
// work is simulated by a timer, and a busy machine wakes timers late;
// that delay is the machine's, not the service's, so it is left out.
type recsService struct {
	phase       func() Phase
	slowLatency time.Duration
	stop        <-chan struct{}
	workers     *workers

	received [numPhases]atomic.Int64 // requests received, by phase
	shed     [numPhases]atomic.Int64 // requests shed, by phase
	total    atomic.Int64

	mu       sync.Mutex
	rnd      *rand.Rand
	admitted [numPhases][]time.Duration // guarded by mu
}

func newRecsService(seed uint64, phase func() Phase, slowLatency time.Duration, nworkers int, stop <-chan struct{}) *recsService {
	return &recsService{phase: phase, slowLatency: slowLatency, stop: stop, workers: newWorkers(nworkers), rnd: rand.New(rand.NewPCG(seed, 0x7ec5))}
}

// Attempts returns how many requests reached the service in total.
func (s *recsService) Attempts() int64 { return s.total.Load() }

// Shed returns how many requests the service shed in total.
func (s *recsService) Shed() int64 {
	var n int64
	for i := range s.shed {
		n += s.shed[i].Load()
	}
	return n
}

// noteShed counts a request refused by the service's load shedding.
func (s *recsService) noteShed() { s.shed[s.phase()].Add(1) }

// Stats returns what the service saw so far, by phase.
func (s *recsService) Stats() recsStats {
	var st recsStats
	for i := range st.Received {
		st.Received[i] = s.received[i].Load()
		st.Shed[i] = s.shed[i].Load()
	}
	s.mu.Lock()
	for i := range st.Admitted {
		st.Admitted[i] = slices.Clone(s.admitted[i])
	}
	s.mu.Unlock()
	return st
}

func (s *recsService) draw(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rnd.IntN(n)
}

func (s *recsService) noteAdmitted(ph Phase, d time.Duration) {
	s.mu.Lock()
	s.admitted[ph] = append(s.admitted[ph], d)
	s.mu.Unlock()
}

// related returns what the service recommends for product id: items of the
// same category first, then one from elsewhere.
func related(id int) []int {
	p, _ := productByID(id)
	var out []int
	for _, q := range products {
		if q.ID != id && q.Category == p.Category && len(out) < 3 {
			out = append(out, q.ID)
		}
	}
	return append(out, (id*7)%len(products)+1)
}

// arrivalKey marks a request's context with its arrival.
type arrivalKey struct{}

type arrival struct {
	phase Phase
	at    time.Time
}

// handler serves the recommendations behind admit, the service's load
// shedding: every request is counted and timed from its arrival, before
// admit, so the latency of an admitted request includes its wait for
// admission.
func (s *recsService) handler(admit func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /recommendations", s.recommendations)
	inner := admit(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ph := s.phase()
		s.received[ph].Add(1)
		s.total.Add(1)
		ctx := context.WithValue(r.Context(), arrivalKey{}, arrival{phase: ph, at: time.Now()})
		inner.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *recsService) recommendations(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.URL.Query().Get("product"))
	if _, ok := productByID(id); !ok {
		http.Error(w, "unknown product", http.StatusNotFound)
		return
	}
	switch s.phase() {
	case Slow:
		if !sleep(r.Context(), s.slowLatency, s.stop) {
			return
		}
	case Failing:
		if s.draw(3) == 0 {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, "recommendations failing", http.StatusServiceUnavailable)
		return
	default:
		release, ok := s.workers.acquire(r.Context(), s.stop)
		if !ok {
			return
		}
		a, timed := r.Context().Value(arrivalKey{}).(arrival)
		queued := time.Since(a.at)
		work := s.recsWork()
		done := sleep(r.Context(), work, s.stop)
		release()
		if !done {
			return
		}
		if timed {
			s.noteAdmitted(a.phase, queued+work)
		}
	}
	writeJSON(w, recsBody{Product: id, Items: related(id)})
}

// recsBody is the service's answer.
type recsBody struct {
	Product int   `json:"product"`
	Items   []int `json:"items"`
}
