package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Run plays the fault timeline once under load from the shoppers, writes
// one line per tick to the Progress writer, and returns the summary with
// its claims checked. It returns early, with an error, if ctx is done.
func (d *Demo) Run(ctx context.Context) (Summary, error) {
	now := time.Now()
	if !d.start.CompareAndSwap(nil, &now) {
		return Summary{}, errors.New("demo: Run called twice")
	}
	rec := &recorder{start: now}
	loadCtx, cancel := context.WithDeadline(ctx, now.Add(d.cfg.Duration))
	defer cancel()
	sh := &shoppers{
		count:    d.cfg.Shoppers,
		surge:    (SurgeFactor - 1) * d.cfg.Shoppers,
		surgeAt:  now.Add(d.timeline.SurgeStart()),
		surgeFor: d.timeline.SurgeEnd() - d.timeline.SurgeStart(),
		seed:     d.cfg.Seed,
		baseURL:  d.storefrontURL,
		client:   &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}},
		think:    d.cfg.Think,
		recorder: rec,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sh.run(loadCtx)
	}()
	d.report(rec, done)
	<-done
	sh.client.CloseIdleConnections()
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}

	pages, _ := rec.from(0)
	var opened [numPhases]int
	for i := range opened {
		opened[i] = int(d.client.openedIn[i].Load())
	}
	s := summarize(pages, d.timeline, d.recs.Stats(), opened, d.cfg.Limits)
	s.Seed = d.cfg.Seed
	s.DurationSeconds = d.cfg.Duration.Seconds()
	return s, nil
}

// report writes one line per tick until done is closed.
func (d *Demo) report(rec *recorder, done <-chan struct{}) {
	w := d.cfg.Progress
	if w == nil {
		return
	}
	tl := d.timeline
	fmt.Fprintf(w, "storefront %s   catalog %s   recommendations %s\n", d.storefrontURL, d.catalogURL, d.recsURL)
	fmt.Fprintf(w, "recommendations timeline: healthy until %s, a surge of %d× the shoppers until %s (the service has %d workers; it sheds what they cannot take), slow until %s (answers take %s; the storefront waits %s per attempt), failing (HTTP 503) until %s, then healthy to %s\n",
		secs(tl.SurgeStart()), SurgeFactor, secs(tl.SurgeEnd()), cap(d.recs.workers.busy), secs(tl.FailingStart()), 10*d.prot.AttemptTimeout, d.prot.AttemptTimeout,
		secs(tl.RecoveryStart()), secs(tl.Total))
	fmt.Fprintf(w, "%7s  %-9s %6s %7s %8s  %6s %6s %7s %6s  %-9s %10s %7s\n", "time", "recs svc", "pages", "ok", "p99", "fresh", "cache", "popular", "hidden", "breaker", "attempts/s", "shed/s")
	t := time.NewTicker(d.cfg.Tick)
	defer t.Stop()
	seen, attempts, shed := 0, int64(0), int64(0)
	last := *d.start.Load()
	phase := d.Phase() // at the start of the tick: the phase its pages saw
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			var pages []pageRecord
			pages, seen = rec.from(seen)
			a, sh := d.recs.Attempts(), d.recs.Shed()
			var ok int
			var by [numSources]int
			lat := make([]time.Duration, 0, len(pages))
			for _, p := range pages {
				lat = append(lat, p.latency)
				if p.ok {
					ok++
					by[p.source]++
				}
			}
			rate, p99 := "-", "-"
			if len(pages) > 0 {
				rate = fmt.Sprintf("%.1f%%", 100*float64(ok)/float64(len(pages)))
				slices.Sort(lat)
				p99 = fmt.Sprintf("%.0fms", ms(percentile(lat, 0.99)))
			}
			dt := now.Sub(last).Seconds()
			fmt.Fprintf(w, "%7s  %-9s %6d %7s %8s  %6d %6d %7d %6d  %-9s %10.0f %7.0f\n",
				secs(now.Sub(*d.start.Load())), phase, len(pages), rate, p99,
				by[Fresh], by[Cache], by[Popular], by[Hidden], d.client.BreakerState(), float64(a-attempts)/dt, float64(sh-shed)/dt)
			attempts, shed, last, phase = a, sh, now, d.Phase()
		}
	}
}

// secs formats d in seconds, with a decimal only when it needs one.
func secs(d time.Duration) string {
	s := fmt.Sprintf("%.1f", d.Seconds())
	return strings.TrimSuffix(s, ".0") + "s"
}
