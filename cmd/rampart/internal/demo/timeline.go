package demo

import "time"

// Phase is the recommendations service's health at a point of the
// timeline.
type Phase uint8

const (
	// Healthy answers quickly with fresh recommendations.
	Healthy Phase = iota
	// Slow answers, but far later than the storefront is willing to wait.
	Slow
	// Failing answers at once with HTTP 503, some with a Retry-After.
	Failing
	// Recovered is healthy again after the outage.
	Recovered
)

var phaseNames = [...]string{Healthy: "healthy", Slow: "slow", Failing: "failing", Recovered: "recovered"}

// String returns "healthy", "slow", "failing" or "recovered".
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "phase?"
}

// Outage reports whether p is part of the outage (slow or failing).
func (p Phase) Outage() bool { return p == Slow || p == Failing }

// Timeline is the scripted fault timeline, scaled to a total duration:
// healthy for the first 20%, slow until 45%, failing until 70%, healthy
// again for the last 30%.
type Timeline struct {
	Total time.Duration
}

// Boundaries of the phases as fractions of the total, in thousandths.
const (
	slowAt    = 200
	failingAt = 450
	recoverAt = 700
)

func (t Timeline) at(permille int64) time.Duration {
	return time.Duration(int64(t.Total) * permille / 1000)
}

// SlowStart is when the service turns slow.
func (t Timeline) SlowStart() time.Duration { return t.at(slowAt) }

// FailingStart is when the service starts failing outright.
func (t Timeline) FailingStart() time.Duration { return t.at(failingAt) }

// RecoveryStart is when the service is healthy again.
func (t Timeline) RecoveryStart() time.Duration { return t.at(recoverAt) }

// PhaseAt returns the phase at elapsed time d since the start.
func (t Timeline) PhaseAt(d time.Duration) Phase {
	switch {
	case d < t.SlowStart():
		return Healthy
	case d < t.FailingStart():
		return Slow
	case d < t.RecoveryStart():
		return Failing
	default:
		return Recovered
	}
}

// Scale returns d scaled by the timeline's length relative to the default
// 40 seconds, never below min.
func (t Timeline) Scale(d, min time.Duration) time.Duration {
	s := time.Duration(float64(d) * float64(t.Total) / float64(DefaultDuration))
	if s < min {
		return min
	}
	return s
}
