package demo

import (
	"net/http"
	"sync"
)

// handlers counts the requests being handled, so Close can wait for every
// handler to return: http.Server.Close does not.
type handlers struct {
	mu     sync.Mutex
	n      int
	closed bool
	idle   chan struct{} // closed when n drops to 0 after closeAndWait
}

func (t *handlers) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !t.enter() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		defer t.leave()
		h.ServeHTTP(w, r)
	})
}

func (t *handlers) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.n++
	return true
}

func (t *handlers) leave() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
}

// closeAndWait refuses new requests and waits for those being handled.
func (t *handlers) closeAndWait() {
	t.mu.Lock()
	t.closed = true
	if t.n == 0 {
		t.mu.Unlock()
		return
	}
	idle := make(chan struct{})
	t.idle = idle
	t.mu.Unlock()
	<-idle
}
