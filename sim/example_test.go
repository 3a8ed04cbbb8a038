package sim_test

import (
	"fmt"
	"os"
	"time"

	"github.com/rampart-go/rampart/retry"
	"github.com/rampart-go/rampart/sim"
)

// The built-in storm: a server loses half its capacity for five seconds.
// The retry loop of the article "Building Resilient Distributed Systems
// with Go" keeps it overloaded long after the fault ends;
// rampart's defaults let it recover.
func Example() {
	sc, _ := sim.LookupScenario("capacity-drop")
	for _, name := range []string{"naive", "default"} {
		p, _ := sim.LookupPolicy(name)
		r, err := sim.Run(sc, p)
		if err != nil {
			fmt.Println(err)
			return
		}
		s := r.Summary
		fmt.Printf("%s: recovered %v, metastable %v, amplification after the fault below 1.1: %v\n",
			s.Policy, s.Recovered(), s.Metastable, s.AmplificationAfterFault < 1.1)
	}
	// Output:
	// naive: recovered false, metastable true, amplification after the fault below 1.1: false
	// default: recovered true, metastable false, amplification after the fault below 1.1: true
}

// A scenario and a policy of your own, built in code (or read from JSON
// with ParseScenario and ParsePolicies).
func ExampleRun() {
	sc := sim.Scenario{
		Name:     "slow-dependency",
		Duration: 60 * time.Second,
		Seed:     7,
		Workers:  20,
		Service:  sim.Dist{Kind: sim.DistLognormal, Mean: 20 * time.Millisecond, Sigma: 0.5},
		Rate:     600,
		Timeout:  200 * time.Millisecond,
		Faults: []sim.Fault{
			{Kind: sim.FaultLatencySpike, Start: 20 * time.Second, End: 30 * time.Second, Delay: 30 * time.Millisecond},
		},
	}
	p := sim.Policy{Name: "two-attempts", Retry: &retry.Config{MaxAttempts: 2}}
	r, err := sim.Run(sc, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("windows:", len(r.Windows), "metastable:", r.Summary.Metastable)
	// Output:
	// windows: 60 metastable: false
}

// Policies read from JSON use the policies' own config structs.
func ExampleParsePolicies() {
	ps, err := sim.ParsePolicies([]byte(`[
		{"name": "patient", "retry": {"max_attempts": 5, "backoff": {"base": "500ms"}}},
		{"name": "ratio", "retry": {}, "ratio_budget": {"ratio": 0.05}}
	]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range ps {
		fmt.Println(p.Name)
	}
	// Output:
	// patient
	// ratio
}

// WriteSVG draws goodput, attempts and queue length over time, one line per
// policy, the fault window shaded.
func ExampleWriteSVG() {
	sc, _ := sim.LookupScenario("capacity-drop")
	var results []*sim.Result
	for _, p := range sim.Policies() {
		r, err := sim.Run(sc, p)
		if err != nil {
			fmt.Println(err)
			return
		}
		results = append(results, r)
	}
	f, err := os.CreateTemp("", "storm-*.svg")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := sim.WriteSVG(f, results); err != nil {
		fmt.Println(err)
	}
}
