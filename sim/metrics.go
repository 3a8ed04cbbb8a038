package sim

import (
	"math"
	"slices"
	"time"
)

// WindowSize is the length of the windows metrics are kept in.
const WindowSize = time.Second

// RecoveredGoodput is the goodput every window after a recovery must reach.
const RecoveredGoodput = 0.99

// metrics accumulates counts per window as the run goes.
type metrics struct {
	dur       int64
	win       []winAcc
	requests  int64
	attempts  int64
	successes int64
	qLast     int64 // time up to which the queue length has been integrated
}

type winAcc struct {
	requests, attempts, successes int
	qArea                         float64 // queue length × ns
	lat                           []int64 // latencies of requests that arrived in the window
}

func (m *metrics) init(sc Scenario) {
	m.dur = int64(sc.Duration)
	n := (m.dur + int64(WindowSize) - 1) / int64(WindowSize)
	m.win = make([]winAcc, n)
	per := int(sc.Rate*WindowSize.Seconds()) + 16
	for i := range m.win {
		m.win[i].lat = make([]int64, 0, per)
	}
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

func (m *metrics) attempt(now int64) {
	m.attempts++
	if w := m.window(now); w != nil {
		w.attempts++
	}
}

// finish records the end of a request that arrived at arrival.
func (m *metrics) finish(arrival, now int64, ok bool) {
	w := m.window(arrival)
	w.lat = append(w.lat, now-arrival)
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
	all := make([]int64, 0, m.requests)
	for i := range m.win {
		w := &m.win[i]
		start := time.Duration(i) * WindowSize
		span := min(WindowSize, sc.Duration-start)
		slices.Sort(w.lat)
		all = append(all, w.lat...)
		r.Windows = append(r.Windows, Window{
			Start:     start,
			Requests:  w.requests,
			Attempts:  w.attempts,
			Successes: w.successes,
			Queue:     round(w.qArea/float64(span), 3),
			P50:       time.Duration(quantile(w.lat, 0.50)),
			P99:       time.Duration(quantile(w.lat, 0.99)),
		})
	}
	slices.Sort(all)

	s := Summary{
		Scenario: sc.Name,
		Policy:   policy,
		Requests: m.requests,
		Attempts: m.attempts,
	}
	s.Amplification = round(ratio(m.attempts, m.requests), 4)
	s.Goodput = round(ratio(m.successes, m.requests), 4)
	s.P99ms = round(float64(quantile(all, 0.99))/1e6, 3)

	fStart, fEnd, faulted := sc.faultWindow()
	r.FaultStart, r.FaultEnd = fStart, fEnd
	first := int(fEnd / WindowSize) // the window in which the last fault ends
	var req, att int64
	for _, w := range r.Windows[min(first, len(r.Windows)):] {
		req += int64(w.Requests)
		att += int64(w.Attempts)
	}
	s.AmplificationAfterFault = round(ratio(att, req), 4)

	lastBad := -1
	for i := first; i < len(r.Windows); i++ {
		if r.Windows[i].Goodput() < RecoveredGoodput {
			lastBad = i
		}
	}
	switch {
	case first >= len(r.Windows) || lastBad == len(r.Windows)-1:
		// The fault outlasts the run, or the last window is still bad:
		// never recovered.
	case lastBad < 0:
		zero := 0.0
		s.RecoverySeconds = &zero
	default:
		rec := (time.Duration(lastBad+1)*WindowSize - fEnd).Seconds()
		rec = round(max(rec, 0), 3)
		s.RecoverySeconds = &rec
	}
	s.Metastable = faulted && fEnd < sc.Duration && s.RecoverySeconds == nil && sc.utilisation() < 1
	r.Summary = s
	return r
}

// quantile returns the q-quantile of sorted by nearest rank, 0 if empty.
func quantile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
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
