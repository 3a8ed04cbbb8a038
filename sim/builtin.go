package sim

import (
	"slices"
	"time"
)

// The built-in scenarios share one healthy system: 10 workers with an
// exponential service time of mean 10ms (capacity 1000 requests per
// second), 10 clients sending 700 requests per second in total, a 100ms
// timeout per attempt, 120s in all, seed 1. They differ in the fault that
// strikes from t=10s to t=15s.
func builtins() []Scenario {
	base := func(name, desc string, f Fault) Scenario {
		f.Start, f.End = 10*time.Second, 15*time.Second
		return Scenario{
			Name:        name,
			Description: desc,
			Duration:    120 * time.Second,
			Seed:        1,
			Workers:     10,
			Service:     Dist{Kind: DistExponential, Mean: 10 * time.Millisecond},
			Clients:     10,
			Rate:        700,
			Timeout:     100 * time.Millisecond,
			Faults:      []Fault{f},
		}
	}
	return []Scenario{
		base("capacity-drop", "service time doubles for 5s: capacity falls from 1000 to 500 rps under a 700 rps load",
			Fault{Kind: FaultCapacityDrop, Factor: 2}),
		base("latency-spike", "every request waits 50ms more for 5s while holding its worker",
			Fault{Kind: FaultLatencySpike, Delay: 50 * time.Millisecond}),
		base("error-spike", "half the requests fail fast (1ms of work) for 5s",
			Fault{Kind: FaultErrorSpike, Fraction: 0.5, Cost: time.Millisecond}),
		base("outage", "every request fails fast (1ms of work) for 5s",
			Fault{Kind: FaultErrorSpike, Fraction: 1, Cost: time.Millisecond}),
		base("load-spike", "the clients send twice as many requests for 5s: 1400 rps against a capacity of 1000",
			Fault{Kind: FaultLoadSpike, Factor: 2}),
	}
}

// Scenarios returns the built-in scenarios, "capacity-drop" first.
func Scenarios() []Scenario { return builtins() }

// ScenarioNames returns the names of the built-in scenarios.
func ScenarioNames() []string {
	var names []string
	for _, s := range builtins() {
		names = append(names, s.Name)
	}
	return names
}

// LookupScenario returns the built-in scenario with the given name.
func LookupScenario(name string) (Scenario, bool) {
	all := builtins()
	i := slices.IndexFunc(all, func(s Scenario) bool { return s.Name == name })
	if i < 0 {
		return Scenario{}, false
	}
	return all[i], true
}
