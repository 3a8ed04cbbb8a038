package demo

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Product is an item in the catalog.
type Product struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Category string `json:"category"`
	Cents    int    `json:"cents"`
}

// Price formats the product's price.
func (p Product) Price() string {
	return "$" + strconv.Itoa(p.Cents/100) + "." + strconv.Itoa(p.Cents%100/10) + strconv.Itoa(p.Cents%10)
}

// products is the whole store. Gift cards have no bestseller list, so a
// gift card page with no fresh or cached recommendations hides the section.
var products = []Product{
	{1, "Cast-iron skillet", "kitchen", 3900},
	{2, "Chef's knife", "kitchen", 5900},
	{3, "Pour-over kettle", "kitchen", 4500},
	{4, "Linen apron", "kitchen", 2400},
	{5, "Spice grinder", "kitchen", 2900},
	{6, "The Pragmatic Baker", "books", 2800},
	{7, "Release It!", "books", 4100},
	{8, "A Field Guide to Ferns", "books", 1900},
	{9, "Night Sky Atlas", "books", 3300},
	{10, "Trail runners", "outdoors", 12900},
	{11, "Two-person tent", "outdoors", 21900},
	{12, "Headlamp", "outdoors", 3400},
	{13, "Water filter", "outdoors", 4900},
	{14, "Merino socks", "outdoors", 1800},
	{15, "Studio headphones", "audio", 14900},
	{16, "Turntable", "audio", 29900},
	{17, "Bookshelf speakers", "audio", 18900},
	{18, "Vinyl cleaning kit", "audio", 2200},
	{19, "Gift card $25", "gift cards", 2500},
	{20, "Gift card $50", "gift cards", 5000},
}

func productByID(id int) (Product, bool) {
	if id < 1 || id > len(products) {
		return Product{}, false
	}
	return products[id-1], true
}

// bestsellers are the popular items per category, as the catalog reports
// them.
var bestsellers = map[string][]int{
	"kitchen":  {1, 2, 3},
	"books":    {7, 6, 9},
	"outdoors": {10, 12, 13},
	"audio":    {15, 17, 18},
}

// catalog is the core journey's service: product details and bestsellers.
// It stays healthy for the whole demo.
type catalog struct {
	stop <-chan struct{}
	mu   sync.Mutex
	rnd  *rand.Rand
}

func newCatalog(seed uint64, stop <-chan struct{}) *catalog {
	return &catalog{stop: stop, rnd: rand.New(rand.NewPCG(seed, 0xca7a109))}
}

// latency is a few milliseconds of simulated work.
func (c *catalog) latency() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Duration(1+c.rnd.IntN(4)) * time.Millisecond
}

func (c *catalog) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /products/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.PathValue("id"))
		p, ok := productByID(id)
		if !ok {
			http.NotFound(w, r)
			return
		}
		if !sleep(r.Context(), c.latency(), c.stop) {
			return
		}
		writeJSON(w, p)
	})
	mux.HandleFunc("GET /bestsellers", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, bestsellers)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
