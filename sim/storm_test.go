package sim_test

import (
	"testing"
)

// The checks of the storm scenario: a five-second halving of capacity
// under a 70% load.

func TestCapacityDropNaiveRetriesEndMetastable(t *testing.T) {
	t.Parallel()
	s := storm(t, "naive").Summary
	if !s.Metastable || s.Recovered() {
		t.Errorf("naive: metastable %v, recovery %v; want a storm that outlives the fault", s.Metastable, s.RecoverySeconds)
	}
	if s.AmplificationAfterFault < 3 {
		t.Errorf("naive: amplification after the fault %v, want ≥ 3", s.AmplificationAfterFault)
	}
}

func TestCapacityDropDefaultsRecover(t *testing.T) {
	t.Parallel()
	r := storm(t, "default")
	s := r.Summary
	if !s.Recovered() || *s.RecoverySeconds > 10 {
		t.Errorf("default: recovery %v, want within 10s of the fault's end", s.RecoverySeconds)
	}
	if s.Metastable {
		t.Error("default: metastable")
	}
	if s.AmplificationAfterFault > 1.1 {
		t.Errorf("default: amplification after the fault %v, want ≤ 1.1", s.AmplificationAfterFault)
	}
	// Goodput is judged after the fault. Over the whole run no client
	// policy that never refuses a first attempt can reach 0.95 here: every
	// request that arrives during the fault waits behind a queue longer
	// than its timeout (the server keeps serving abandoned work), and so
	// does every request until the queue has drained. One attempt per
	// request (policy none) gives 0.933, the ceiling for such policies.
	if g := r.GoodputAfterFault(); g < 0.95 {
		t.Errorf("default: goodput after the fault %v, want ≥ 0.95", g)
	}
	none := storm(t, "none").Summary
	if s.Goodput < none.Goodput-0.005 {
		t.Errorf("default: goodput %v, more than half a point below no retries at all (%v)", s.Goodput, none.Goodput)
	}
}

func TestCapacityDropBreakerShedsLoadAndPassesTheCeiling(t *testing.T) {
	t.Parallel()
	// Only a policy that refuses first attempts can keep the queue short
	// during the fault; the breaker's defaults do, and beat the ceiling of
	// policies that never refuse.
	s := storm(t, "breaker").Summary
	if s.Goodput < 0.95 || !s.Recovered() || *s.RecoverySeconds > 5 || s.AmplificationAfterFault > 1.1 {
		t.Errorf("breaker: goodput %v, recovery %v, amplification after the fault %v; want ≥ 0.95, ≤ 5s, ≤ 1.1",
			s.Goodput, s.RecoverySeconds, s.AmplificationAfterFault)
	}
}

func TestCapacityDropRetriesWithoutBudgetStorm(t *testing.T) {
	t.Parallel()
	// rampart's retry with jitter but no budget still triples the load
	// for as long as attempts keep failing: the budget is what stops it.
	s := storm(t, "retry").Summary
	if !s.Metastable || s.AmplificationAfterFault < 2.5 {
		t.Errorf("retry without budget: metastable %v, amplification after the fault %v; want a storm",
			s.Metastable, s.AmplificationAfterFault)
	}
}
