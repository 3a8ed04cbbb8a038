package sim

import (
	"math"
	"strconv"
	"time"

	"github.com/rampart-go/rampart/adaptive"
	"github.com/rampart-go/rampart/internal/config"
)

// Scenario describes one simulated system: a server, the clients that call
// it, and the faults that strike it. The zero value of every field is its
// documented default; the defaults together are the healthy half of the
// built-in "capacity-drop" scenario.
//
// A Scenario reads from and writes to JSON with durations as strings
// ("100ms"); unknown keys are an error.
type Scenario struct {
	// Name identifies the scenario in results and charts.
	Name string `json:"name"`
	// Description says in a sentence what the scenario shows.
	Description string `json:"description,omitempty"`
	// Duration is how long clients send new requests. Zero means 120s.
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
func (s *Scenario) UnmarshalJSON(data []byte) error { return config.Unmarshal("sim", data, s) }

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
func (d *Dist) UnmarshalJSON(data []byte) error { return config.Unmarshal("sim", data, d) }

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
	// Factor multiplies service time (capacity-drop) or request rate
	// (load-spike). Must be > 0 for those kinds.
	Factor float64 `json:"factor,omitempty"`
	// Delay is added to service time (latency-spike).
	Delay time.Duration `json:"delay,omitempty"`
	// Fraction of attempts that fail fast (error-spike), in [0, 1].
	Fraction float64 `json:"fraction,omitempty"`
	// Cost is the worker time a fast failure takes (error-spike). Zero
	// means the failure takes no time at all.
	Cost time.Duration `json:"cost,omitempty"`
}

// MarshalJSON writes the fault with durations as strings.
func (f Fault) MarshalJSON() ([]byte, error) { return config.Marshal(f) }

// UnmarshalJSON reads a fault; durations are strings such as "10s".
func (f *Fault) UnmarshalJSON(data []byte) error { return config.Unmarshal("sim", data, f) }

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

// Validate reports the first invalid field of s, as a *rampart.ConfigError
// naming it. Zero values are valid: they mean their defaults.
func (s Scenario) Validate() error {
	switch {
	case s.Duration < 0:
		return config.Errorf("sim", "Duration", "must be >= 0, got %v", s.Duration)
	case s.Duration > 24*time.Hour:
		return config.Errorf("sim", "Duration", "must be at most 24h, got %v", s.Duration)
	case s.Workers < 0:
		return config.Errorf("sim", "Workers", "must be >= 0, got %d", s.Workers)
	case s.QueueLimit < 0:
		return config.Errorf("sim", "QueueLimit", "must be >= 0, got %d", s.QueueLimit)
	case s.Clients < 0:
		return config.Errorf("sim", "Clients", "must be >= 0, got %d", s.Clients)
	case s.Rate < 0 || math.IsNaN(s.Rate) || math.IsInf(s.Rate, 0):
		return config.Errorf("sim", "Rate", "must be a finite number >= 0, got %v", s.Rate)
	case s.Timeout < 0:
		return config.Errorf("sim", "Timeout", "must be >= 0, got %v", s.Timeout)
	case s.Deadline < 0:
		return config.Errorf("sim", "Deadline", "must be >= 0, got %v", s.Deadline)
	}
	switch s.Service.Kind {
	case "", DistExponential, DistConstant, DistLognormal:
	default:
		return config.Errorf("sim", "Service.Kind", "must be %q, %q or %q, got %q",
			DistExponential, DistConstant, DistLognormal, s.Service.Kind)
	}
	if s.Service.Mean < 0 {
		return config.Errorf("sim", "Service.Mean", "must be >= 0, got %v", s.Service.Mean)
	}
	if s.Service.Sigma < 0 || math.IsNaN(s.Service.Sigma) || s.Service.Sigma > 10 {
		return config.Errorf("sim", "Service.Sigma", "must be in [0, 10], got %v", s.Service.Sigma)
	}
	for i, f := range s.Faults {
		if err := f.validate(i); err != nil {
			return err
		}
	}
	return s.validateServer()
}

func (f Fault) validate(i int) error {
	field := func(name string) string { return "Faults[" + strconv.Itoa(i) + "]." + name }
	if f.Start < 0 || f.End <= f.Start {
		return config.Errorf("sim", field("End"), "must be after Start (%v) and Start >= 0, got %v", f.Start, f.End)
	}
	switch f.Kind {
	case FaultCapacityDrop, FaultLoadSpike:
		if !(f.Factor > 0) || math.IsInf(f.Factor, 0) {
			return config.Errorf("sim", field("Factor"), "must be a finite number > 0 for %s, got %v", f.Kind, f.Factor)
		}
	case FaultLatencySpike:
		if f.Delay <= 0 {
			return config.Errorf("sim", field("Delay"), "must be > 0 for %s, got %v", f.Kind, f.Delay)
		}
	case FaultErrorSpike:
		if !(f.Fraction >= 0 && f.Fraction <= 1) {
			return config.Errorf("sim", field("Fraction"), "must be in [0, 1], got %v", f.Fraction)
		}
		if f.Cost < 0 {
			return config.Errorf("sim", field("Cost"), "must be >= 0, got %v", f.Cost)
		}
	default:
		return config.Errorf("sim", field("Kind"), "must be %q, %q, %q or %q, got %q",
			FaultCapacityDrop, FaultLatencySpike, FaultErrorSpike, FaultLoadSpike, f.Kind)
	}
	return nil
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
