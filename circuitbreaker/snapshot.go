package circuitbreaker

import "time"

// Snapshot is a breaker's state and counts at one moment, for metrics,
// dashboards and tests. Counts read while calls are finishing may be off by
// those calls; once they stop the counts are exact.
type Snapshot struct {
	// Name is the breaker's Config.Name.
	Name string
	// State is the current state.
	State State
	// Generation is 1 for the state the breaker was built in and increases
	// by one with every state change, manual ones included.
	Generation uint64

	// Counts is what the window holds in closed and metrics-only states,
	// zero in others. Its FailureRate and SlowRate methods give the rates.
	Counts Counts

	// Totals counts outcomes and rejections since New, whatever the state
	// (a disabled breaker records nothing). They only grow, also across
	// Reset, so metrics can export them as counters.
	Totals Totals

	// ProbesInFlight, ProbeSuccesses and ProbeFailures describe the
	// probes of a half-open breaker (a slow probe is a failure).
	ProbesInFlight, ProbeSuccesses, ProbeFailures int

	// ProbeDue reports whether the next call would be let through as a
	// probe: the breaker is open and its open period has passed (the call
	// moves it to half-open), or it is half-open with a probe slot free.
	ProbeDue bool

	// UntilHalfOpen is, for an open breaker, how long until the next call
	// may probe; 0 once that time has come, and in other states.
	UntilHalfOpen time.Duration

	// Openings is the number of consecutive openings behind the current
	// open duration's growth.
	Openings int

	// Rejected counts every call rejected since the breaker was built:
	// the same as Totals.Rejections.
	Rejected uint64

	// WouldTrip reports, in metrics-only state, whether the counts meet a
	// trip condition: whether the breaker would be open if it enforced.
	WouldTrip bool
}

// Totals are a breaker's counts since it was built.
type Totals struct {
	// Successes counts successful calls and probes. Breakers with a
	// count-based or consecutive-failure window count successful calls in
	// closed state only with Config.CountSuccesses (probes always).
	Successes uint64
	// Failures counts failed calls and probes (a slow probe is a failure).
	Failures uint64
	// Rejections counts calls refused without running.
	Rejections uint64
}

// Snapshot returns the breaker's state and counts. It takes the breaker's
// lock briefly and reads the clock; it is not meant for every call.
func (b *Breaker) Snapshot() Snapshot {
	b.mu.Lock()
	now := b.now()
	ep := b.cur.Load()
	rejected := uint64(b.rejected.Load())
	s := Snapshot{
		Name:       b.s.name,
		State:      ep.state,
		Generation: ep.gen.Load(),
		Openings:   b.openings,
		Rejected:   rejected,
		Totals: Totals{
			Successes:  uint64(b.probesOK + b.successes.Load()),
			Failures:   uint64(b.failures.Load()),
			Rejections: rejected,
		},
	}
	if b.timed != nil {
		t := b.timed.Totals()
		s.Totals.Successes += uint64(t.Calls - t.Failures)
	}
	switch ep.state {
	case StateClosed, StateMetricsOnly:
		s.Counts = ep.windowCounts(now)
	case StateHalfOpen:
		s.ProbesInFlight = int(uint32(ep.slots.Load()))
		s.ProbeSuccesses = ep.probeOK
		s.ProbeFailures = ep.probeFailed
		s.ProbeDue = s.ProbesInFlight < int(b.s.maxProbes) && now-ep.since.Load() < b.s.halfOpenMax
	case StateOpen:
		if until := ep.until.Load(); until > now {
			s.UntilHalfOpen = durationOf(until - now)
		}
		s.ProbeDue = ep.due.Load() == dueNow || s.UntilHalfOpen == 0
	}
	b.mu.Unlock()
	if ep.state == StateMetricsOnly {
		s.WouldTrip = b.tripReason(s.Counts) != ""
	}
	return s
}
