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

	// Phases are the figures of each phase of the timeline, in order.
	Phases []PhaseFigures `json:"phases"`

	Checks []Check `json:"checks"`
	OK     bool    `json:"ok"`
}

// PhaseFigures are the figures of one phase of the timeline: the pages
// the shoppers started in it, and what the recommendations service saw.
type PhaseFigures struct {
	Phase           string  `json:"phase"`             // "healthy", "surge", ...
	Seconds         float64 `json:"seconds"`           // the phase's length
	Pages           int     `json:"pages"`             // pages started in the phase
	PageSuccessRate float64 `json:"page_success_rate"` // share of them answered 200, in [0, 1]
	RecsFresh       int     `json:"recs_fresh"`        // of which with fresh recommendations

	RecsRequests      int64   `json:"recs_requests"`        // requests that reached the recommendations service
	RecsShed          int64   `json:"recs_shed"`            // of which it shed (503 + Retry-After)
	RecsAnswered      int     `json:"recs_answered"`        // of which it answered 200
	RecsAdmittedP99Ms float64 `json:"recs_admitted_p99_ms"` // p99 latency of those, at the service, waiting for admission included
	BreakerOpened     int     `json:"breaker_opened"`       // times the storefront's breaker opened
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
	// MaxSurgeLatencyRatio: the p99 latency of the requests the
	// recommendations service admitted during the surge, over the same
	// while healthy. Without shedding, every request past its workers
	// would queue for one, and the ratio would grow with the surge.
	// Default 3.
	MaxSurgeLatencyRatio float64
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
	if l.MaxSurgeLatencyRatio == 0 {
		l.MaxSurgeLatencyRatio = 3
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// summarize computes the summary from every page view, what the
// recommendations service saw and the breaker's openings by phase, and
// checks it against lim.
func summarize(pages []pageRecord, tl Timeline, st recsStats, opened [numPhases]int, lim Limits) Summary {
	lim.fill(tl)
	s := Summary{Pages: len(pages)}
	for ph := range numPhases {
		s.DownstreamAttempts += st.Received[ph]
		s.BreakerOpened += opened[ph]
	}
	s.DownstreamAttemptsDuringOutage = st.Received[Slow] + st.Received[Failing]
	s.Phases = phaseFigures(pages, tl, st, opened)
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
		s.AttemptsPerPageDuringOutage = float64(s.DownstreamAttemptsDuringOutage) / float64(s.PagesDuringOutage)
	}
	s.RecoverySeconds = -1
	if r, ok := recovery(pages, tl.RecoveryStart()); ok {
		s.RecoverySeconds = r.Seconds()
	}
	healthy, surge := s.Phases[Healthy], s.Phases[Surge]

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
			Claim:    "recommendations shed load during the surge: requests shed",
			Measured: fmt.Sprintf("%d of %d", surge.RecsShed, surge.RecsRequests),
			Bound:    ">= 1",
			OK:       surge.RecsShed >= 1,
		},
		{
			Claim: "admitted latency stayed flat: recommendations p99 during the surge",
			Measured: fmt.Sprintf("%.1fms (%d answered; healthy %.1fms, %d answered)",
				surge.RecsAdmittedP99Ms, surge.RecsAnswered, healthy.RecsAdmittedP99Ms, healthy.RecsAnswered),
			Bound: fmt.Sprintf("<= %.3g × healthy = %.1fms", lim.MaxSurgeLatencyRatio, lim.MaxSurgeLatencyRatio*healthy.RecsAdmittedP99Ms),
			OK: healthy.RecsAnswered > 0 && surge.RecsAnswered > 0 &&
				surge.RecsAdmittedP99Ms <= lim.MaxSurgeLatencyRatio*healthy.RecsAdmittedP99Ms,
		},
		{
			Claim:    "breaker shed load: it opened during the outage",
			Measured: fmt.Sprintf("opened %d times", opened[Slow]+opened[Failing]),
			Bound:    ">= 1",
			OK:       opened[Slow]+opened[Failing] >= 1,
		},
		{
			Claim:    "downstream attempts stayed bounded: attempts per page during the outage",
			Measured: fmt.Sprintf("%.3f (%d attempts / %d pages)", s.AttemptsPerPageDuringOutage, s.DownstreamAttemptsDuringOutage, s.PagesDuringOutage),
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

// phaseFigures splits the run by phase of the timeline.
func phaseFigures(pages []pageRecord, tl Timeline, st recsStats, opened [numPhases]int) []PhaseFigures {
	out := make([]PhaseFigures, numPhases)
	var ok [numPhases]int
	for _, p := range pages {
		ph := tl.PhaseAt(p.at)
		out[ph].Pages++
		if p.ok {
			ok[ph]++
			if p.source == Fresh {
				out[ph].RecsFresh++
			}
		}
	}
	for ph := range numPhases {
		f := &out[ph]
		f.Phase = Phase(ph).String()
		f.Seconds = (tl.End(Phase(ph)) - tl.Start(Phase(ph))).Seconds()
		if f.Pages > 0 {
			f.PageSuccessRate = float64(ok[ph]) / float64(f.Pages)
		}
		f.RecsRequests, f.RecsShed, f.BreakerOpened = st.Received[ph], st.Shed[ph], opened[ph]
		lat := slices.Clone(st.Admitted[ph])
		slices.Sort(lat)
		f.RecsAnswered = len(lat)
		f.RecsAdmittedP99Ms = ms(percentile(lat, 0.99))
	}
	return out
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
	if len(s.Phases) > 0 {
		fmt.Fprintf(&b, "\n  %-9s %7s %6s %7s %6s   %9s %6s %8s %12s  %s\n", "phase", "length", "pages", "ok", "fresh", "recs reqs", "shed", "answered", "admitted p99", "breaker opened")
		for _, f := range s.Phases {
			fmt.Fprintf(&b, "  %-9s %6.1fs %6d %6.1f%% %6d   %9d %6d %8d %10.1fms  %d\n", f.Phase, f.Seconds, f.Pages, 100*f.PageSuccessRate, f.RecsFresh,
				f.RecsRequests, f.RecsShed, f.RecsAnswered, f.RecsAdmittedP99Ms, f.BreakerOpened)
		}
	}
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
