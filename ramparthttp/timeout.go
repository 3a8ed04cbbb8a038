package ramparthttp

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/rampart-go/rampart/timeout"
)

// Timeout returns middleware that gives each request d to be answered. At
// the deadline it cancels the request's context (its cause matches
// [timeout.ErrTimeout] and [context.DeadlineExceeded]) and, if the handler
// has not started its response, answers 503 Service Unavailable at once,
// exactly once; the handler's later writes fail with
// [http.ErrHandlerTimeout]. A handler that has started its response keeps
// it: its context is cancelled and it is expected to stop.
//
// It differs from [http.TimeoutHandler] in four ways. The handler runs in
// the request's own goroutine, so nothing outlives ServeHTTP, and
// ServeHTTP returns when the handler does (the handler must watch its
// context to free the connection early; the client has its 503 at the
// deadline either way). The response is not buffered: it streams, and
// [http.Flusher] works. A streaming response already under way is never
// replaced by a 503. And every write, the 503's included, is serialized
// with the handler's under one lock, so they never race.
//
// d must be > 0; Timeout panics otherwise, as a programming error.
func Timeout(d time.Duration, opts ...ServerOption) func(http.Handler) http.Handler {
	if d <= 0 {
		panic("ramparthttp: Timeout: d must be > 0")
	}
	o := serverConfig(opts)
	cause := &timeout.Error{Policy: "ramparthttp", Timeout: d}
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithCancelCause(r.Context())
			tw := &timeoutWriter{w: w, h: make(http.Header)}
			fire := func() {
				// Answer first, then cancel: a handler that returns as
				// soon as its context ends must not beat the 503.
				tw.expire()
				cancel(cause)
			}
			var t interface{ Stop() bool }
			if o.clock == nil {
				t = time.AfterFunc(d, fire)
			} else {
				t = o.clock.AfterFunc(d, fire)
			}
			defer func() {
				t.Stop()
				tw.finish()
				cancel(context.Canceled)
			}()
			h.ServeHTTP(tw, r.WithContext(ctx))
		})
	}
}

// timeoutWriter serializes the handler's writes with the 503 sent at the
// deadline. The handler fills h; it reaches the client only with the
// handler's own response, never with the 503.
type timeoutWriter struct {
	w http.ResponseWriter
	h http.Header

	mu          sync.Mutex
	wroteHeader bool
	timedOut    bool
	done        bool
}

func (tw *timeoutWriter) Header() http.Header { return tw.h }

func (tw *timeoutWriter) WriteHeader(code int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.writeHeaderLocked(code)
}

func (tw *timeoutWriter) writeHeaderLocked(code int) {
	if tw.timedOut || tw.wroteHeader {
		return
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// An informational response: send it, the real one follows.
		copyHeader(tw.w.Header(), tw.h)
		tw.w.WriteHeader(code)
		return
	}
	tw.wroteHeader = true
	copyHeader(tw.w.Header(), tw.h)
	tw.w.WriteHeader(code)
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

func (tw *timeoutWriter) Write(b []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return 0, http.ErrHandlerTimeout
	}
	tw.writeHeaderLocked(http.StatusOK)
	return tw.w.Write(b)
}

// Flush implements [http.Flusher].
func (tw *timeoutWriter) Flush() {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return
	}
	tw.writeHeaderLocked(http.StatusOK)
	http.NewResponseController(tw.w).Flush()
}

// expire answers 503, unless the handler has started its response or has
// returned.
func (tw *timeoutWriter) expire() {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.done || tw.wroteHeader || tw.timedOut {
		return
	}
	tw.timedOut = true
	http.Error(tw.w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
	http.NewResponseController(tw.w).Flush()
}

// finish marks the handler as returned; after it, expire writes nothing.
func (tw *timeoutWriter) finish() {
	tw.mu.Lock()
	tw.done = true
	tw.mu.Unlock()
}
