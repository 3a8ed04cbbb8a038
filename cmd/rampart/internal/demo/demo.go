package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/bulkhead"
	"github.com/rampart-go/rampart/ramparthttp"
)

// RecsMaxWait is the longest a request waits for admission to the
// recommendations service before it is shed: a few milliseconds, about one
// healthy answer, so an admitted request's latency stays flat however many
// arrive.
const RecsMaxWait = 5 * time.Millisecond

// DefaultDuration is the length of the default timeline.
const DefaultDuration = 40 * time.Second

// Config configures a demo run. The zero value of every field means its
// default.
type Config struct {
	// Duration is the length of the fault timeline. Default 40s.
	Duration time.Duration
	// Seed seeds the shoppers' choices and the services' jitter.
	Seed uint64
	// Shoppers is the number of simulated shoppers. Default 12.
	Shoppers int
	// Think is the mean pause of a shopper between two pages. Default 60ms.
	Think time.Duration
	// Tick is the reporting interval. Default Duration/40 (one second for
	// the default timeline).
	Tick time.Duration
	// Progress receives one line per tick; nil means none.
	Progress io.Writer
	// Controls adds buttons to the page that set the recommendations
	// service's health by hand, for serve mode.
	Controls bool
	// Limits are the bounds the summary checks.
	Limits Limits
	// Addr is the storefront's listen address, host:port. Empty means a
	// free port on loopback; the catalog and recommendations services
	// always take one.
	Addr string
}

// Demo is a running storefront with its catalog and recommendations
// services, all on loopback.
type Demo struct {
	cfg      Config
	timeline Timeline
	prot     Protection

	catalog       *catalog
	recs          *recsService
	recsAdmission *bulkhead.Bulkhead // the recommendations service's load shedding
	client        *recsClient
	transport     *http.Transport // shared by the storefront's clients
	servers       []*http.Server
	stop          chan struct{}  // closed by Close: ends slow answers at once
	wg            sync.WaitGroup // the servers' Serve loops
	active        handlers       // requests being handled

	start    atomic.Pointer[time.Time] // set by Run: the timeline's origin
	override atomic.Int32              // 1+Phase when set by hand, 0 when following the timeline

	storefrontURL, catalogURL, recsURL string
}

// Start starts the three services on free loopback ports.
func Start(cfg Config) (*Demo, error) {
	switch {
	case cfg.Duration < 0:
		return nil, fmt.Errorf("demo: invalid config: Duration must be >= 0, got %v", cfg.Duration)
	case cfg.Shoppers < 0:
		return nil, fmt.Errorf("demo: invalid config: Shoppers must be >= 0, got %d", cfg.Shoppers)
	case cfg.Think < 0:
		return nil, fmt.Errorf("demo: invalid config: Think must be >= 0, got %v", cfg.Think)
	case cfg.Tick < 0:
		return nil, fmt.Errorf("demo: invalid config: Tick must be >= 0, got %v", cfg.Tick)
	}
	if cfg.Duration == 0 {
		cfg.Duration = DefaultDuration
	}
	if cfg.Shoppers == 0 {
		cfg.Shoppers = 12
	}
	if cfg.Think == 0 {
		cfg.Think = 60 * time.Millisecond
	}
	if cfg.Tick == 0 {
		cfg.Tick = cfg.Duration / 40
	}
	d := &Demo{cfg: cfg, timeline: Timeline{Total: cfg.Duration}, stop: make(chan struct{})}
	d.prot = defaultProtection(d.timeline)
	d.cfg.Limits.fill(d.timeline)

	d.catalog = newCatalog(cfg.Seed, d.stop)
	var err error
	if d.catalogURL, err = d.serve(d.catalog.handler()); err != nil {
		return nil, d.closeWith(err)
	}
	// Slow answers take ten times the per-attempt timeout.
	workers := recsWorkers(cfg.Shoppers)
	d.recs = newRecsService(cfg.Seed, d.Phase, 10*d.prot.AttemptTimeout, workers, d.stop)
	// The service sheds what it cannot take: as many requests at once as
	// it has workers, as many more waiting at most RecsMaxWait, 503 with
	// Retry-After beyond. Admitting more would only queue them for a
	// worker, and every answer would be slower.
	if d.recsAdmission, err = bulkhead.New(bulkhead.Config{
		Name: "recs-admission", MaxConcurrent: workers, MaxQueue: workers, MaxWait: RecsMaxWait,
		Observers: []rampart.Observer{rampart.ObserverFunc(func(e rampart.Event) {
			if e.Kind == rampart.EventRejected {
				d.recs.noteShed()
			}
		})},
	}); err != nil {
		return nil, d.closeWith(err)
	}
	if d.recsURL, err = d.serve(d.recs.handler(ramparthttp.Shed(d.recsAdmission))); err != nil {
		return nil, d.closeWith(err)
	}

	d.transport = &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	client := &http.Client{Transport: d.transport}
	best, err := fetchBestsellers(client, d.catalogURL)
	if err != nil {
		return nil, d.closeWith(err)
	}
	if d.client, err = newRecsClient(d.recsURL, d.transport, best, d.prot, d.Phase); err != nil {
		return nil, d.closeWith(err)
	}
	sf := &storefront{
		catalogURL: d.catalogURL,
		client:     client,
		recommend:  d.client.recommend,
		status: func() pageStatus {
			return pageStatus{Breaker: d.client.BreakerState(), Phase: d.Phase(), Shed: d.recs.Shed()}
		},
		controls: cfg.Controls,
		maxStale: d.prot.MaxStale,
		setPhase: func(p Phase) { d.override.Store(int32(p) + 1) },
	}
	if d.storefrontURL, err = d.serveAt(cfg.Addr, sf.handler()); err != nil {
		return nil, d.closeWith(err)
	}
	return d, nil
}

func fetchBestsellers(client *http.Client, catalogURL string) (map[string][]int, error) {
	resp, err := client.Get(catalogURL + "/bestsellers")
	if err != nil {
		return nil, fmt.Errorf("demo: loading bestsellers: %w", err)
	}
	defer resp.Body.Close()
	var best map[string][]int
	if err := json.NewDecoder(resp.Body).Decode(&best); err != nil {
		return nil, fmt.Errorf("demo: loading bestsellers: %w", err)
	}
	return best, nil
}

// serve serves h on a free loopback port and returns its base URL.
func (d *Demo) serve(h http.Handler) (string, error) { return d.serveAt("", h) }

// serveAt serves h on addr (a free loopback port if empty) and returns its
// base URL.
func (d *Demo) serveAt(addr string, h http.Handler) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	srv := &http.Server{Handler: d.active.track(h), ReadHeaderTimeout: 5 * time.Second, ErrorLog: discardLog}
	d.servers = append(d.servers, srv)
	d.wg.Go(func() { _ = srv.Serve(ln) })
	return "http://" + ln.Addr().String(), nil
}

// URL returns the storefront's base URL.
func (d *Demo) URL() string { return d.storefrontURL }

// Timeline returns the fault timeline the demo follows.
func (d *Demo) Timeline() Timeline { return d.timeline }

// Protection returns the settings guarding the recommendations call.
func (d *Demo) Protection() Protection { return d.prot }

// Phase returns the recommendations service's current health: set by hand,
// or following the timeline once Run has started (healthy before).
func (d *Demo) Phase() Phase {
	if o := d.override.Load(); o != 0 {
		return Phase(o - 1)
	}
	s := d.start.Load()
	if s == nil {
		return Healthy
	}
	return d.timeline.PhaseAt(time.Since(*s))
}

// Close stops the services and waits for them.
func (d *Demo) Close() error { return d.closeWith(nil) }

func (d *Demo) closeWith(err error) error {
	select {
	case <-d.stop:
		return err
	default:
	}
	close(d.stop)
	// Close rather than Shutdown: the shoppers are gone, and Shutdown
	// waits seconds for connections dialled but never used.
	for _, s := range d.servers {
		_ = s.Close()
	}
	d.wg.Wait()
	d.active.closeAndWait()
	if d.transport != nil {
		d.transport.CloseIdleConnections()
	}
	return err
}

var discardLog = log.New(io.Discard, "", 0)
