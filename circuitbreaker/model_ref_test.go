package circuitbreaker_test

import (
	"fmt"
	"time"

	"github.com/rampart-go/rampart/circuitbreaker"
)

// The model test runs long random sequences of calls, outcomes, durations,
// clock steps and manual operations against the breaker and against model,
// a plain single-threaded restatement of the documented rules, and compares
// them after every step. Seeds are fixed, so a failure replays exactly.

// model is the reference: slices and ints, no atomics, no epochs.
type model struct {
	c          circuitbreaker.Config // with defaults filled in
	consec     int64
	minCalls   int64
	slowRate   float64
	maxOpen    int64
	resetAfter int64
	probes     int
	successes  int

	now      int64
	state    circuitbreaker.State
	gen      uint64
	since    int64
	until    int64
	openings int
	rejected uint64
	halfMax  int64
	succ     uint64 // lifetime successes a snapshot reports
	fails    uint64 // lifetime failures

	run                     int64    // consecutive failures
	ring                    []uint8  // count window: last N flags
	entries                 []tentry // time window
	inflight, ok, bad, slow int
}

type tentry struct {
	t int64
	f uint8
}

const (
	fFail = 1
	fSlow = 2
)

type mpermit struct {
	gen   uint64
	state circuitbreaker.State
	start int64
	noop  bool
	real  circuitbreaker.Permit
}

func newModel(c circuitbreaker.Config) *model {
	m := &model{c: c, state: circuitbreaker.StateClosed, gen: 1}
	m.consec = int64(c.ConsecutiveFailures)
	if c.ConsecutiveFailures == 0 && c.FailureRateThreshold == 0 && c.SlowCallThreshold == 0 {
		m.consec = 5
	}
	m.slowRate = c.SlowCallRateThreshold
	if c.SlowCallThreshold != 0 && m.slowRate == 0 {
		m.slowRate = 1
	}
	if m.c.WindowDuration == 0 && m.c.WindowSize == 0 && (c.FailureRateThreshold != 0 || c.SlowCallThreshold != 0) {
		m.c.WindowSize = 100
	}
	m.minCalls = int64(c.MinimumCalls)
	if m.minCalls == 0 {
		m.minCalls = 10
		if m.c.WindowSize != 0 && m.c.WindowSize < 10 {
			m.minCalls = int64(m.c.WindowSize)
		}
	}
	if m.c.WindowDuration != 0 && m.c.WindowBuckets == 0 {
		m.c.WindowBuckets = 10
	}
	if m.c.OpenDuration == 0 {
		m.c.OpenDuration = 5 * time.Second
	}
	m.maxOpen = int64(c.MaxOpenDuration)
	if m.maxOpen == 0 {
		m.maxOpen = 10 * int64(m.c.OpenDuration)
	}
	m.resetAfter = int64(c.OpenDurationResetAfter)
	if m.resetAfter == 0 {
		m.resetAfter = m.maxOpen
	}
	m.halfMax = int64(c.HalfOpenMaxDuration)
	if m.halfMax == 0 {
		m.halfMax = int64(time.Minute)
	}
	m.probes = max(c.HalfOpenMaxProbes, 1)
	m.successes = c.HalfOpenSuccesses
	if m.successes == 0 {
		m.successes = m.probes
	}
	return m
}

func (m *model) enter(st circuitbreaker.State) {
	m.state, m.gen, m.since = st, m.gen+1, m.now
	m.run, m.ring, m.entries = 0, nil, nil
	m.inflight, m.ok, m.bad, m.slow = 0, 0, 0, 0
}

func (m *model) counts() circuitbreaker.Counts {
	c := circuitbreaker.Counts{ConsecutiveFailures: m.run}
	add := func(f uint8) {
		c.Calls++
		if f&fFail != 0 {
			c.Failures++
		}
		if f&fSlow != 0 {
			c.Slow++
		}
	}
	switch {
	case m.c.WindowSize != 0:
		for _, f := range m.ring {
			add(f)
		}
	case m.c.WindowDuration != 0:
		w := int64(m.c.WindowDuration) / int64(m.c.WindowBuckets)
		k := floorDiv(m.now, w)
		for _, e := range m.entries {
			if b := floorDiv(e.t, w); b <= k && b > k-int64(m.c.WindowBuckets) {
				add(e.f)
			}
		}
	}
	return c
}

func floorDiv(a, b int64) int64 {
	if a < 0 {
		return -((-a + b - 1) / b)
	}
	return a / b
}

func (m *model) open(hint int64) {
	m.openings++
	d := float64(m.c.OpenDuration)
	if m.c.OpenDurationMultiplier > 1 {
		for i := 1; i < m.openings && d < float64(m.maxOpen); i++ {
			d *= m.c.OpenDurationMultiplier
		}
	}
	od := m.maxOpen
	if d < float64(m.maxOpen) {
		od = int64(d)
	}
	switch {
	case m.c.IgnoreRetryAfter || hint <= 0:
	case hint > od:
		od = min(hint, m.maxOpen)
	case m.c.MinOpenDuration > 0:
		od = max(hint, int64(m.c.MinOpenDuration))
	}
	m.enter(circuitbreaker.StateOpen)
	m.until = m.now + od
}

// allow returns nil, or the rejection: "open <delay>", "probes", "isolated".
func (m *model) allow() (string, *mpermit) {
	for {
		switch m.state {
		case circuitbreaker.StateClosed, circuitbreaker.StateMetricsOnly:
			return "", &mpermit{gen: m.gen, state: m.state, start: m.now}
		case circuitbreaker.StateDisabled:
			return "", &mpermit{noop: true}
		case circuitbreaker.StateIsolated:
			m.rejected++
			return "isolated", nil
		case circuitbreaker.StateOpen:
			if m.now < m.until {
				m.rejected++
				return fmt.Sprintf("open %v", time.Duration(m.until-m.now)), nil
			}
			m.enter(circuitbreaker.StateHalfOpen)
		case circuitbreaker.StateHalfOpen:
			if m.now-m.since >= m.halfMax {
				m.open(0)
				continue
			}
			if m.inflight >= m.probes {
				m.rejected++
				return "probes", nil
			}
			m.inflight++
			return "", &mpermit{gen: m.gen, state: m.state, start: m.now}
		}
	}
}

// done reports outcome o ("S", "F" or "I") with a retry-after hint.
func (m *model) done(p *mpermit, o string, hint int64) {
	if p.noop || p.gen != m.gen {
		return
	}
	slow := m.c.SlowCallThreshold != 0 && m.now-p.start >= int64(m.c.SlowCallThreshold)
	if p.state == circuitbreaker.StateHalfOpen {
		m.inflight--
		if o == "I" {
			return
		}
		if o == "F" || slow {
			m.bad++
			m.fails++
		} else {
			m.ok++
			m.succ++
		}
		if slow {
			m.slow++
		}
		n := m.ok + m.bad
		r := m.c.HalfOpenFailureRate
		switch {
		case r == 0 && m.bad > 0, r != 0 && n >= m.successes && float64(m.bad)/float64(n) >= r:
			if o != "F" {
				hint = 0
			}
			m.open(hint)
		case m.ok >= m.successes:
			m.enter(circuitbreaker.StateClosed)
		}
		return
	}
	if o == "I" {
		return
	}
	var f uint8
	if slow {
		f |= fSlow
	}
	if o == "F" {
		f |= fFail
		m.run++
		m.fails++
	} else {
		m.run = 0
		if m.c.WindowDuration != 0 || m.c.CountSuccesses {
			m.succ++
		}
	}
	switch {
	case m.c.WindowSize != 0:
		m.ring = append(m.ring, f)
		if len(m.ring) > m.c.WindowSize {
			m.ring = m.ring[1:]
		}
	case m.c.WindowDuration != 0:
		m.entries = append(m.entries, tentry{m.now, f})
	}
	if f == 0 || m.state != circuitbreaker.StateClosed {
		return
	}
	c := m.counts()
	trip := m.consec != 0 && c.ConsecutiveFailures >= m.consec
	if c.Calls > 0 && c.Calls >= m.minCalls {
		trip = trip || m.c.FailureRateThreshold != 0 && float64(c.Failures)/float64(c.Calls) >= m.c.FailureRateThreshold
		trip = trip || m.c.SlowCallThreshold != 0 && float64(c.Slow)/float64(c.Calls) >= m.slowRate
	}
	if trip {
		if m.now-m.since >= m.resetAfter {
			m.openings = 0
		}
		if o != "F" {
			hint = 0
		}
		m.open(hint)
	}
}

func (m *model) manual(op string) {
	switch op {
	case "open":
		m.enter(circuitbreaker.StateOpen)
		m.until = m.now + int64(m.c.OpenDuration)
	case "close":
		m.enter(circuitbreaker.StateClosed)
	case "reset":
		m.openings = 0
		m.enter(circuitbreaker.StateClosed)
	case "isolate":
		m.enter(circuitbreaker.StateIsolated)
	case "disable":
		m.enter(circuitbreaker.StateDisabled)
	case "metrics":
		m.enter(circuitbreaker.StateMetricsOnly)
	}
}

func (m *model) snapshot() circuitbreaker.Snapshot {
	s := circuitbreaker.Snapshot{Name: "circuitbreaker", State: m.state, Generation: m.gen, Openings: m.openings, Rejected: m.rejected,
		Totals: circuitbreaker.Totals{Successes: m.succ, Failures: m.fails, Rejections: m.rejected}}
	switch m.state {
	case circuitbreaker.StateClosed, circuitbreaker.StateMetricsOnly:
		s.Counts = m.counts()
	case circuitbreaker.StateHalfOpen:
		s.ProbesInFlight, s.ProbeSuccesses, s.ProbeFailures = m.inflight, m.ok, m.bad
		s.ProbeDue = m.inflight < m.probes && m.now-m.since < m.halfMax
	case circuitbreaker.StateOpen:
		if m.until > m.now {
			s.UntilHalfOpen = time.Duration(m.until - m.now)
		}
		s.ProbeDue = m.until <= m.now
	}
	return s
}
