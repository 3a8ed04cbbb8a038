package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/rampart-go/rampart"
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
	set          []string // the flags given
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
	fs.Int64Var(&o.seed, "seed", 0, "override the scenario's random seed (≥ 0)")
	fs.Float64Var(&o.rate, "rate", 0, "override the scenario's total request rate per second")
	fs.DurationVar(&o.duration, "duration", 0, "override the scenario's duration")
	fs.StringVar(&o.server, "server", "", "override the server's admission `model`: fifo (serve abandoned work, the default), drop-abandoned or adaptive (an adaptive concurrency limiter with its queue)")

	// Flags may come before or after the scenario name.
	var names []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		names = append(names, args[0])
		args = args[1:]
	}
	fs.Visit(func(f *flag.Flag) { o.set = append(o.set, f.Name) })
	if o.list {
		return listSim(stdout)
	}
	if isStragglers(o, names) {
		return runStragglers(o, stdout)
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
		return sim.Scenario{}, usagef("sim takes one scenario, got %q", names)
	}
	ref := "capacity-drop"
	switch {
	case o.scenarioFile != "" && len(names) == 1:
		return sim.Scenario{}, usagef("sim: give a scenario name or -scenario, not both")
	case o.scenarioFile != "":
		ref = o.scenarioFile
	case len(names) == 1:
		ref = names[0]
	}
	sc, ok := sim.LookupScenario(ref)
	if !ok {
		data, err := readInput(ref, "scenario", sim.ScenarioNames())
		if err != nil {
			return sim.Scenario{}, err
		}
		if sc, err = sim.ParseScenario(data); err != nil {
			return sim.Scenario{}, inputError(ref, err)
		}
		if sc.Name == "" {
			sc.Name = ref
		}
	}
	set := func(name string) bool { return slices.Contains(o.set, name) }
	switch {
	case set("clients") && o.clients < 1:
		return sim.Scenario{}, usagef("sim: -clients must be at least 1, got %d", o.clients)
	case set("seed") && o.seed < 0:
		return sim.Scenario{}, usagef("sim: -seed must be at least 0, got %d", o.seed)
	case set("rate") && !(o.rate > 0 && o.rate <= math.MaxFloat64):
		return sim.Scenario{}, usagef("sim: -rate must be a number above 0, got %v", o.rate)
	case set("duration") && o.duration <= 0:
		return sim.Scenario{}, usagef("sim: -duration must be above 0, got %v", o.duration)
	}
	if set("clients") {
		sc.Clients = o.clients
	}
	if set("seed") {
		sc.Seed = uint64(o.seed)
	}
	if set("rate") {
		sc.Rate = o.rate
	}
	if set("duration") {
		sc.Duration = o.duration
	}
	if o.server != "" {
		sc.Server = o.server
	}
	if err := sc.Validate(); err != nil {
		var ce *rampart.ConfigError
		if errors.As(err, &ce) && set(ce.Field) {
			return sim.Scenario{}, usagef("sim: -%s %s", ce.Field, ce.Reason) // the flag's value is out of range
		}
		return sim.Scenario{}, inputError(sc.Name, err)
	}
	return sc, nil
}

// readInput reads the file a flag or argument names; one that does not
// exist is a usage error listing the built-in names of its kind.
func readInput(path, kind string, builtins []string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, usagef("sim: no built-in %s or file %q (built-in: %s)", kind, path, strings.Join(builtins, ", "))
	}
	return data, err
}

// inputError says which input an error of the simulator is about, once:
// "sim: mine.json: invalid config: rate must be …".
func inputError(input string, err error) error {
	var ce *rampart.ConfigError
	if errors.As(err, &ce) {
		return fmt.Errorf("sim: %s: invalid config: %s %s", input, ce.Field, ce.Reason)
	}
	return fmt.Errorf("sim: %s: %s", input, strings.TrimPrefix(err.Error(), "sim: "))
}

// policies resolves the policies to run, in order.
func (o *simOptions) policies() ([]sim.Policy, error) {
	available := sim.Policies()
	var extra []sim.Policy
	if o.policyFile != "" {
		data, err := readInput(o.policyFile, "policies", sim.PolicyNames())
		if err != nil {
			return nil, err
		}
		if extra, err = sim.ParsePolicies(data); err != nil {
			return nil, inputError(o.policyFile, err)
		}
		for _, p := range extra {
			if _, ok := sim.LookupPolicy(p.Name); ok {
				return nil, fmt.Errorf("sim: %s: policy %q has the name of a built-in policy", o.policyFile, p.Name)
			}
		}
		available = append(available, extra...)
	}
	switch {
	case o.compare && o.policy != "":
		return nil, usagef("sim: give -policy or -compare, not both")
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
			return nil, usagef("sim: unknown policy %q (have: %s)", name, strings.Join(names, ", "))
		}
		if slices.ContainsFunc(out, func(p sim.Policy) bool { return p.Name == name }) {
			return nil, usagef("sim: -policy names %q twice", name)
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
	fmt.Fprintln(tw, "policy\trequests\tattempts\tamplification\tafter fault\tpeak 5s\tgoodput\tp99\trecovery\tmetastable\t")
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
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f%%\t%.1fms\t%s\t%s\t\n",
			s.Policy, s.Requests, s.Attempts, s.Amplification, s.AmplificationAfterFault,
			s.PeakAmplificationAfterFault, s.Goodput*100, s.P99ms, rec, meta)
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
	fmt.Fprintf(w, "  %-15s %s\n", stragglersName, "hedged requests against replicas that are 10× slower 1% of the time (own policies: none, fixed-10ms, p95)")
	fmt.Fprintln(w, "policies:")
	for _, p := range sim.Policies() {
		fmt.Fprintf(w, "  %s\n", p.Name)
	}
	return nil
}
