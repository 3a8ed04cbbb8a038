package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/rampart-go/rampart/sim"
)

func init() {
	commands["sim"] = func(args []string) error { return runSim(args, os.Stdout, os.Stderr) }
}

const simUsage = `usage: rampart sim [flags] [SCENARIO]

Runs a storm scenario in simulated time against client policies and prints
what happened: load amplification, goodput, p99 latency, recovery time.
SCENARIO is a built-in name (default capacity-drop); -scenario FILE reads
one from JSON instead.

flags:
`

// simOptions are the parsed flags of rampart sim.
type simOptions struct {
	scenarioFile string
	policy       string
	policyFile   string
	compare      bool
	json         bool
	svg          string
	list         bool
	clients      int
	seed         int64
	rate         float64
	duration     time.Duration
	server       string
}

// runSim is rampart sim: it writes its report to stdout and usage to stderr.
func runSim(args []string, stdout, stderr io.Writer) error {
	var o simOptions
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, simUsage)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nscenarios: %s\npolicies:  %s\n",
			strings.Join(sim.ScenarioNames(), ", "), strings.Join(sim.PolicyNames(), ", "))
	}
	fs.StringVar(&o.scenarioFile, "scenario", "", "read the scenario from this JSON `file` (or name a built-in one)")
	fs.StringVar(&o.policy, "policy", "", "comma-separated policy `names` to run (default \"default\", or every policy with -compare)")
	fs.StringVar(&o.policyFile, "policies", "", "read extra policies from this JSON `file`: one object or an array, {\"name\":..., \"retry\":{...}, \"breaker\":{...}}")
	fs.BoolVar(&o.compare, "compare", false, "run every built-in policy (and those from -policies) side by side")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per policy instead of a table")
	fs.StringVar(&o.svg, "svg", "", "write a chart of goodput, attempts and queue over time to this `file`")
	fs.BoolVar(&o.list, "list", false, "list the built-in scenarios and policies")
	fs.IntVar(&o.clients, "clients", 0, "override the scenario's number of clients")
	fs.Int64Var(&o.seed, "seed", -1, "override the scenario's random seed")
	fs.Float64Var(&o.rate, "rate", 0, "override the scenario's total request rate per second")
	fs.DurationVar(&o.duration, "duration", 0, "override the scenario's duration")
	fs.StringVar(&o.server, "server", "", "override the server's admission `model`: fifo (serve abandoned work, the default), drop-abandoned or adaptive (an adaptive concurrency limiter with its queue)")

	// Flags may come before or after the scenario name.
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		names = append(names, args[0])
		args = args[1:]
	}
	if o.list {
		return listSim(stdout)
	}
	sc, err := o.scenario(names)
	if err != nil {
		return err
	}
	policies, err := o.policies()
	if err != nil {
		return err
	}
	results, err := runAll(sc, policies)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		for _, r := range results {
			if err := enc.Encode(r.Summary); err != nil {
				return err
			}
		}
	} else {
		printTable(stdout, sc, results)
	}
	if o.svg != "" {
		if err := writeSVG(o.svg, results); err != nil {
			return err
		}
		if !o.json {
			fmt.Fprintf(stdout, "\nchart written to %s\n", o.svg)
		}
	}
	return nil
}

// scenario resolves the scenario from the positional name or -scenario,
// and applies the overrides.
func (o *simOptions) scenario(names []string) (sim.Scenario, error) {
	if len(names) > 1 {
		return sim.Scenario{}, fmt.Errorf("%w: sim takes one scenario, got %q", errUsage, names)
	}
	ref := "capacity-drop"
	switch {
	case o.scenarioFile != "" && len(names) == 1:
		return sim.Scenario{}, fmt.Errorf("%w: give a scenario name or -scenario, not both", errUsage)
	case o.scenarioFile != "":
		ref = o.scenarioFile
	case len(names) == 1:
		ref = names[0]
	}
	sc, ok := sim.LookupScenario(ref)
	if !ok {
		data, err := os.ReadFile(ref)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return sim.Scenario{}, fmt.Errorf("%w: no built-in scenario or file %q (built-in: %s)",
					errUsage, ref, strings.Join(sim.ScenarioNames(), ", "))
			}
			return sim.Scenario{}, err
		}
		if sc, err = sim.ParseScenario(data); err != nil {
			return sim.Scenario{}, fmt.Errorf("%s: %w", ref, err)
		}
		if sc.Name == "" {
			sc.Name = ref
		}
	}
	if o.clients < 0 || o.rate < 0 || o.duration < 0 {
		return sim.Scenario{}, fmt.Errorf("%w: -clients, -rate and -duration must not be negative", errUsage)
	}
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
	if o.server != "" {
		sc.Server = o.server
	}
	return sc, sc.Validate()
}

// policies resolves the policies to run, in order.
func (o *simOptions) policies() ([]sim.Policy, error) {
	available := sim.Policies()
	var extra []sim.Policy
	if o.policyFile != "" {
		data, err := os.ReadFile(o.policyFile)
		if err != nil {
			return nil, err
		}
		if extra, err = sim.ParsePolicies(data); err != nil {
			return nil, fmt.Errorf("%s: %w", o.policyFile, err)
		}
		available = append(available, extra...)
	}
	switch {
	case o.compare && o.policy != "":
		return nil, fmt.Errorf("%w: give -policy or -compare, not both", errUsage)
	case o.compare:
		return available, nil
	case o.policy == "" && len(extra) > 0:
		return extra, nil
	case o.policy == "":
		o.policy = "default"
	}
	var out []sim.Policy
	for _, name := range strings.Split(o.policy, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(available, func(p sim.Policy) bool { return p.Name == name })
		if i < 0 {
			names := make([]string, len(available))
			for j, p := range available {
				names[j] = p.Name
			}
			return nil, fmt.Errorf("%w: unknown policy %q (have: %s)", errUsage, name, strings.Join(names, ", "))
		}
		out = append(out, available[i])
	}
	return out, nil
}

// runAll runs sc under each policy, two at a time, and returns the results
// in the order of policies.
func runAll(sc sim.Scenario, policies []sim.Policy) ([]*sim.Result, error) {
	results := make([]*sim.Result, len(policies))
	errs := make([]error, len(policies))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, p := range policies {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i], errs[i] = sim.Run(sc, p)
		}()
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

func printTable(w io.Writer, sc sim.Scenario, results []*sim.Result) {
	fmt.Fprintf(w, "scenario %s", sc.Name)
	if sc.Description != "" {
		fmt.Fprintf(w, ": %s", sc.Description)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\trequests\tattempts\tamplification\tafter fault\tgoodput\tp99\trecovery\tmetastable\t")
	for _, r := range results {
		s := r.Summary
		rec := "never"
		if s.RecoverySeconds != nil {
			rec = fmt.Sprintf("%gs", *s.RecoverySeconds)
		}
		meta := "no"
		if s.Metastable {
			meta = "YES"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.2f%%\t%.1fms\t%s\t%s\t\n",
			s.Policy, s.Requests, s.Attempts, s.Amplification, s.AmplificationAfterFault,
			s.Goodput*100, s.P99ms, rec, meta)
	}
	tw.Flush()
}

func writeSVG(path string, results []*sim.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sim.WriteSVG(f, results); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func listSim(w io.Writer) error {
	fmt.Fprintln(w, "scenarios:")
	for _, s := range sim.Scenarios() {
		fmt.Fprintf(w, "  %-15s %s\n", s.Name, s.Description)
	}
	fmt.Fprintln(w, "policies:")
	for _, p := range sim.Policies() {
		fmt.Fprintf(w, "  %s\n", p.Name)
	}
	return nil
}
