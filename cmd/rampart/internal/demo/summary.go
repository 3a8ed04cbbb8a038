package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Summary is the outcome of a demo run: what happened, and whether the
// claims held.
type Summary struct {
	Seed            uint64  `json:"seed"`             // the -seed of the run
	DurationSeconds float64 `json:"duration_seconds"` // the timeline's length

	Pages           int     `json:"pages"`             // product pages the shoppers viewed
	PageSuccessRate float64 `json:"page_success_rate"` // share of them answered 200, in [0, 1]
	PageP50Ms       float64 `json:"page_p50_ms"`       // median page latency
	PageP99Ms       float64 `json:"page_p99_ms"`       // 99th percentile page latency

	// Where the recommendations of the successful pages came from.
	RecsFresh   int `json:"recs_fresh"`
	RecsCache   int `json:"recs_cache"`
	RecsPopular int `json:"recs_popular"`
	RecsHidden  int `json:"recs_hidden"`

	DownstreamAttempts             int64   `json:"downstream_attempts"`               // requests that reached the recommendations service
	DownstreamAttemptsDuringOutage int64   `json:"downstream_attempts_during_outage"` // of which while it was slow or failing
	PagesDuringOutage              int     `json:"pages_during_outage"`               // pages started while it was slow or failing
	AttemptsPerPageDuringOutage    float64 `json:"attempts_per_page_during_outage"`   // the ratio of the two
	BreakerOpened                  int     `json:"breaker_opened"`                    // times the breaker opened

	// RecoverySeconds is how long after the service recovered the pages
	// were fresh again (from then on at least 90% of them); -1 if never.
	RecoverySeconds float64 `json:"recovery_seconds"`

	Checks []Check `json:"checks"`
	OK     bool    `json:"ok"`
}

// Check is one claim of the summary, with what was measured and the bound
// it had to meet.
type Check struct {
	Claim    string `json:"claim"`
	Measured string `json:"measured"`
	Bound    string `json:"bound"`
	OK       bool   `json:"ok"`
}

// Limits are the bounds the summary's claims are checked against.
type Limits struct {
	// MinPageSuccessRate: the core journey stays available. Default 0.99.
	MinPageSuccessRate float64
	// MaxPageP99: p99 page latency. Default 500ms.
	MaxPageP99 time.Duration
	// MaxAttemptsPerOutagePage: attempts reaching the failing service per
	// page served during the outage. Without a breaker every page would
	// cost at least one, up to three with retries. Default 0.25.
	MaxAttemptsPerOutagePage float64
	// MaxRecovery: how soon after the service recovers the pages are fresh
	// again. Default 5s, scaled with the timeline.
	MaxRecovery time.Duration
}

func (l *Limits) fill(tl Timeline) {
	if l.MinPageSuccessRate == 0 {
		l.MinPageSuccessRate = 0.99
	}
	if l.MaxPageP99 == 0 {
		l.MaxPageP99 = 500 * time.Millisecond
	}
	if l.MaxAttemptsPerOutagePage == 0 {
		l.MaxAttemptsPerOutagePage = 0.25
	}
	if l.MaxRecovery == 0 {
		l.MaxRecovery = tl.Scale(5*time.Second, 500*time.Millisecond)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// summarize computes the summary from every page view and the attempts the
// recommendations service saw, and checks it against lim.
func summarize(pages []pageRecord, tl Timeline, outageAttempts, attempts int64, opened int, lim Limits) Summary {
	lim.fill(tl)
	s := Summary{Pages: len(pages), DownstreamAttempts: attempts, DownstreamAttemptsDuringOutage: outageAttempts, BreakerOpened: opened}
	lat := make([]time.Duration, 0, len(pages))
	ok := 0
	for _, p := range pages {
		lat = append(lat, p.latency)
		if tl.PhaseAt(p.at).Outage() {
			s.PagesDuringOutage++
		}
		if !p.ok {
			continue
		}
		ok++
		switch p.source {
		case Fresh:
			s.RecsFresh++
		case Cache:
			s.RecsCache++
		case Popular:
			s.RecsPopular++
		case Hidden:
			s.RecsHidden++
		}
	}
	if len(pages) > 0 {
		s.PageSuccessRate = float64(ok) / float64(len(pages))
	}
	slices.Sort(lat)
	s.PageP50Ms = ms(percentile(lat, 0.50))
	s.PageP99Ms = ms(percentile(lat, 0.99))
	if s.PagesDuringOutage > 0 {
		s.AttemptsPerPageDuringOutage = float64(outageAttempts) / float64(s.PagesDuringOutage)
	}
	s.RecoverySeconds = -1
	if r, ok := recovery(pages, tl.RecoveryStart()); ok {
		s.RecoverySeconds = r.Seconds()
	}

	s.Checks = []Check{
		{
			Claim:    "core journey stayed available: page success rate",
			Measured: fmt.Sprintf("%.2f%%", 100*s.PageSuccessRate),
			Bound:    fmt.Sprintf(">= %.2f%%", 100*lim.MinPageSuccessRate),
			OK:       len(pages) > 0 && s.PageSuccessRate >= lim.MinPageSuccessRate,
		},
		{
			Claim:    "core journey stayed fast: p99 page latency",
			Measured: fmt.Sprintf("%.1fms", s.PageP99Ms),
			Bound:    "<= " + lim.MaxPageP99.String(),
			OK:       len(pages) > 0 && s.PageP99Ms <= ms(lim.MaxPageP99),
		},
		{
			Claim:    "breaker shed load: it opened during the outage",
			Measured: fmt.Sprintf("opened %d times", opened),
			Bound:    ">= 1",
			OK:       opened >= 1,
		},
		{
			Claim:    "downstream attempts stayed bounded: attempts per page during the outage",
			Measured: fmt.Sprintf("%.3f (%d attempts / %d pages)", s.AttemptsPerPageDuringOutage, outageAttempts, s.PagesDuringOutage),
			Bound:    fmt.Sprintf("<= %.2f", lim.MaxAttemptsPerOutagePage),
			OK:       s.PagesDuringOutage > 0 && s.AttemptsPerPageDuringOutage <= lim.MaxAttemptsPerOutagePage,
		},
		{
			Claim:    "recommendations fresh again after recovery",
			Measured: recoveryText(s.RecoverySeconds),
			Bound:    "<= " + lim.MaxRecovery.String(),
			OK:       s.RecoverySeconds >= 0 && s.RecoverySeconds <= lim.MaxRecovery.Seconds(),
		},
	}
	s.OK = true
	for _, c := range s.Checks {
		s.OK = s.OK && c.OK
	}
	return s
}

func recoveryText(sec float64) string {
	if sec < 0 {
		return "never"
	}
	return fmt.Sprintf("%.1fs", sec)
}

// percentile returns the q-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// recovery returns how long after from the recommendations were fresh
// again: the start of the earliest fresh page after which at least 90% of
// the pages were fresh.
func recovery(pages []pageRecord, from time.Duration) (time.Duration, bool) {
	after := make([]pageRecord, 0, len(pages))
	for _, p := range pages {
		if p.at >= from {
			after = append(after, p)
		}
	}
	slices.SortFunc(after, func(a, b pageRecord) int { return int(a.at - b.at) })
	fresh, total := 0, 0
	best, found := time.Duration(0), false
	for i := len(after) - 1; i >= 0; i-- {
		p := after[i]
		total++
		isFresh := p.ok && p.source == Fresh
		if isFresh {
			fresh++
		}
		if isFresh && fresh*100 >= total*90 {
			best, found = p.at, true
		}
	}
	return best - from, found
}

// WriteText writes the summary for people.
func (s Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nsummary (%.0fs, seed %d)\n", s.DurationSeconds, s.Seed)
	fmt.Fprintf(&b, "  pages %d, success %.2f%%, latency p50 %.1fms p99 %.1fms\n", s.Pages, 100*s.PageSuccessRate, s.PageP50Ms, s.PageP99Ms)
	fmt.Fprintf(&b, "  recommendations: fresh %d, cache %d, popular %d, hidden %d\n", s.RecsFresh, s.RecsCache, s.RecsPopular, s.RecsHidden)
	fmt.Fprintf(&b, "  recommendations service: %d attempts in all, %d during the outage for %d pages; breaker opened %d times\n",
		s.DownstreamAttempts, s.DownstreamAttemptsDuringOutage, s.PagesDuringOutage, s.BreakerOpened)
	b.WriteString("\nchecks\n")
	for _, c := range s.Checks {
		mark := "PASS"
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s  %s: %s (bound %s)\n", mark, c.Claim, c.Measured, c.Bound)
	}
	if s.OK {
		b.WriteString("\nall claims hold\n")
	} else {
		b.WriteString("\nsome claims failed\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the summary as one JSON object.
func (s Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}
