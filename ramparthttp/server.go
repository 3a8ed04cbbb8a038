package ramparthttp

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/rampart-go/rampart"
)

// PriorityHeader is the request header from which [Shed] reads a request's
// priority, by default: "sheddable", "default" or "critical" (see
// [rampart.ParsePriority]). Only trust it from callers you control, such as
// your own services behind a gateway that strips it from outside traffic.
const PriorityHeader = "Rampart-Priority"

// DefaultRetryAfter is the Retry-After sent with a rejection whose error
// carries no hint of its own.
const DefaultRetryAfter = time.Second

// ServerOption configures the server middleware.
type ServerOption interface{ applyServer(*serverOptions) }

type serverOptionFunc func(*serverOptions)

func (f serverOptionFunc) applyServer(o *serverOptions) { f(o) }

type serverOptions struct {
	priorityHeader string
	retryAfter     time.Duration
	clock          rampart.Clock
}

func serverConfig(opts []ServerOption) serverOptions {
	o := serverOptions{priorityHeader: PriorityHeader, retryAfter: DefaultRetryAfter}
	for _, opt := range opts {
		if opt != nil {
			opt.applyServer(&o)
		}
	}
	return o
}

// WithPriorityHeader names the header [Shed] reads priorities from; an
// empty name turns the reading off (every request then has the priority
// its context already carries).
func WithPriorityHeader(name string) ServerOption {
	return serverOptionFunc(func(o *serverOptions) { o.priorityHeader = name })
}

// WithRetryAfter sets the Retry-After sent with a rejection whose error
// carries no hint (default [DefaultRetryAfter]).
func WithRetryAfter(d time.Duration) ServerOption {
	return serverOptionFunc(func(o *serverOptions) { o.retryAfter = max(d, 0) })
}

// WithServerClock sets the clock [Timeout] measures with; nil means the
// real clock.
func WithServerClock(c rampart.Clock) ServerOption {
	return serverOptionFunc(func(o *serverOptions) { o.clock = c })
}

// ErrHandlerFailed is what [Shed]'s policy sees for a request whose handler
// answered with a 5xx status, so an adaptive limiter counts it as a drop.
var ErrHandlerFailed = errors.New("ramparthttp: handler answered 5xx")

// Shed returns middleware that admits each request through p, an admission
// policy such as a bulkhead or an adaptive limiter, and sheds what it
// refuses:
//
//   - a request whose client has already gone is dropped before the
//     handler runs, and nothing is written;
//   - the request's priority is read from [PriorityHeader] (see
//     [WithPriorityHeader]) into its context with [rampart.WithPriority], so
//     a policy that knows priorities sheds critical traffic last; a value
//     that is not a priority is answered 400;
//   - a rejection (an error matching [rampart.ErrRejected]) is answered 503
//     Service Unavailable with Retry-After, in whole seconds rounded up,
//     from [rampart.RetryAfter] or [WithRetryAfter]; so is any other error
//     the policy returns before the handler runs.
//
// A handler that answers 5xx is reported to p as [ErrHandlerFailed]. A nil
// p is a programming error: Shed panics.
func Shed(p rampart.Policy, opts ...ServerOption) func(http.Handler) http.Handler {
	if p == nil {
		panic("ramparthttp: Shed: nil policy")
	}
	o := serverConfig(opts)
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Context().Err() != nil {
				return // the client has gone: do no work for it
			}
			if o.priorityHeader != "" {
				if v := r.Header.Get(o.priorityHeader); v != "" {
					prio, err := rampart.ParsePriority(v)
					if err != nil {
						http.Error(w, "invalid "+o.priorityHeader+" header", http.StatusBadRequest)
						return
					}
					r = r.WithContext(rampart.WithPriority(r.Context(), prio))
				}
			}
			ran := false
			err := rampart.Do(r.Context(), p, func(ctx context.Context) error {
				if r.Context().Err() != nil {
					return r.Context().Err() // left while waiting for admission
				}
				ran = true
				rr := r
				if ctx != r.Context() {
					rr = r.WithContext(ctx)
				}
				sw := statusWriter{ResponseWriter: w}
				h.ServeHTTP(&sw, rr)
				if sw.status >= 500 {
					return ErrHandlerFailed
				}
				return nil
			})
			if ran || err == nil || r.Context().Err() != nil {
				return
			}
			reject(w, http.StatusServiceUnavailable, err, o.retryAfter)
		})
	}
}

// reject answers code with a Retry-After taken from err's hint, or def.
func reject(w http.ResponseWriter, code int, err error, def time.Duration) {
	d, ok := rampart.RetryAfter(err)
	if !ok || d <= 0 {
		d = def
	}
	writeRetryAfter(w, code, d)
}

func writeRetryAfter(w http.ResponseWriter, code int, d time.Duration) {
	secs := int64((d + time.Second - 1) / time.Second)
	if d > 0 && secs <= 0 { // overflow while rounding up
		secs = int64(time.Duration(1<<63-1) / time.Second)
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	http.Error(w, http.StatusText(code), code)
}

// statusWriter notes the status a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets [http.ResponseController] reach the server's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements [http.Flusher] when the server's writer does.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// KeyedLimiter is a rate limiter with one budget per key, such as
// ratelimit.Keyed: AllowKey reports whether a request for key may go now,
// and if not, how long until one may.
type KeyedLimiter interface {
	AllowKey(key string) (ok bool, retryAfter time.Duration)
}

// RateLimit returns middleware that limits each client through l, the
// client being whatever key returns for a request (an API key, a user, the
// remote address). A request over its client's limit is answered 429 Too
// Many Requests with Retry-After (whole seconds, rounded up; at least the
// default of [WithRetryAfter] when l gives no wait) and does not reach the
// handler. A nil l or key is a programming error: RateLimit panics.
func RateLimit(l KeyedLimiter, key func(*http.Request) string, opts ...ServerOption) func(http.Handler) http.Handler {
	if l == nil || key == nil {
		panic("ramparthttp: RateLimit: nil limiter or key function")
	}
	o := serverConfig(opts)
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ok, wait := l.AllowKey(key(r))
			if ok {
				h.ServeHTTP(w, r)
				return
			}
			if wait <= 0 {
				wait = o.retryAfter
			}
			writeRetryAfter(w, http.StatusTooManyRequests, wait)
		})
	}
}
