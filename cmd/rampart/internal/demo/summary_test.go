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
	s := summarize(pages, tl, 0, 0, 1, Limits{})
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
	// Every outage page cost two attempts, and the breaker never opened.
	s := summarize(pages, tl, int64(2*outage), int64(len(pages)+outage), 0, Limits{})
	want := map[string]bool{
		"core journey stayed available: page success rate":                        true,
		"core journey stayed fast: p99 page latency":                              true,
		"breaker shed load: it opened during the outage":                          false,
		"downstream attempts stayed bounded: attempts per page during the outage": false,
		"recommendations fresh again after recovery":                              true,
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
	}{{0, Healthy}, {799 * time.Millisecond, Healthy}, {800 * time.Millisecond, Slow}, {1800 * time.Millisecond, Failing}, {2800 * time.Millisecond, Recovered}, {time.Hour, Recovered}} {
		if got := tl.PhaseAt(c.at); got != c.want {
			t.Errorf("PhaseAt(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	if got := tl.Scale(5*time.Second, 0); got != 500*time.Millisecond {
		t.Errorf("Scale(5s) = %v, want 500ms", got)
	}
}
