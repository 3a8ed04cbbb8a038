package sim_test

import (
	"fmt"

	"github.com/rampart-go/rampart/sim"
)

// The straggler experiment: replicas that are 10× slower 1% of the time,
// with and without a hedge after the p95 of recent latencies.
func ExampleRunStragglers() {
	sc := sim.Stragglers()
	none, _ := sim.LookupStragglerPolicy("none")
	p95, _ := sim.LookupStragglerPolicy("p95")
	a, err := sim.RunStragglers(sc, none)
	if err != nil {
		panic(err)
	}
	b, err := sim.RunStragglers(sc, p95)
	if err != nil {
		panic(err)
	}
	fmt.Println("p99.9 cut at least 20×:", a.P999ms/b.P999ms >= 20)
	fmt.Println("extra attempts under 5%:", b.ExtraAttempts < 0.05)
	// Output:
	// p99.9 cut at least 20×: true
	// extra attempts under 5%: true
}
