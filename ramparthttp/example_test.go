package ramparthttp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/bulkhead"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/ramparthttp"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/retry"
	"github.com/rampart-go/rampart/timeout"
)

func ExampleNewTransport() {
	// A server that fails its first request.
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "hello")
	}))
	defer srv.Close()

	// retry → circuit breaker → per-attempt timeout, in that order.
	r, _ := retry.New(retry.Config{MaxAttempts: 3})
	b, _ := circuitbreaker.New(circuitbreaker.Config{})
	t, _ := timeout.New(timeout.Config{Timeout: 2 * time.Second})
	tr, err := ramparthttp.NewTransport(http.DefaultTransport, ramparthttp.WithPolicy(rampart.Pipeline(r, b, t)))
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: tr}
	resp, err := client.Get(srv.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body), "after", n.Load(), "attempts")
	// Output: 200 hello after 2 attempts
}

func ExampleWithHostPolicies() {
	perHost := func(host string) (rampart.Policy, error) {
		// Each host gets its own breaker, so one failing host does not
		// cut the others off.
		return circuitbreaker.New(circuitbreaker.Config{Name: "breaker " + host})
	}
	tr, err := ramparthttp.NewTransport(nil, ramparthttp.WithHostPolicies(perHost, 100))
	if err != nil {
		panic(err)
	}
	_ = &http.Client{Transport: tr}
	fmt.Println(tr.Hosts())
	// Output: 0
}

func ExampleShed() {
	b, _ := bulkhead.New(bulkhead.Config{MaxConcurrent: 64, MaxQueue: 128})
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "priority "+rampart.PriorityFrom(r.Context()).String())
	})
	srv := httptest.NewServer(ramparthttp.Shed(b)(api))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set(ramparthttp.PriorityHeader, "critical")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 priority critical
}

func ExampleRateLimit() {
	// One request a minute per API key, a burst of one; the clock stands
	// still so the output does not depend on the machine.
	perClient, err := ratelimit.NewKeyed(ratelimit.KeyedConfig{
		Rate:  1.0 / 60,
		Clock: rampart.NewManualClock(time.Unix(0, 0)),
	})
	if err != nil {
		panic(err)
	}
	key := func(r *http.Request) string { return r.Header.Get("X-Api-Key") }
	h := ramparthttp.RateLimit(perClient, key)(http.NotFoundHandler())
	for _, apiKey := range []string{"k1", "k1", "k2"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Api-Key", apiKey)
		h.ServeHTTP(rec, req)
		fmt.Printf("%s: %d %q\n", apiKey, rec.Code, rec.Header().Get("Retry-After"))
	}
	// Output:
	// k1: 404 ""
	// k1: 429 "60"
	// k2: 404 ""
}

func ExampleTimeout() {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // a handler that watches its context
	})
	srv := httptest.NewServer(ramparthttp.Timeout(10 * time.Millisecond)(slow))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output: 503
}

func ExampleShedIsNoFault() {
	// A service that sheds load answers 503 with Retry-After.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer srv.Close()

	// The breaker counts those refusals for nothing: it stays closed and
	// keeps asking for what the service can still answer.
	b, _ := circuitbreaker.New(circuitbreaker.Config{
		ConsecutiveFailures: 2,
		Classifier:          ramparthttp.ShedIsNoFault,
	})
	tr, _ := ramparthttp.NewTransport(nil, ramparthttp.WithPolicy(b))
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for range 3 {
		resp, err := c.Get(srv.URL)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, b.State())
	}
	// Output:
	// 503 closed
	// 503 closed
	// 503 closed
}
