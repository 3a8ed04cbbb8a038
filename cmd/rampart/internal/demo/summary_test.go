package demo

import (
	"testing"
	"time"
)

func pagesAt(src Source, from, to, step time.Duration) []pageRecord {
	var out []pageRecord
	for at := from; at < to; at += step {
		out = append(out, pageRecord{at: at, ok: true, source: src, latency: time.Millisecond})
	}
	return out
}

func TestRecoveryIsWhenPagesStayFresh(t *testing.T) {
	tl := Timeline{Total: 10 * time.Second} // recovery at 7s
	ms := time.Millisecond
	var pages []pageRecord
	pages = append(pages, pagesAt(Popular, 0, 7500*ms, 100*ms)...)
	pages = append(pages, pagesAt(Fresh, 7500*ms, 10*time.Second, 100*ms)...)
	pages = append(pages, pageRecord{at: 8 * time.Second, ok: true, source: Cache}) // one straggler
	got, ok := recovery(pages, tl.RecoveryStart())
	if !ok || got != 500*ms {
		t.Errorf("recovery = %v, %v; want 500ms, true", got, ok)
	}
}

func TestRecoveryNeverWithoutFreshPages(t *testing.T) {
	tl := Timeline{Total: 10 * time.Second}
	pages := pagesAt(Popular, 0, 10*time.Second, 100*time.Millisecond)
	if got, ok := recovery(pages, tl.RecoveryStart()); ok {
		t.Errorf("recovery = %v, true; want none", got)
	}
	s := summarize(pages, tl, recsStats{}, [numPhases]int{Failing: 1}, Limits{})
	if s.RecoverySeconds != -1 || s.OK {
		t.Errorf("summary: recovery %v, ok %v; want -1, false", s.RecoverySeconds, s.OK)
	}
}

func TestSummaryFailsClaimsThatDoNotHold(t *testing.T) {
	tl := Timeline{Total: 10 * time.Second}
	pages := pagesAt(Fresh, 0, 10*time.Second, 10*time.Millisecond)
	outage := 0
	for _, p := range pages {
		if tl.PhaseAt(p.at).Outage() {
			outage++
		}
	}
	// Every outage page cost two attempts, the breaker never opened, the
	// service shed nothing during the surge, and its latency grew sixfold.
	var st recsStats
	st.Received[Slow], st.Received[Failing] = int64(outage), int64(outage)
	st.Received[Healthy], st.Received[Surge] = 100, 100
	st.Admitted[Healthy] = repeat(10*time.Millisecond, 100)
	st.Admitted[Surge] = repeat(60*time.Millisecond, 100)
	s := summarize(pages, tl, st, [numPhases]int{}, Limits{})
	want := map[string]bool{
		"core journey stayed available: page success rate":                        true,
		"core journey stayed fast: p99 page latency":                              true,
		"recommendations shed load during the surge: requests shed":               false,
		"admitted latency stayed flat: recommendations p99 during the surge":      false,
		"breaker shed load: it opened during the outage":                          false,
		"downstream attempts stayed bounded: attempts per page during the outage": false,
		"recommendations fresh again after recovery":                              true,
	}
	if len(s.Checks) != len(want) {
		t.Errorf("%d checks, want %d", len(s.Checks), len(want))
	}
	for _, c := range s.Checks {
		if w, ok := want[c.Claim]; !ok || w != c.OK {
			t.Errorf("check %q: ok %v, want %v", c.Claim, c.OK, w)
		}
	}
	if s.OK || s.PagesDuringOutage != outage || s.AttemptsPerPageDuringOutage != 2 {
		t.Errorf("summary: ok %v, outage pages %d (want %d), attempts/page %v (want 2)", s.OK, s.PagesDuringOutage, outage, s.AttemptsPerPageDuringOutage)
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

// The surge's claims: the service shed, and the p99 of what it admitted
// stayed within the bound of its healthy p99. The bound is inclusive, and
// a phase with nothing answered proves nothing.
func TestSummaryJudgesTheSurge(t *testing.T) {
	tl := Timeline{Total: 10 * time.Second}
	pages := pagesAt(Fresh, 0, 10*time.Second, 10*time.Millisecond)
	const shedClaim = "recommendations shed load during the surge: requests shed"
	const flatClaim = "admitted latency stayed flat: recommendations p99 during the surge"
	for _, c := range []struct {
		name             string
		shed             int64
		healthy, surge   []time.Duration
		wantShed, wantOK bool
	}{
		{"flat", 40, repeat(10*time.Millisecond, 100), repeat(20*time.Millisecond, 100), true, true},
		{"at the bound", 1, repeat(10*time.Millisecond, 100), repeat(30*time.Millisecond, 100), true, true},
		{"climbed", 40, repeat(10*time.Millisecond, 100), append(repeat(10*time.Millisecond, 90), repeat(31*time.Millisecond, 10)...), true, false},
		{"no shedding", 0, repeat(10*time.Millisecond, 100), repeat(10*time.Millisecond, 100), false, true},
		{"nothing answered in the surge", 40, repeat(10*time.Millisecond, 100), nil, true, false},
		{"nothing answered while healthy", 40, nil, repeat(10*time.Millisecond, 100), true, false},
	} {
		var st recsStats
		st.Received[Healthy], st.Received[Surge] = int64(len(c.healthy)), int64(len(c.surge))+c.shed
		st.Shed[Surge] = c.shed
		st.Admitted[Healthy], st.Admitted[Surge] = c.healthy, c.surge
		s := summarize(pages, tl, st, [numPhases]int{Slow: 1}, Limits{})
		for _, ch := range s.Checks {
			switch ch.Claim {
			case shedClaim:
				if ch.OK != c.wantShed {
					t.Errorf("%s: %q ok %v, want %v (%s)", c.name, ch.Claim, ch.OK, c.wantShed, ch.Measured)
				}
			case flatClaim:
				if ch.OK != c.wantOK {
					t.Errorf("%s: %q ok %v, want %v (%s, bound %s)", c.name, ch.Claim, ch.OK, c.wantOK, ch.Measured, ch.Bound)
				}
			}
		}
		surge := s.Phases[Surge]
		if surge.Phase != "surge" || surge.RecsShed != c.shed || surge.RecsAnswered != len(c.surge) || surge.Seconds != 1.5 {
			t.Errorf("%s: surge figures %+v", c.name, surge)
		}
	}
}

// The figures split pages and the service's counts by phase.
func TestPhaseFigures(t *testing.T) {
	tl := Timeline{Total: 10 * time.Second}                                                             // healthy 0-1.5s, surge -3s, slow -5s, failing -7s, recovered
	pages := pagesAt(Fresh, 0, 1500*time.Millisecond, 100*time.Millisecond)                             // 15 healthy
	pages = append(pages, pagesAt(Cache, 1500*time.Millisecond, 3*time.Second, 50*time.Millisecond)...) // 30 surge
	pages = append(pages, pageRecord{at: 4 * time.Second, ok: false})                                   // 1 slow, failed
	var st recsStats
	st.Received = [numPhases]int64{15, 30, 2, 3, 4}
	st.Shed[Surge] = 12
	st.Admitted[Surge] = []time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond}
	f := phaseFigures(pages, tl, st, [numPhases]int{Failing: 2})
	want := []PhaseFigures{
		{Phase: "healthy", Seconds: 1.5, Pages: 15, PageSuccessRate: 1, RecsFresh: 15, RecsRequests: 15},
		{Phase: "surge", Seconds: 1.5, Pages: 30, PageSuccessRate: 1, RecsRequests: 30, RecsShed: 12, RecsAnswered: 3, RecsAdmittedP99Ms: 3},
		{Phase: "slow", Seconds: 2, Pages: 1, RecsRequests: 2},
		{Phase: "failing", Seconds: 2, RecsRequests: 3, BreakerOpened: 2},
		{Phase: "recovered", Seconds: 3, RecsRequests: 4},
	}
	if len(f) != len(want) {
		t.Fatalf("%d phases, want %d", len(f), len(want))
	}
	for i := range want {
		if f[i] != want[i] {
			t.Errorf("phase %d: %+v, want %+v", i, f[i], want[i])
		}
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p := percentile(d, 0.99); p != 99*time.Millisecond {
		t.Errorf("p99 = %v, want 99ms", p)
	}
	if p := percentile(d, 0.5); p != 50*time.Millisecond {
		t.Errorf("p50 = %v, want 50ms", p)
	}
	if p := percentile(nil, 0.99); p != 0 {
		t.Errorf("p99 of nothing = %v, want 0", p)
	}
}

func TestTimelineScales(t *testing.T) {
	tl := Timeline{Total: 4 * time.Second}
	for _, c := range []struct {
		at   time.Duration
		want Phase
	}{
		{0, Healthy}, {599 * time.Millisecond, Healthy}, {600 * time.Millisecond, Surge}, {1199 * time.Millisecond, Surge},
		{1200 * time.Millisecond, Slow}, {2 * time.Second, Failing}, {2800 * time.Millisecond, Recovered}, {time.Hour, Recovered},
	} {
		if got := tl.PhaseAt(c.at); got != c.want {
			t.Errorf("PhaseAt(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	// Start and End agree with PhaseAt, and the phases tile the timeline.
	if tl.Start(Healthy) != 0 || tl.End(Recovered) != tl.Total || tl.SurgeEnd() != tl.Start(Slow) {
		t.Errorf("timeline starts at %v, ends at %v; surge ends at %v", tl.Start(Healthy), tl.End(Recovered), tl.SurgeEnd())
	}
	for p := range Phase(numPhases) {
		if got := tl.PhaseAt(tl.Start(p)); got != p {
			t.Errorf("PhaseAt(Start(%v)) = %v", p, got)
		}
		if got := tl.PhaseAt(tl.End(p) - 1); got != p {
			t.Errorf("PhaseAt(End(%v)-1ns) = %v", p, got)
		}
		if p+1 < Phase(numPhases) && tl.End(p) != tl.Start(p+1) {
			t.Errorf("End(%v) = %v, Start(%v) = %v", p, tl.End(p), p+1, tl.Start(p+1))
		}
	}
	if got := tl.Scale(5*time.Second, 0); got != 500*time.Millisecond {
		t.Errorf("Scale(5s) = %v, want 500ms", got)
	}
}
