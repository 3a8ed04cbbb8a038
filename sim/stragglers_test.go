package sim_test

import (
	"testing"
	"time"

	"github.com/rampart-go/rampart/hedge"
	"github.com/rampart-go/rampart/sim"
)

func runStragglers(t *testing.T, sc sim.StragglerScenario, p sim.StragglerPolicy) sim.StragglerSummary {
	t.Helper()
	s, err := sim.RunStragglers(sc, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: p99.9 %.1fms, p99 %.1fms, extra attempts %.1f%%, refused %d, p99 after slowdown %.1fms, extra after %.1f%%",
		p.Name, s.P999ms, s.P99ms, 100*s.ExtraAttempts, s.BudgetRefused, s.P99AfterSlowdownMs, 100*s.ExtraAttemptsAfterSlowdown)
	return s
}

// The goal of the straggler experiment: hedging cuts p99.9 at least 20×
// for at most 5% extra attempts, with a fixed delay and with the p95.
func TestStragglersHedgingCutsTheTail(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole experiment")
	}
	sc := sim.Stragglers()
	none := runStragglers(t, sc, sim.StragglerPolicy{Name: "none"})
	if none.P999ms < 300 {
		t.Fatalf("without hedging p99.9 is %.1fms: the experiment has no stragglers to cut", none.P999ms)
	}
	for _, name := range []string{"fixed-10ms", "p95"} {
		p, ok := sim.LookupStragglerPolicy(name)
		if !ok {
			t.Fatalf("no built-in policy %q", name)
		}
		s := runStragglers(t, sc, p)
		if cut := none.P999ms / s.P999ms; cut < 20 {
			t.Errorf("%s: p99.9 %.1fms cut only %.1f× from %.1fms, want ≥ 20×", name, s.P999ms, cut, none.P999ms)
		}
		if s.ExtraAttempts > 0.05 || s.Hedges == 0 {
			t.Errorf("%s: %.2f%% extra attempts (%d hedges), want some and at most 5%%", name, 100*s.ExtraAttempts, s.Hedges)
		}
	}
}

// When the whole service slows down, every call passes a fixed delay.
// Without a budget hedging doubles the load, and the overload outlives the
// slowdown (losers are served, so each hedge costs a replica its work);
// with the default budget it does not.
func TestStragglersBudgetPreventsMetastability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole experiment")
	}
	sc := sim.Stragglers()
	sc.DropCancelled = false
	sc.Duration = 30 * time.Second
	sc.Slowdown = sim.Fault{Start: 10 * time.Second, End: 15 * time.Second, Factor: 1.6}
	fixed := hedge.Config{Delay: 10 * time.Millisecond}
	unbounded := fixed
	unbounded.DisableBudget = true
	bad := runStragglers(t, sc, sim.StragglerPolicy{Name: "fixed-no-budget", Hedge: &unbounded})
	good := runStragglers(t, sc, sim.StragglerPolicy{Name: "fixed", Hedge: &fixed})
	p95 := runStragglers(t, sc, sim.StragglerPolicy{Name: "p95", Hedge: &hedge.Config{}})
	if bad.P99AfterSlowdownMs < 1000 || bad.ExtraAttemptsAfterSlowdown < 0.5 {
		t.Fatalf("without a budget the run recovered (p99 after %.1fms, extra %.2f): the scenario does not test the budget",
			bad.P99AfterSlowdownMs, bad.ExtraAttemptsAfterSlowdown)
	}
	for _, s := range []sim.StragglerSummary{good, p95} {
		if s.P99AfterSlowdownMs > 50 || s.ExtraAttemptsAfterSlowdown > 0.1 || s.BudgetRefused == 0 {
			t.Errorf("%s: p99 after the slowdown %.1fms, extra attempts %.2f, %d refused; want recovered, ≤ 10%% extra, refusals",
				s.Policy, s.P99AfterSlowdownMs, s.ExtraAttemptsAfterSlowdown, s.BudgetRefused)
		}
	}
}

func TestStragglersDeterministic(t *testing.T) {
	sc := sim.Stragglers()
	sc.Duration = 5 * time.Second
	p, _ := sim.LookupStragglerPolicy("p95")
	a := runStragglers(t, sc, p)
	b := runStragglers(t, sc, p)
	if a != b {
		t.Fatalf("two runs differ:\n%+v\n%+v", a, b)
	}
}

func TestStragglerScenarioValidation(t *testing.T) {
	for _, sc := range []sim.StragglerScenario{
		{Replicas: -1}, {Rate: -1}, {SlowFraction: 1}, {SlowFactor: -2}, {Duration: -1},
		{Slowdown: sim.Fault{Start: 2, End: 1, Factor: 2}},
	} {
		if _, err := sim.RunStragglers(sc, sim.StragglerPolicy{Name: "none"}); err == nil {
			t.Errorf("%+v: no error", sc)
		}
	}
	if _, err := sim.RunStragglers(sim.Stragglers(), sim.StragglerPolicy{Name: "bad", Hedge: &hedge.Config{MaxHedges: -1}}); err == nil {
		t.Error("an invalid hedge config ran")
	}
}

func TestStragglersHugeDelayNeverHedges(t *testing.T) {
	sc := sim.Stragglers()
	sc.Duration = time.Second
	s, err := sim.RunStragglers(sc, sim.StragglerPolicy{Name: "huge", Hedge: &hedge.Config{Delay: time.Duration(1<<63 - 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Hedges != 0 || s.Attempts != s.Requests {
		t.Fatalf("%+v: a delay of 292 years hedged", s)
	}
}
