package demo_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/cmd/rampart/internal/demo"
)

// TestStorefrontKeepsSellingThroughTheOutage plays the whole timeline,
// compressed to four seconds, on real loopback HTTP under load, and checks
// the summary's claims. The bounds of the claims that depend on the
// machine's speed (latencies, how soon pages are fresh again) are looser
// than the defaults, for slow machines and the race detector, but each
// still separates rampart from the unprotected call: without timeouts a
// slow answer takes 1.5s, so the p99 would pass a second; without load
// shedding the surge's requests queue for the service's workers until the
// storefront's 150ms per-attempt timeout, fifteen times a healthy answer's
// 4-12ms. The other claims hold however slow the machine: a busier machine
// only makes the surge's requests overlap more, so more are shed.
func TestStorefrontKeepsSellingThroughTheOutage(t *testing.T) {
	var progress strings.Builder
	d, err := demo.Start(demo.Config{
		Duration: 4 * time.Second,
		Seed:     1,
		Shoppers: 6, // enough load to trip the breaker, light enough for -race
		Progress: &progress,
		Limits: demo.Limits{
			MinPageSuccessRate:       0.99,
			MaxPageP99:               time.Second,
			MaxAttemptsPerOutagePage: 0.5,
			MaxRecovery:              time.Second, // of the 1.2s the service is healthy again
			MaxSurgeLatencyRatio:     8,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !s.OK {
		t.Errorf("claims failed:\n%s%s", progress.String(), text.String())
	}
	if len(s.Checks) != 7 {
		t.Errorf("%d checks, want 7", len(s.Checks))
	}

	// Every step of the chain served: fresh before and after; the cache,
	// popular items and hidden sections for the requests shed in the
	// surge, and through the outage. The surge sheds whatever the
	// machine's speed, so this does not depend on it.
	if s.RecsFresh == 0 || s.RecsCache == 0 || s.RecsPopular == 0 || s.RecsHidden == 0 {
		t.Errorf("recommendation sources fresh %d, cache %d, popular %d, hidden %d: want every one used",
			s.RecsFresh, s.RecsCache, s.RecsPopular, s.RecsHidden)
	}
	if got := s.RecsFresh + s.RecsCache + s.RecsPopular + s.RecsHidden; got > s.Pages {
		t.Errorf("%d recommendation sections for %d pages", got, s.Pages)
	}
	// The breaker still probed: attempts during the outage are few, not
	// none.
	if s.DownstreamAttemptsDuringOutage == 0 || s.BreakerOpened == 0 {
		t.Errorf("attempts during the outage %d, breaker opened %d times: want the breaker to open and probe",
			s.DownstreamAttemptsDuringOutage, s.BreakerOpened)
	}
	lines := strings.Count(progress.String(), "\n")
	if lines < 30 {
		t.Errorf("%d progress lines, want about one per tick (40):\n%s", lines, progress.String())
	}
	// Only the surge brought the service more than it could take.
	surge := s.Phases[1]
	if surge.Phase != "surge" || surge.RecsShed == 0 || surge.Pages <= s.Phases[0].Pages {
		t.Errorf("surge figures %+v, healthy %+v: want more pages than healthy, and some shed", surge, s.Phases[0])
	}
	if t.Failed() {
		t.Log(progress.String(), text.String())
	}
}

// TestSummaryJSONHasTheDocumentedFields pins the -json field names.
func TestSummaryJSONHasTheDocumentedFields(t *testing.T) {
	var b strings.Builder
	if err := (demo.Summary{Pages: 3, RecoverySeconds: 0.5}).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(b.String()), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pages", "page_success_rate", "page_p99_ms", "recs_fresh", "recs_cache", "recs_popular",
		"recs_hidden", "downstream_attempts_during_outage", "pages_during_outage", "recovery_seconds", "phases", "checks", "ok"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON summary lacks %q: %s", k, b.String())
		}
	}
	if m["pages"] != 3.0 || m["recovery_seconds"] != 0.5 {
		t.Errorf("JSON summary: pages %v, recovery_seconds %v; want 3, 0.5", m["pages"], m["recovery_seconds"])
	}
}
