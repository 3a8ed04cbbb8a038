package ratelimit

// Snapshot is a limiter's configuration and state at one moment, for
// metrics, dashboards and tests.
type Snapshot struct {
	// Name is the limiter's Config.Name.
	Name string
	// Rate and Burst are the configured limits (Burst after its default).
	Rate  float64
	Burst int
	// Mode is Bursty or Smooth.
	Mode Mode
	// Tokens is how many calls could go at once now: from 0 to Burst,
	// fractions included, and below 0 while reservations wait.
	Tokens float64
	// Rejected counts every refusal since the limiter was built: by
	// Allow, AllowN, Execute and Wait.
	Rejected uint64
}

// Snapshot returns the limiter's state. It reads the clock.
func (l *Limiter) Snapshot() Snapshot {
	now := l.now()
	tat := max(l.tat.Load(), now)
	return Snapshot{
		Name:     l.name,
		Rate:     l.rate,
		Burst:    int(l.burst),
		Mode:     l.mode,
		Tokens:   float64(now+l.limit-tat) / float64(l.interval),
		Rejected: uint64(l.rejected.Load()),
	}
}
