package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rampart-go/rampart/sim"
)

// stragglersName is the scenario name that runs the straggler experiment
// (package sim's RunStragglers) instead of a storm scenario.
const stragglersName = "stragglers"

// isStragglers reports whether the command line names the straggler
// experiment, by position or with -scenario.
func isStragglers(o simOptions, names []string) bool {
	switch {
	case o.scenarioFile == "" && len(names) == 1:
		return names[0] == stragglersName
	case o.scenarioFile == stragglersName && len(names) == 0:
		return true
	}
	return false
}

// runStragglers is rampart sim stragglers: the hedging experiment, every
// built-in hedging policy side by side (or those named by -policy). The
// storm's -clients, -seed, -rate and -duration apply; -svg does not.
func runStragglers(o simOptions, stdout io.Writer) error {
	if o.policyFile != "" || o.svg != "" {
		return fmt.Errorf("%w: -policies and -svg do not apply to %s", errUsage, stragglersName)
	}
	if o.clients < 0 || o.rate < 0 || o.duration < 0 {
		return fmt.Errorf("%w: -clients, -rate and -duration must not be negative", errUsage)
	}
	sc := sim.Stragglers()
	if o.clients > 0 {
		sc.Clients = o.clients
	}
	if o.seed >= 0 {
		sc.Seed = uint64(o.seed)
	}
	if o.rate > 0 {
		sc.Rate = o.rate
	}
	if o.duration > 0 {
		sc.Duration = o.duration
	}
	policies := sim.StragglerPolicies()
	if o.policy != "" && !o.compare {
		policies = nil
		for _, name := range strings.Split(o.policy, ",") {
			p, ok := sim.LookupStragglerPolicy(strings.TrimSpace(name))
			if !ok {
				var have []string
				for _, p := range sim.StragglerPolicies() {
					have = append(have, p.Name)
				}
				return fmt.Errorf("%w: unknown policy %q for %s (have: %s)", errUsage, name, stragglersName, strings.Join(have, ", "))
			}
			policies = append(policies, p)
		}
	}
	var results []sim.StragglerSummary
	for _, p := range policies {
		r, err := sim.RunStragglers(sc, p)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(stdout, "scenario %s: %d replicas, %.0f%% of the time each 10× slower, %.0f rps\n",
		sc.Name, sc.Replicas, 100*sc.SlowFraction, sc.Rate)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\trequests\textra attempts\thedges\trefused\tp50\tp99\tp99.9\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%d\t%d\t%.1fms\t%.1fms\t%.1fms\t\n",
			r.Policy, r.Requests, 100*r.ExtraAttempts, r.Hedges, r.BudgetRefused, r.P50ms, r.P99ms, r.P999ms)
	}
	return tw.Flush()
}
