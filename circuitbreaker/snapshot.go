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
	// Generation increases with every state change, manual ones included.
	Generation uint64

	// Counts is what the window holds in closed and metrics-only states,
	// zero in others. Its FailureRate and SlowRate methods give the rates.
	Counts Counts

	// ProbesInFlight, ProbeSuccesses and ProbeFailures describe the
	// probes of a half-open breaker (a slow probe is a failure).
	ProbesInFlight, ProbeSuccesses, ProbeFailures int

	// UntilHalfOpen is, for an open breaker, how long until the next call
	// may probe; 0 once that time has come, and in other states.
	UntilHalfOpen time.Duration

	// Openings is the number of consecutive openings behind the current
	// open duration's growth.
	Openings int

	// Rejected counts every call rejected since the breaker was built.
	Rejected uint64

	// WouldTrip reports, in metrics-only state, whether the counts meet a
	// trip condition: whether the breaker would be open if it enforced.
	WouldTrip bool
}

// Snapshot returns the breaker's state and counts. It takes the breaker's
// lock briefly and reads the clock; it is not meant for every call.
func (b *Breaker) Snapshot() Snapshot {
	b.mu.Lock()
	now := b.now()
	ep := b.cur.Load()
	s := Snapshot{
		Name:       b.s.name,
		State:      ep.state,
		Generation: ep.gen,
		Openings:   b.openings,
		Rejected:   uint64(b.rejected.Load()),
	}
	switch ep.state {
	case StateClosed, StateMetricsOnly:
		s.Counts = ep.counts(now)
	case StateHalfOpen:
		s.ProbesInFlight = int(ep.inflight.Load())
		s.ProbeSuccesses = ep.probeOK
		s.ProbeFailures = ep.probeFailed
	case StateOpen:
		if ep.until > now {
			s.UntilHalfOpen = durationOf(ep.until - now)
		}
	}
	b.mu.Unlock()
	if ep.state == StateMetricsOnly {
		s.WouldTrip = b.tripReason(s.Counts) != ""
	}
	return s
}
