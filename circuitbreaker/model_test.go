package circuitbreaker_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
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
		m.c.OpenDuration = 30 * time.Second
	}
	m.maxOpen = int64(c.MaxOpenDuration)
	if m.maxOpen == 0 {
		m.maxOpen = 10 * int64(m.c.OpenDuration)
	}
	m.resetAfter = int64(c.OpenDurationResetAfter)
	if m.resetAfter == 0 {
		m.resetAfter = m.maxOpen
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
	if !m.c.IgnoreRetryAfter && hint > od {
		od = min(hint, m.maxOpen)
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
			if m.c.HalfOpenMaxDuration != 0 && m.now-m.since >= int64(m.c.HalfOpenMaxDuration) {
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
		} else {
			m.ok++
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
	} else {
		m.run = 0
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
	s := circuitbreaker.Snapshot{Name: "circuitbreaker", State: m.state, Generation: m.gen, Openings: m.openings, Rejected: m.rejected}
	switch m.state {
	case circuitbreaker.StateClosed, circuitbreaker.StateMetricsOnly:
		s.Counts = m.counts()
	case circuitbreaker.StateHalfOpen:
		s.ProbesInFlight, s.ProbeSuccesses, s.ProbeFailures = m.inflight, m.ok, m.bad
	case circuitbreaker.StateOpen:
		if m.until > m.now {
			s.UntilHalfOpen = time.Duration(m.until - m.now)
		}
	}
	return s
}

func rejection(err error) string {
	var oe *circuitbreaker.OpenError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &oe):
		return fmt.Sprintf("open %v", oe.Delay)
	case errors.Is(err, circuitbreaker.ErrTooManyProbes):
		return "probes"
	case errors.Is(err, circuitbreaker.ErrIsolated):
		return "isolated"
	}
	return "unexpected " + err.Error()
}

var modelConfigs = []circuitbreaker.Config{
	{},
	{ConsecutiveFailures: 3, OpenDuration: 50 * time.Millisecond, OpenDurationMultiplier: 2, MaxOpenDuration: 300 * time.Millisecond, OpenDurationResetAfter: 200 * time.Millisecond},
	{FailureRateThreshold: 0.5, WindowSize: 8, MinimumCalls: 4, OpenDuration: 40 * time.Millisecond, HalfOpenMaxProbes: 3, HalfOpenSuccesses: 2},
	{FailureRateThreshold: 0.4, WindowDuration: 100 * time.Millisecond, WindowBuckets: 5, MinimumCalls: 3, OpenDuration: 30 * time.Millisecond, HalfOpenMaxProbes: 4, HalfOpenSuccesses: 3, HalfOpenFailureRate: 0.5},
	{SlowCallThreshold: 15 * time.Millisecond, SlowCallRateThreshold: 0.5, WindowSize: 6, ConsecutiveFailures: 4, OpenDuration: 20 * time.Millisecond, HalfOpenMaxProbes: 2, HalfOpenMaxDuration: 60 * time.Millisecond},
	{FailureRateThreshold: 0.3, SlowCallThreshold: 10 * time.Millisecond, WindowDuration: 50 * time.Millisecond, WindowBuckets: 7, MinimumCalls: 5, OpenDuration: 25 * time.Millisecond, OpenDurationMultiplier: 1.5, IgnoreRetryAfter: true, HalfOpenMaxProbes: 2, HalfOpenSuccesses: 3, HalfOpenFailureRate: 0.34, HalfOpenMaxDuration: 40 * time.Millisecond},
}

func TestBreakerMatchesReferenceModel(t *testing.T) {
	steps := 20000
	if testing.Short() {
		steps = 2000
	}
	for ci, cfg := range modelConfigs {
		for seed := uint64(1); seed <= 5; seed++ {
			t.Run(fmt.Sprintf("config=%d/seed=%d", ci, seed), func(t *testing.T) {
				runModel(t, cfg, seed, steps)
			})
		}
	}
}

func runModel(t *testing.T, cfg circuitbreaker.Config, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	clock := rampart.NewManualClock(t0)
	cfg.Clock = clock
	cb, err := circuitbreaker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(cfg)
	var held []*mpermit
	var log []string
	fail := func(format string, args ...any) {
		t.Helper()
		tail := log[max(0, len(log)-15):]
		t.Fatalf("seed %d step %d: "+format+"\nlast steps:\n  %v", append([]any{seed, len(log)}, append(args, tail)...)...)
	}
	for range steps {
		switch r := rng.IntN(100); {
		case r < 40 && len(held) < 12: // a call starts
			want, mp := m.allow()
			p, err := cb.Allow()
			got := rejection(err)
			log = append(log, "allow:"+want)
			if got != want {
				fail("Allow: got %q, want %q", got, want)
			}
			if mp != nil {
				mp.real = p
				held = append(held, mp)
			}
		case r < 80 && len(held) > 0: // a call ends
			i := rng.IntN(len(held))
			mp := held[i]
			held = append(held[:i], held[i+1:]...)
			var o string
			var err error
			var hint int64
			switch x := rng.IntN(10); {
			case x < 5:
				o = "S"
			case x < 9:
				o, err = "F", errBoom
				if rng.IntN(4) == 0 {
					hint = int64(rng.IntN(200)) * int64(time.Millisecond)
					err = rampart.WithRetryAfter(errBoom, time.Duration(hint))
				}
			default:
				o, err = "I", contextCanceled()
			}
			log = append(log, fmt.Sprintf("done:%s hint=%v gen=%d", o, time.Duration(hint), mp.gen))
			m.done(mp, o, hint)
			mp.real.Done(err)
		case r < 97: // time passes
			d := int64(rng.IntN(12)) * int64(time.Millisecond)
			log = append(log, fmt.Sprintf("advance:%v", time.Duration(d)))
			m.now += d
			clock.Advance(time.Duration(d))
		default: // an operator steps in
			op := []string{"open", "close", "reset", "isolate", "disable", "metrics"}[rng.IntN(6)]
			log = append(log, "manual:"+op)
			m.manual(op)
			switch op {
			case "open":
				cb.Open()
			case "close":
				cb.Close()
			case "reset":
				cb.Reset()
			case "isolate":
				cb.Isolate()
			case "disable":
				cb.Disable()
			case "metrics":
				cb.MetricsOnly()
			}
		}
		if got, want := cb.State(), m.state; got != want {
			fail("State: got %v, want %v", got, want)
		}
		got, want := cb.Snapshot(), m.snapshot()
		got.WouldTrip = false
		if got != want {
			fail("Snapshot:\n got %+v\nwant %+v", got, want)
		}
	}
}
