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
// the summary's claims. The bounds are looser than the defaults, for slow
// machines and the race detector, but each still separates rampart from
// the unprotected call: without timeouts a slow answer takes 1.5s, so the
// p99 would pass a second; without the breaker every outage page would
// cost at least one attempt.
//
// The surge's two claims are not judged here: they need a machine fast
// enough to deliver five times the shoppers' pages, and a machine starved
// by other tests (three -race runs of this test at once on two cores) may
// deliver fewer pages in the surge than before it. The summary's judging
// of them is tested in TestSummaryJudgesTheSurge, the shedding itself in
// TestRecsServiceShedsPastItsWorkers.
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
	surgeClaims := map[string]bool{
		"recommendations shed load during the surge: requests shed":          true,
		"admitted latency stayed flat: recommendations p99 during the surge": true,
	}
	for _, c := range s.Checks {
		if !c.OK && !surgeClaims[c.Claim] {
			t.Errorf("claim failed: %s: %s (bound %s)", c.Claim, c.Measured, c.Bound)
		}
		delete(surgeClaims, c.Claim)
	}
	if len(s.Checks) != 7 || len(surgeClaims) != 0 {
		t.Errorf("%d checks, want 7, the surge's among them", len(s.Checks))
	}

	// Every step of the chain served: fresh before and after, the cache
	// early in the outage (and for requests shed in the surge), popular
	// items and hidden sections later.
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
	// The figures of each phase add up to the whole.
	pages, attempts, opened := 0, int64(0), 0
	for i, f := range s.Phases {
		pages, attempts, opened = pages+f.Pages, attempts+f.RecsRequests, opened+f.BreakerOpened
		if f.RecsShed > f.RecsRequests || int64(f.RecsAnswered) > f.RecsRequests || f.Phase != demo.Phase(i).String() {
			t.Errorf("phase %d figures %+v", i, f)
		}
	}
	if len(s.Phases) != 5 || pages != s.Pages || attempts != s.DownstreamAttempts || opened != s.BreakerOpened {
		t.Errorf("%d phases with %d pages, %d attempts, %d openings; summary %d, %d, %d",
			len(s.Phases), pages, attempts, opened, s.Pages, s.DownstreamAttempts, s.BreakerOpened)
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
