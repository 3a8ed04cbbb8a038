package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Source is where the recommendations on a page came from.
type Source uint8

const (
	// Fresh: the recommendations service answered.
	Fresh Source = iota
	// Cache: the last good answer for this product, not older than the
	// staleness bound.
	Cache
	// Popular: the bestsellers of the product's category.
	Popular
	// Hidden: nothing fit, so the page left the section out.
	Hidden
	numSources
)

var sourceNames = [...]string{Fresh: "fresh", Cache: "cache", Popular: "popular", Hidden: "hidden"}

// String returns "fresh", "cache", "popular" or "hidden".
func (s Source) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return "source?"
}

func parseSource(s string) (Source, bool) {
	for i, n := range sourceNames {
		if n == s {
			return Source(i), true
		}
	}
	return 0, false
}

// Recs is the recommendations section of a page.
type Recs struct {
	Items  []Product
	Source Source
	Age    time.Duration // for Cache: how old the answer is
	Cause  error         // for every source but Fresh: the failure it replaced
}

// recommender fetches the recommendations for product p under whatever
// protection it has; it never fails, it degrades.
type recommender func(ctx context.Context, p Product) Recs

// storefront serves product pages. The core journey is the catalog call: if
// it fails, the page fails. The recommendations call must never fail the
// page.
type storefront struct {
	catalogURL string
	client     *http.Client
	recommend  recommender
	status     func() pageStatus // breaker state and phase, shown on the page
	controls   bool              // show the phase controls (serve mode)
	maxStale   time.Duration     // shown on the page
	setPhase   func(Phase)
}

// pageStatus is what the page shows about the system around it.
type pageStatus struct {
	Breaker string
	Phase   Phase
	Shed    int64 // requests the recommendations service has shed so far
}

// errCatalog is the core journey failing.
var errCatalog = errors.New("catalog unavailable")

func (s *storefront) product(ctx context.Context, id int) (Product, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.catalogURL+"/products/"+strconv.Itoa(id), nil)
	if err != nil {
		return Product{}, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return Product{}, fmt.Errorf("%w: %v", errCatalog, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Product{}, fmt.Errorf("%w: HTTP %d", errCatalog, resp.StatusCode)
	}
	var p Product
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return Product{}, fmt.Errorf("%w: %v", errCatalog, err)
	}
	return p, nil
}

func (s *storefront) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/product/1", http.StatusFound)
	})
	mux.HandleFunc("GET /product/{id}", s.page)
	if s.controls {
		mux.HandleFunc("POST /phase", func(w http.ResponseWriter, r *http.Request) {
			for i, n := range phaseNames {
				if n == r.FormValue("phase") && Phase(i) != Surge {
					s.setPhase(Phase(i))
				}
			}
			back := localPath(r.FormValue("back"))
			http.Redirect(w, r, back, http.StatusSeeOther)
		})
	}
	return mux
}

func (s *storefront) page(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	if _, ok := productByID(id); !ok {
		http.NotFound(w, r)
		return
	}
	p, err := s.product(r.Context(), id)
	if err != nil {
		http.Error(w, "product page unavailable: "+err.Error(), http.StatusBadGateway)
		return
	}
	recs := s.recommend(r.Context(), p)
	w.Header().Set("X-Recs-Source", recs.Source.String())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTemplate.Execute(w, pageData{
		Product:  p,
		Recs:     recs,
		Status:   s.status(),
		Controls: s.controls,
		Phases:   controlPhases,
		Path:     r.URL.Path,
		MaxStale: s.maxStale,
	})
}

// controlPhases are the phases the page's controls can set: a surge is
// shoppers, not a state of the service, so it has no button.
var controlPhases = []string{Healthy.String(), Slow.String(), Failing.String(), Recovered.String()}

// localPath returns p if it is a path on this server, "/" otherwise: a
// redirect never leaves for another host ("//example.com", "/\example.com",
// "https://example.com").
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(p, "/") ||
		strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
		return "/"
	}
	return p
}
