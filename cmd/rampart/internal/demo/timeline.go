package demo

import "time"

// Phase is the recommendations service's health at a point of the
// timeline.
type Phase uint8

const (
	// Healthy answers quickly with fresh recommendations.
	Healthy Phase = iota
	// Surge is healthy, but under a surge of shoppers (SurgeFactor times
	// the usual number): more requests than the service has workers for,
	// so it sheds the excess.
	Surge
	// Slow answers, but far later than the storefront is willing to wait.
	Slow
	// Failing answers at once with HTTP 503, some with a Retry-After.
	Failing
	// Recovered is healthy again after the outage.
	Recovered
)

// numPhases is the number of phases.
const numPhases = int(Recovered) + 1

var phaseNames = [numPhases]string{Healthy: "healthy", Surge: "surge", Slow: "slow", Failing: "failing", Recovered: "recovered"}

// String returns "healthy", "surge", "slow", "failing" or "recovered".
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "phase?"
}

// Outage reports whether p is part of the outage (slow or failing).
func (p Phase) Outage() bool { return p == Slow || p == Failing }

// SurgeFactor is how many times the usual number of shoppers browse
// during the surge.
const SurgeFactor = 5

// Timeline is the scripted timeline, scaled to a total duration: healthy
// for the first 15%, a surge of shoppers until 30%, then the outage (slow
// until 50%, failing until 70%), healthy again for the last 30%.
type Timeline struct {
	Total time.Duration
}

// Boundaries of the phases as fractions of the total, in thousandths.
const (
	surgeAt   = 150
	slowAt    = 300
	failingAt = 500
	recoverAt = 700
)

func (t Timeline) at(permille int64) time.Duration {
	return time.Duration(int64(t.Total) * permille / 1000)
}

// SurgeStart is when the surge of shoppers arrives.
func (t Timeline) SurgeStart() time.Duration { return t.at(surgeAt) }

// SurgeEnd is when the surge is over: the surge's shoppers leave as the
// service turns slow.
func (t Timeline) SurgeEnd() time.Duration { return t.SlowStart() }

// SlowStart is when the service turns slow.
func (t Timeline) SlowStart() time.Duration { return t.at(slowAt) }

// FailingStart is when the service starts failing outright.
func (t Timeline) FailingStart() time.Duration { return t.at(failingAt) }

// RecoveryStart is when the service is healthy again.
func (t Timeline) RecoveryStart() time.Duration { return t.at(recoverAt) }

// Start returns when phase p begins.
func (t Timeline) Start(p Phase) time.Duration {
	switch p {
	case Healthy:
		return 0
	case Surge:
		return t.SurgeStart()
	case Slow:
		return t.SlowStart()
	case Failing:
		return t.FailingStart()
	}
	return t.RecoveryStart()
}

// End returns when phase p ends: when the next begins, or the total.
func (t Timeline) End(p Phase) time.Duration {
	if p >= Recovered {
		return t.Total
	}
	return t.Start(p + 1)
}

// PhaseAt returns the phase at elapsed time d since the start.
func (t Timeline) PhaseAt(d time.Duration) Phase {
	switch {
	case d < t.SurgeStart():
		return Healthy
	case d < t.SlowStart():
		return Surge
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
