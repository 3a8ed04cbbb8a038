package demo

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// recsService is the recommendations service ("customers also bought"). Its
// health follows the phase it is given: healthy answers in a few
// milliseconds, slow takes slowLatency (far beyond the storefront's
// per-attempt timeout), failing answers 503 at once, every third time with
// a Retry-After.
type recsService struct {
	phase       func() Phase
	slowLatency time.Duration
	stop        <-chan struct{}

	attempts [len(phaseNames)]atomic.Int64 // requests received, by phase
	total    atomic.Int64

	mu  sync.Mutex
	rnd *rand.Rand
}

func newRecsService(seed uint64, phase func() Phase, slowLatency time.Duration, stop <-chan struct{}) *recsService {
	return &recsService{phase: phase, slowLatency: slowLatency, stop: stop, rnd: rand.New(rand.NewPCG(seed, 0x7ec5))}
}

// Attempts returns how many requests reached the service in total.
func (s *recsService) Attempts() int64 { return s.total.Load() }

// AttemptsIn returns how many requests reached the service during phase p.
func (s *recsService) AttemptsIn(p Phase) int64 { return s.attempts[p].Load() }

func (s *recsService) draw(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rnd.IntN(n)
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

func (s *recsService) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /recommendations", func(w http.ResponseWriter, r *http.Request) {
		ph := s.phase()
		s.attempts[ph].Add(1)
		s.total.Add(1)
		id, _ := strconv.Atoi(r.URL.Query().Get("product"))
		if _, ok := productByID(id); !ok {
			http.Error(w, "unknown product", http.StatusNotFound)
			return
		}
		switch ph {
		case Slow:
			if !wait(r, s.slowLatency, s.stop) {
				return
			}
		case Failing:
			if s.draw(3) == 0 {
				w.Header().Set("Retry-After", "1")
			}
			http.Error(w, "recommendations overloaded", http.StatusServiceUnavailable)
			return
		default:
			if !wait(r, time.Duration(2+s.draw(6))*time.Millisecond, s.stop) {
				return
			}
		}
		writeJSON(w, recsBody{Product: id, Items: related(id)})
	})
	return mux
}

// recsBody is the service's answer.
type recsBody struct {
	Product int   `json:"product"`
	Items   []int `json:"items"`
}
