package sim

import (
	"math"
	"slices"
	"time"
)

// WindowSize is the length of the windows metrics are kept in.
const WindowSize = time.Second

// RecoveredGoodput is the healthy goodput assumed when a run has no whole
// window before its first fault to measure it in.
const RecoveredGoodput = 0.99

// PeakSpan is the length of the stretches over which
// [Summary.PeakAmplificationAfterFault] is measured, and of the stretch at
// the end of the arrivals that must stay overloaded for a run to be
// [Summary.Metastable].
const PeakSpan = 5 * WindowSize

// metrics accumulates counts per window as the run goes. Its memory grows
// with the number of windows, not with the request rate: latencies are
// kept in histograms.
type metrics struct {
	dur       int64
	win       []winAcc
	requests  int64
	attempts  int64 // attempts sent before dur, where arrivals end
	successes int64
	qLast     int64 // time up to which the queue length has been integrated
}

type winAcc struct {
	requests, attempts, successes int
	qArea                         float64 // queue length × ns
	lat                           hist    // latencies of requests that arrived in the window
}

func (m *metrics) init(sc Scenario) {
	m.dur = int64(sc.Duration)
	n := (m.dur + int64(WindowSize) - 1) / int64(WindowSize)
	m.win = make([]winAcc, n)
}

// window returns the window holding time t, or nil past the end.
func (m *metrics) window(t int64) *winAcc {
	if t >= m.dur {
		return nil
	}
	return &m.win[t/int64(WindowSize)]
}

func (m *metrics) request(now int64) {
	m.requests++
	m.window(now).requests++
}

// attempt counts an attempt sent at now; one sent after the arrivals have
// ended counts nowhere, so that every amplification figure divides the
// same attempts by the same requests.
func (m *metrics) attempt(now int64) {
	if w := m.window(now); w != nil {
		m.attempts++
		w.attempts++
	}
}

// finish records the end of a request that arrived at arrival.
func (m *metrics) finish(arrival, now int64, ok bool) {
	w := m.window(arrival)
	w.lat.add(now - arrival)
	if ok {
		m.successes++
		w.successes++
	}
}

// trackQueue integrates the queue length q, unchanged since the last call,
// up to now.
func (m *metrics) trackQueue(now int64, q int) {
	if q > 0 {
		for t := m.qLast; t < now && t < m.dur; {
			i := t / int64(WindowSize)
			end := min(now, (i+1)*int64(WindowSize), m.dur)
			m.win[i].qArea += float64(q) * float64(end-t)
			t = end
		}
	}
	m.qLast = now
}

// result turns the counts into a Result.
func (m *metrics) result(sc Scenario, policy string) *Result {
	r := &Result{Setup: sc}
	all := make([]uint64, histBuckets)
	var maxLat int64
	for i := range m.win {
		w := &m.win[i]
		start := time.Duration(i) * WindowSize
		span := min(WindowSize, sc.Duration-start)
		w.lat.addTo(all)
		maxLat = max(maxLat, w.lat.max)
		r.Windows = append(r.Windows, Window{
			Start:     start,
			Requests:  w.requests,
			Attempts:  w.attempts,
			Successes: w.successes,
			Queue:     round(w.qArea/float64(span), 3),
			P50:       time.Duration(w.lat.quantile(0.50)),
			P99:       time.Duration(w.lat.quantile(0.99)),
		})
	}

	s := Summary{
		Scenario: sc.Name,
		Policy:   policy,
		Requests: m.requests,
		Attempts: m.attempts,
	}
	s.Amplification = round(ratio(m.attempts, m.requests), 4)
	s.Goodput = round(ratio(m.successes, m.requests), 4)
	s.P99ms = round(float64(quantileOf(all, m.requests, maxLat, 0.99))/1e6, 3)

	fStart, fEnd, faulted := sc.faultWindow()
	r.FaultStart, r.FaultEnd = fStart, fEnd
	first := int(fEnd / WindowSize) // the window in which the last fault ends
	var req, att int64
	for _, w := range r.Windows[min(first, len(r.Windows)):] {
		req += int64(w.Requests)
		att += int64(w.Attempts)
	}
	s.AmplificationAfterFault = round(ratio(att, req), 4)
	m.judge(sc, r, &s, faulted)
	r.Summary = s
	return r
}

// judge sets the verdicts of s: the healthy baseline, the peak
// amplification after the fault, the recovery and whether the run is
// metastable. They are judged on the windows up to the end of the
// arrivals: the requests of the last windows are served late into an
// emptying server, so their goodput would flatter a storm, but the
// attempts sent in those windows show it.
func (m *metrics) judge(sc Scenario, r *Result, s *Summary, faulted bool) {
	fStart, fEnd := r.FaultStart, r.FaultEnd
	ws := r.Windows
	n := len(ws)

	// The baseline: the whole windows before the first fault.
	base := baseline{goodput: RecoveredGoodput, amplification: 1}
	if pre := ws[:min(int(fStart/WindowSize), n)]; faulted && len(pre) > 0 {
		var req, att, ok int64
		var q float64
		for _, w := range pre {
			req += int64(w.Requests)
			att += int64(w.Attempts)
			ok += int64(w.Successes)
			q += w.Queue
		}
		if req > 0 {
			base = baseline{goodput: ratio(ok, req), amplification: ratio(att, req), queue: q / float64(len(pre))}
		}
	}
	s.BaselineGoodput = round(base.goodput, 4)
	// A queue long enough that a new attempt waits half its timeout is a
	// backlog.
	backlog := max(4*base.queue, float64(sc.Workers)*sc.Timeout.Seconds()/sc.Service.Mean.Seconds()/2)

	// The windows after the trigger is gone, to the end of the arrivals.
	first := int((fEnd + WindowSize - 1) / WindowSize)
	if !faulted {
		zero := 0.0
		s.RecoverySeconds = &zero // nothing to recover from
		return
	}
	if first >= n {
		return // the fault outlasts the arrivals: never recovered
	}
	after := ws[first:]
	span := int(PeakSpan / WindowSize)
	for i := range after {
		j := min(i+span, len(after))
		var req, att int64
		for _, w := range after[i:j] {
			req += int64(w.Requests)
			att += int64(w.Attempts)
		}
		s.PeakAmplificationAfterFault = max(s.PeakAmplificationAfterFault, round(ratio(att, req), 4))
		if j == len(after) {
			break
		}
	}

	overloaded := func(w Window) bool {
		amp := float64(w.Attempts) / float64(max(w.Requests, 1))
		return amp > base.amplification+0.1 || w.Queue > backlog
	}
	healthy := func(w Window) bool {
		g, k := base.goodput, float64(max(w.Requests, 1))
		return !overloaded(w) && w.Goodput() >= g-0.01-3*math.Sqrt(g*(1-g)/k)
	}
	// Recovered at the first window that starts a PeakSpan of healthy
	// windows (or healthy windows to the end of the arrivals, if fewer
	// remain): a rare dip long after the recovery does not undo it.
	for i := range after {
		j := min(i+span, len(after))
		if !slices.ContainsFunc(after[i:j], func(w Window) bool { return !healthy(w) }) {
			rec := (time.Duration(first+i)*WindowSize - fEnd).Seconds()
			rec = round(max(rec, 0), 3)
			s.RecoverySeconds = &rec
			break
		}
	}
	if len(after) < span || sc.utilisation() >= 1 {
		return
	}
	s.Metastable = !slices.ContainsFunc(after[len(after)-span:], func(w Window) bool { return !overloaded(w) })
	if s.Metastable {
		s.RecoverySeconds = nil // it ends in a storm, whatever came before
	}
}

// baseline is the healthy system, measured before the first fault.
type baseline struct {
	goodput, amplification, queue float64
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
