package sim

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
	"github.com/rampart-go/rampart/internal/config"
)

// Scenario describes one simulated system: a server, the clients that call
// it, and the faults that strike it. The zero value of every field is its
// documented default; the defaults together are the healthy half of the
// built-in "capacity-drop" scenario.
//
// A Scenario reads from and writes to JSON with durations as strings
// ("100ms"); a number where a duration is expected and an unknown key are
// errors naming the key. [Scenario.Validate] bounds every field.
type Scenario struct {
	// Name identifies the scenario in results and charts.
	Name string `json:"name"`
	// Description says in a sentence what the scenario shows.
	Description string `json:"description,omitempty"`
	// Duration is how long clients send new requests. Zero means 120s;
	// otherwise from 1s to 1h.
	// Requests still in flight at the end run to their conclusion.
	Duration time.Duration `json:"duration"`
	// Seed seeds every random source; one seed gives one run, bit for bit.
	Seed uint64 `json:"seed"`
	// Workers is how many requests the server serves at once. Zero means 10.
	Workers int `json:"workers"`
	// QueueLimit bounds the server's FIFO queue; an attempt that finds it
	// full fails at once with [ErrQueueFull]. Zero means unbounded.
	QueueLimit int `json:"queue_limit,omitempty"`
	// CancelAbandoned makes the server drop queued work whose client has
	// stopped waiting, instead of serving it. False (the default) is what
	// most servers do: they serve work nobody is waiting for.
	CancelAbandoned bool `json:"cancel_abandoned,omitempty"`
	// Service is the distribution of the time a worker spends on one
	// attempt. The zero value means exponential with mean 10ms.
	Service Dist `json:"service"`
	// Clients is how many independent clients share the load; each runs
	// its own instance of the policy (its own budget, its own breaker).
	// Zero means 10.
	Clients int `json:"clients"`
	// Rate is the total rate of new requests, per second, over all clients,
	// each client an open-loop Poisson source of Rate/Clients. Zero means 700.
	Rate float64 `json:"rate"`
	// Timeout is the client's timeout for one attempt. Zero means 100ms.
	Timeout time.Duration `json:"timeout"`
	// Deadline bounds a whole request, retries and waits included. Zero
	// means none: only the policy bounds the number of attempts.
	Deadline time.Duration `json:"deadline,omitempty"`
	// Faults strike the server (or, for load spikes, the clients) over
	// windows of time.
	Faults []Fault `json:"faults,omitempty"`
	// Server is the server's admission model: "fifo" (the default),
	// "drop-abandoned" or "adaptive" (see [ServerFIFO] and the others).
	Server string `json:"server,omitempty"`
	// Limiter configures the "adaptive" server's limiter. nil means
	// Gradient2 with limits from Workers to 10 × Workers and a queue of
	// 10 × Workers.
	Limiter *adaptive.Config `json:"limiter,omitempty"`
	// CriticalShare, in [0, 1], makes that share of requests critical
	// and the rest sheddable, for priority experiments: the adaptive
	// server sheds sheddable ones first, and the result reports goodput
	// per class. Zero means one class of default priority.
	CriticalShare float64 `json:"critical_share,omitempty"`
}

// MarshalJSON writes the scenario with durations as strings.
func (s Scenario) MarshalJSON() ([]byte, error) { return config.Marshal(s) }

// UnmarshalJSON reads a scenario; durations are strings such as "100ms".
func (s *Scenario) UnmarshalJSON(data []byte) error {
	if err := decode(data, s); err != nil {
		var ce *rampart.ConfigError
		if errors.As(err, &ce) && strings.HasPrefix(ce.Field, "faults.") {
			return faultError(data, err)
		}
		return err
	}
	return nil
}

// faultError finds which fault of the scenario data err is about, and
// names it: "faults[2].delay" rather than "faults.delay".
func faultError(data []byte, err error) error {
	var raw struct {
		Faults []json.RawMessage `json:"faults"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return err
	}
	for i, msg := range raw.Faults {
		var f Fault
		var ce *rampart.ConfigError
		if errors.As(json.Unmarshal(msg, &f), &ce) {
			return config.Errorf("sim", "faults["+strconv.Itoa(i)+"]."+ce.Field, "%s", ce.Reason)
		}
	}
	return err
}

// Dist is a distribution of durations.
type Dist struct {
	// Kind is "exponential" (the default), "constant" or "lognormal".
	Kind string `json:"kind,omitempty"`
	// Mean is the mean duration. Zero means 10ms.
	Mean time.Duration `json:"mean,omitempty"`
	// Sigma is the standard deviation of the logarithm, for "lognormal"
	// only. Zero means 1.
	Sigma float64 `json:"sigma,omitempty"`
}

// MarshalJSON writes the distribution with its mean as a string.
func (d Dist) MarshalJSON() ([]byte, error) { return config.Marshal(d) }

// UnmarshalJSON reads a distribution; the mean is a string such as "10ms".
func (d *Dist) UnmarshalJSON(data []byte) error { return decode(data, d) }

// Distribution kinds.
const (
	DistExponential = "exponential"
	DistConstant    = "constant"
	DistLognormal   = "lognormal"
)

// Fault kinds.
const (
	// FaultCapacityDrop multiplies every service time by Factor.
	FaultCapacityDrop = "capacity-drop"
	// FaultLatencySpike adds Delay to every service time: the server waits
	// on something slow while holding its worker.
	FaultLatencySpike = "latency-spike"
	// FaultErrorSpike fails a Fraction of attempts fast, each costing the
	// worker Cost.
	FaultErrorSpike = "error-spike"
	// FaultLoadSpike multiplies the clients' request rate by Factor.
	FaultLoadSpike = "load-spike"
)

// Fault is a disturbance active from Start (inclusive) to End (exclusive).
// Server faults apply to attempts that start service inside the window.
type Fault struct {
	// Kind is one of the Fault* constants.
	Kind string `json:"kind"`
	// Start and End bound the fault in simulated time.
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
	// Factor multiplies service time (capacity-drop, in (0, 1000]) or
	// request rate (load-spike, in (0, 100]; below 1 the load falls). Only
	// those kinds take it.
	Factor float64 `json:"factor,omitempty"`
	// Delay is added to service time (latency-spike).
	Delay time.Duration `json:"delay,omitempty"`
	// Fraction of attempts that fail fast (error-spike), in (0, 1]:
	// required for that kind.
	Fraction float64 `json:"fraction,omitempty"`
	// Cost is the worker time a fast failure takes (error-spike). Zero
	// means the failure takes no time at all.
	Cost time.Duration `json:"cost,omitempty"`
}

// MarshalJSON writes the fault with durations as strings.
func (f Fault) MarshalJSON() ([]byte, error) { return config.Marshal(f) }

// UnmarshalJSON reads a fault; durations are strings such as "10s".
func (f *Fault) UnmarshalJSON(data []byte) error { return decode(data, f) }

// withDefaults returns s with every zero field replaced by its default.
func (s Scenario) withDefaults() Scenario {
	if s.Duration == 0 {
		s.Duration = 120 * time.Second
	}
	if s.Workers == 0 {
		s.Workers = 10
	}
	if s.Service.Kind == "" {
		s.Service.Kind = DistExponential
	}
	if s.Service.Mean == 0 {
		s.Service.Mean = 10 * time.Millisecond
	}
	if s.Service.Sigma == 0 {
		s.Service.Sigma = 1
	}
	if s.Clients == 0 {
		s.Clients = 10
	}
	if s.Server == "" {
		s.Server = ServerFIFO
	}
	if s.Server != ServerFIFO {
		s.CancelAbandoned = true
	}
	if s.Rate == 0 {
		s.Rate = 700
	}
	if s.Timeout == 0 {
		s.Timeout = 100 * time.Millisecond
	}
	return s
}

// Limits of a scenario, so that every run that validates ends in bounded
// time and memory.
const (
	maxDuration  = time.Hour    // duration, a fault's start and end
	maxWait      = time.Hour    // timeout, deadline, service mean, a fault's delay and cost
	maxWorkers   = 100_000      // workers
	maxQueue     = 10_000_000   // queue_limit
	maxClients   = 10_000       // clients
	maxRate      = 100_000.0    // rate, requests per second
	maxRequests  = 20_000_000.0 // rate × duration × the largest load spike
	maxFaults    = 100          // faults
	maxCapFactor = 1000.0       // a capacity-drop's factor
	maxLoad      = 100.0        // a load-spike's factor, and the product of those active together
	minDuration  = WindowSize   // duration, when set
	maxSigma     = 10.0         // service.sigma
	minRate      = 1e-3         // rate, when set
)

// Validate reports the first invalid field of s, as a *rampart.ConfigError
// naming its JSON key ("faults[0].factor"). Zero values are valid: they mean
// their defaults. Every field is bounded, so a valid scenario runs in
// bounded time and memory: duration up to 1h, rate up to 100000 per second
// and 20 million requests in all, up to 10000 clients and 100000 workers,
// faults as documented on [Fault].
func (s Scenario) Validate() error {
	switch {
	case s.Duration < 0 || (s.Duration > 0 && s.Duration < minDuration) || s.Duration > maxDuration:
		return config.Errorf("sim", "duration", "must be in [%v, %v], got %v", minDuration, maxDuration, s.Duration)
	case s.Workers < 0 || s.Workers > maxWorkers:
		return config.Errorf("sim", "workers", "must be in [1, %d], got %d", maxWorkers, s.Workers)
	case s.QueueLimit < 0 || s.QueueLimit > maxQueue:
		return config.Errorf("sim", "queue_limit", "must be in [0, %d], got %d", maxQueue, s.QueueLimit)
	case s.Clients < 0 || s.Clients > maxClients:
		return config.Errorf("sim", "clients", "must be in [1, %d], got %d", maxClients, s.Clients)
	case math.IsNaN(s.Rate) || s.Rate < 0 || (s.Rate > 0 && s.Rate < minRate) || s.Rate > maxRate:
		return config.Errorf("sim", "rate", "must be a number in [%g, %g], got %v", minRate, maxRate, s.Rate)
	case s.Timeout < 0 || s.Timeout > maxWait:
		return config.Errorf("sim", "timeout", "must be in [0, %v], got %v", maxWait, s.Timeout)
	case s.Deadline < 0 || s.Deadline > maxWait:
		return config.Errorf("sim", "deadline", "must be in [0, %v], got %v", maxWait, s.Deadline)
	}
	switch s.Service.Kind {
	case "", DistExponential, DistConstant, DistLognormal:
	default:
		return config.Errorf("sim", "service.kind", "must be %q, %q or %q, got %q",
			DistExponential, DistConstant, DistLognormal, s.Service.Kind)
	}
	if s.Service.Mean < 0 || s.Service.Mean > maxWait {
		return config.Errorf("sim", "service.mean", "must be in [0, %v], got %v", maxWait, s.Service.Mean)
	}
	if !(s.Service.Sigma >= 0 && s.Service.Sigma <= maxSigma) {
		return config.Errorf("sim", "service.sigma", "must be in [0, %g], got %v", maxSigma, s.Service.Sigma)
	}
	if len(s.Faults) > maxFaults {
		return config.Errorf("sim", "faults", "must hold at most %d faults, got %d", maxFaults, len(s.Faults))
	}
	for i, f := range s.Faults {
		if err := f.validate(i); err != nil {
			return err
		}
	}
	if k := s.peakLoad(); k > maxLoad {
		return config.Errorf("sim", "faults", "load-spike factors active together must multiply to at most %g, got %g", maxLoad, k)
	}
	d := s.withDefaults()
	if n := d.Rate * d.Duration.Seconds() * d.peakLoad(); n > maxRequests {
		return config.Errorf("sim", "rate", "times duration (and the largest load spike) must stay within %g requests, got %g", maxRequests, n)
	}
	return s.validateServer()
}

func (f Fault) validate(i int) error {
	key := func(name string) string { return "faults[" + strconv.Itoa(i) + "]." + name }
	switch {
	case f.Start < 0 || f.Start > maxDuration:
		return config.Errorf("sim", key("start"), "must be in [0, %v], got %v", maxDuration, f.Start)
	case f.End <= f.Start || f.End > maxDuration:
		return config.Errorf("sim", key("end"), "must be after start (%v) and at most %v, got %v", f.Start, maxDuration, f.End)
	}
	switch f.Kind {
	case FaultCapacityDrop:
		if !(f.Factor > 0 && f.Factor <= maxCapFactor) {
			return config.Errorf("sim", key("factor"), "must be in (0, %g] for %s, got %v", maxCapFactor, f.Kind, f.Factor)
		}
	case FaultLoadSpike:
		if !(f.Factor > 0 && f.Factor <= maxLoad) {
			return config.Errorf("sim", key("factor"), "must be in (0, %g] for %s, got %v", maxLoad, f.Kind, f.Factor)
		}
	case FaultLatencySpike:
		if f.Delay <= 0 || f.Delay > maxWait {
			return config.Errorf("sim", key("delay"), "must be in (0, %v] for %s, got %v", maxWait, f.Kind, f.Delay)
		}
	case FaultErrorSpike:
		if !(f.Fraction > 0 && f.Fraction <= 1) {
			return config.Errorf("sim", key("fraction"), "must be in (0, 1] for %s, got %v", f.Kind, f.Fraction)
		}
		if f.Cost < 0 || f.Cost > maxWait {
			return config.Errorf("sim", key("cost"), "must be in [0, %v], got %v", maxWait, f.Cost)
		}
	default:
		return config.Errorf("sim", key("kind"), "must be %q, %q, %q or %q, got %q",
			FaultCapacityDrop, FaultLatencySpike, FaultErrorSpike, FaultLoadSpike, f.Kind)
	}
	if f.Kind != FaultCapacityDrop && f.Kind != FaultLoadSpike && f.Factor != 0 {
		return config.Errorf("sim", key("factor"), "applies to %s and %s only, not %s", FaultCapacityDrop, FaultLoadSpike, f.Kind)
	}
	return nil
}

// peakLoad is the largest product of the load-spike factors active at one
// time, and at least 1. The product changes only where a spike starts or
// ends, so its largest value is reached where one starts.
func (s Scenario) peakLoad() float64 {
	peak := 1.0
	for _, f := range s.Faults {
		if f.Kind == FaultLoadSpike {
			peak = max(peak, s.loadAt(f.Start))
		}
	}
	return peak
}

// loadAt is the product of the load-spike factors active at t.
func (s Scenario) loadAt(t time.Duration) float64 {
	k := 1.0
	for _, f := range s.Faults {
		if f.Kind == FaultLoadSpike && t >= f.Start && t < f.End {
			k *= f.Factor
		}
	}
	return k
}

// faultWindow returns the earliest start and the latest end of s's faults;
// ok is false when s has none.
func (s Scenario) faultWindow() (start, end time.Duration, ok bool) {
	for i, f := range s.Faults {
		if i == 0 || f.Start < start {
			start = f.Start
		}
		if f.End > end {
			end = f.End
		}
	}
	return start, end, len(s.Faults) > 0
}

// utilisation is the healthy server's offered load: Rate times the mean
// service time over Workers. Below 1 the server keeps up.
func (s Scenario) utilisation() float64 {
	return s.Rate * s.Service.Mean.Seconds() / float64(s.Workers)
}
