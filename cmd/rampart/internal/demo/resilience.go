package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/fallback"
	"github.com/rampart-go/rampart/ramparthttp"
	"github.com/rampart-go/rampart/retry"
	"github.com/rampart-go/rampart/timeout"
)

// Protection is how the storefront guards its recommendations call; the
// values scale with the timeline so a compressed run behaves alike.
type Protection struct {
	AttemptTimeout time.Duration // per-attempt timeout
	Budget         time.Duration // overall timeout of the call, retries included
	BreakerOpenFor time.Duration // how long the breaker stays open before probing
	BreakerOpenMax time.Duration // the longest, when a Retry-After asks for more
	MaxStale       time.Duration // oldest cached recommendations still served
}

func defaultProtection(tl Timeline) Protection {
	return Protection{
		AttemptTimeout: 150 * time.Millisecond,
		Budget:         400 * time.Millisecond,
		BreakerOpenFor: tl.Scale(2*time.Second, 100*time.Millisecond),
		BreakerOpenMax: tl.Scale(4*time.Second, 200*time.Millisecond),
		MaxStale:       tl.Scale(5*time.Second, 500*time.Millisecond),
	}
}

// recsClient calls the recommendations service through a rampart pipeline:
//
//	last-good cache → popular items → overall timeout → HTTP client
//
// whose transport (ramparthttp) applies retry (with budget) → circuit
// breaker → per-attempt timeout to every request, reading the service's
// 503s and Retry-After itself; the section is hidden when no fallback can
// serve.
type recsClient struct {
	url         string
	client      *http.Client
	bestsellers map[string][]int
	policy      rampart.Policy
	breaker     *circuitbreaker.Breaker
	retry       *retry.Policy

	phase    func() Phase
	opened   atomic.Int64            // times the breaker opened
	openedIn [numPhases]atomic.Int64 // of which in each phase
}

type productKey struct{}

// errNoBestsellers is the popular-items fallback finding nothing to show.
var errNoBestsellers = errors.New("no bestsellers for this category")

func newRecsClient(url string, base http.RoundTripper, bestsellers map[string][]int, pr Protection, phase func() Phase) (*recsClient, error) {
	c := &recsClient{url: url, bestsellers: bestsellers, phase: phase}

	lastGood, err := fallback.LastGood[[]int](fallback.CacheConfig{Name: "last-good", MaxAge: pr.MaxStale})
	if err != nil {
		return nil, err
	}
	popular, err := fallback.Func(c.popular, fallback.Config{Name: "popular-items"})
	if err != nil {
		return nil, err
	}
	overall, err := timeout.New(timeout.Config{Name: "recs-budget", Timeout: pr.Budget})
	if err != nil {
		return nil, err
	}
	c.retry, err = retry.New(retry.Config{
		Name: "recs-retry",
		// Short waits for a page. The defaults do the rest: 3 attempts,
		// full jitter, a 10-token budget, and no retry of the breaker's
		// rejections, so a page never waits for an open breaker but
		// degrades at once.
		Backoff: retry.BackoffConfig{Base: 20 * time.Millisecond, Max: 100 * time.Millisecond},
	})
	if err != nil {
		return nil, err
	}
	c.breaker, err = circuitbreaker.New(circuitbreaker.Config{
		Name:                 "recs-breaker",
		FailureRateThreshold: 0.5,
		WindowSize:           20,
		MinimumCalls:         10,
		ConsecutiveFailures:  5,
		OpenDuration:         pr.BreakerOpenFor,
		MaxOpenDuration:      pr.BreakerOpenMax,
		// A 503 with Retry-After is the service shedding a surge: a
		// refusal, not a fault. Counted as failures, shedding half the
		// requests would open the breaker, and the storefront would stop
		// asking for the half the service still answers, fresh and fast.
		// A service that is down answers without one, or times out.
		Classifier: ramparthttp.ShedIsNoFault,
		Observers: []rampart.Observer{rampart.ObserverFunc(func(e rampart.Event) {
			if e.Kind == rampart.EventStateChange && e.To == circuitbreaker.StateOpen.String() {
				c.opened.Add(1)
				c.openedIn[c.phase()].Add(1)
			}
		})},
	})
	if err != nil {
		return nil, err
	}
	attempt, err := timeout.New(timeout.Config{Name: "recs-attempt", Timeout: pr.AttemptTimeout})
	if err != nil {
		return nil, err
	}
	tr, err := ramparthttp.NewTransport(base, ramparthttp.WithPolicy(rampart.Pipeline(c.retry, c.breaker, attempt)))
	if err != nil {
		return nil, err
	}
	c.client = &http.Client{Transport: tr}
	// The cache is tried before popular items, so it sits inside them:
	// popular items replace whatever failure the cache could not.
	c.policy = rampart.Pipeline(popular, lastGood, overall)
	return c, nil
}

// BreakerState returns the breaker's state: "closed", "open" or
// "half_open".
func (c *recsClient) BreakerState() string { return c.breaker.State().String() }

func (c *recsClient) popular(ctx context.Context, _ error) ([]int, error) {
	p, _ := ctx.Value(productKey{}).(Product)
	var out []int
	for _, id := range c.bestsellers[p.Category] {
		if id != p.ID {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil, errNoBestsellers
	}
	return out, nil
}

// recommend implements recommender.
func (c *recsClient) recommend(ctx context.Context, p Product) Recs {
	var rep fallback.Report
	ctx = fallback.WithReport(ctx, &rep)
	ctx = fallback.WithKey(ctx, strconv.Itoa(p.ID))
	ctx = context.WithValue(ctx, productKey{}, p)
	ids, err := rampart.Get(ctx, c.policy, func(ctx context.Context) ([]int, error) {
		return c.fetch(ctx, p.ID)
	})
	if err != nil {
		cause := err
		if rep.Cause != nil {
			cause = rep.Cause
		}
		return Recs{Source: Hidden, Cause: cause}
	}
	r := Recs{Items: lookup(ids), Source: Fresh}
	if rep.Used {
		r.Cause, r.Age = rep.Cause, rep.Age
		r.Source = Popular
		if rep.Source == fallback.SourceCache {
			r.Source = Cache
		}
	}
	return r
}

func lookup(ids []int) []Product {
	out := make([]Product, 0, len(ids))
	for _, id := range ids {
		if p, ok := productByID(id); ok {
			out = append(out, p)
		}
	}
	return out
}

// statusError is an HTTP answer other than 200.
type statusError struct{ code int }

func (e *statusError) Error() string { return "recommendations: HTTP " + strconv.Itoa(e.code) }

// fetch is a GET to the recommendations service. The transport has
// already retried what was worth retrying and honoured any Retry-After;
// an answer other than 200 is what it gave up on, a rejection by the
// breaker an error.
func (c *recsClient) fetch(ctx context.Context, id int) ([]int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/recommendations?product="+strconv.Itoa(id), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var err error = &statusError{code: resp.StatusCode}
		if d, ok := ramparthttp.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			err = rampart.WithRetryAfter(err, d)
		}
		return nil, err
	}
	var body recsBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("recommendations: %w", err)
	}
	return body.Items, nil
}
