package sim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/sim"
)

func parse(t *testing.T, js string) sim.Scenario {
	t.Helper()
	sc, err := sim.ParseScenario([]byte(js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return sc
}

// Regression: naive retries, +150ms for 5s with cancel_abandoned on, storm
// at ×3.9 to the end of the arrivals; the last requests retried into an
// emptying server and succeeded late, and the run read "recovery 101s,
// metastable false".
func TestStormThatNeverStopsIsMetastableThoughTheLastRequestsSucceedLate(t *testing.T) {
	t.Parallel()
	sc := parse(t, `{"name":"latency-150","duration":"120s","seed":1,"cancel_abandoned":true,
		"faults":[{"kind":"latency-spike","start":"10s","end":"15s","delay":"150ms"}]}`)
	r := run(t, sc, policy(t, "naive"))
	s := r.Summary
	if !s.Metastable || s.Recovered() {
		t.Errorf("metastable %v, recovery %v; want a storm that never stopped", s.Metastable, s.RecoverySeconds)
	}
	last := r.Windows[len(r.Windows)-1]
	if amp := float64(last.Attempts) / float64(last.Requests); amp < 3 {
		t.Errorf("amplification in the last window %v, want ≥ 3 (the storm)", amp)
	}
}

// Regression: with a 30ms timeout the healthy goodput is about 0.95, and a
// fault that changes nothing (capacity factor 1) made policy none
// "metastable" against a fixed 99 % bar.
func TestRecoveryIsJudgedAgainstTheHealthyBaseline(t *testing.T) {
	t.Parallel()
	sc := parse(t, `{"name":"nothing","duration":"120s","seed":1,"timeout":"30ms",
		"faults":[{"kind":"capacity-drop","start":"10s","end":"15s","factor":1}]}`)
	s := run(t, sc, policy(t, "none")).Summary
	if s.BaselineGoodput > 0.97 || s.BaselineGoodput < 0.92 {
		t.Errorf("none: baseline goodput %v, want about 0.95", s.BaselineGoodput)
	}
	if s.Metastable || !s.Recovered() || *s.RecoverySeconds > 1 {
		t.Errorf("none: metastable %v, recovery %v; want recovered at once from a fault that changes nothing", s.Metastable, s.RecoverySeconds)
	}
	// With retries the healthy system has brief dips (a burst of timeouts,
	// down to 76 % goodput for a second) long after the fault: they do not
	// undo the recovery.
	s = run(t, sc, policy(t, "default")).Summary
	if s.Metastable || !s.Recovered() || *s.RecoverySeconds > 1 {
		t.Errorf("default: metastable %v, recovery %v; want recovered at once", s.Metastable, s.RecoverySeconds)
	}
}

// Regression: a load-spike factor below 1 was ignored.
func TestLoadSpikeBelowOneLowersTheLoad(t *testing.T) {
	t.Parallel()
	spike := parse(t, `{"name":"lull","duration":"120s","seed":1,
		"faults":[{"kind":"load-spike","start":"30s","end":"90s","factor":0.5}]}`)
	calm := spike
	calm.Faults = nil
	got, base := run(t, spike, policy(t, "none")).Summary.Requests, run(t, calm, policy(t, "none")).Summary.Requests
	// 700 rps for 60s and 350 rps for 60s: 63000, against 84000.
	if got < 61000 || got > 65000 {
		t.Errorf("requests %d with a 60-s factor of 0.5, want about 63000 (%d without)", got, base)
	}
}

// Regression: the amplification after the fault averaged over the rest of
// the run hid a short storm.
func TestPeakAmplificationShowsAShortStorm(t *testing.T) {
	t.Parallel()
	sc := parse(t, `{"name":"short-storm","duration":"120s","seed":1,"workers":50,
		"faults":[{"kind":"error-spike","start":"10s","end":"15s","fraction":1,"cost":"1ms"}]}`)
	ps, err := sim.ParsePolicies([]byte(`{"name":"every-second","retry":{"max_attempts":4,"retry_all":true,
		"disable_budget":true,"backoff":{"kind":"constant","base":"1s","jitter":"none"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := run(t, sc, ps[0]).Summary
	if s.AmplificationAfterFault > 1.1 || s.PeakAmplificationAfterFault < 1.5 {
		t.Errorf("amplification after the fault %v, peak over 5s %v; want the average ≤ 1.1 and the peak ≥ 1.5",
			s.AmplificationAfterFault, s.PeakAmplificationAfterFault)
	}
}

// Regression: the summary counted attempts sent after the end of the
// arrivals, which the windows do not.
func TestSummaryAttemptsAreTheWindowsAttempts(t *testing.T) {
	t.Parallel()
	r := storm(t, "naive")
	var att int64
	for _, w := range r.Windows {
		att += int64(w.Attempts)
	}
	if r.Summary.Attempts != att {
		t.Errorf("summary attempts %d, windows' attempts %d", r.Summary.Attempts, att)
	}
}

// Regression: values that passed Validate panicked (a factor of 1e12, a
// rate of 1e-12), exhausted memory (100M clients, a rate of 1e6) or ran for
// minutes (max_attempts 1e9 without a budget); a number of nanoseconds was
// read as a duration; an error spike without a fraction did nothing.
func TestScenarioBoundsNameTheKey(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"faults":[{"kind":"capacity-drop","start":"1s","end":"2s","factor":1e12}]}`: "faults[0].factor",
		`{"faults":[{"kind":"load-spike","start":"1s","end":"2s","factor":1e12}]}`:    "faults[0].factor",
		`{"rate":1e-12}`:          "rate",
		`{"rate":1e6}`:            "rate",
		`{"clients":100000000}`:   "clients",
		`{"duration":10}`:         "duration",
		`{"timeout":100}`:         "timeout",
		`{"service":{"mean":10}}`: "service.mean",
		`{"faults":[{"kind":"error-spike","start":"1s","end":"2s"}]}`:                                                                           "faults[0].fraction",
		`{"faults":[{"kind":"latency-spike","start":"1s","end":"2s","delay":"1s"},{"kind":"latency-spike","start":"1s","end":"2s","delay":5}]}`: "faults[1].delay",
		`{"faults":[{"knd":"x"}]}`: "faults[0].knd",
		`{"rate":"fast"}`:          "rate",
	}
	for in, key := range cases {
		_, err := sim.ParseScenario([]byte(in))
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != key {
			t.Errorf("%s: err = %v, want a config error naming %s", in, err, key)
		}
	}
}

func TestTinyRateRunsWithoutOverflow(t *testing.T) {
	t.Parallel()
	sc := parse(t, `{"name":"trickle","duration":"10s","rate":0.001,"clients":1}`)
	if s := run(t, sc, policy(t, "none")).Summary; s.Requests > 1 {
		t.Errorf("requests %d at 0.001 rps for 10s", s.Requests)
	}
}

func TestPolicyBoundsAndDuplicateNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"name":"x","retry":{"max_attempts":1000000000,"disable_budget":true}}`: "sim: invalid config: retry.max_attempts must be at most 100",
		`[{"name":"x"},{"name":"x"}]`:                                            `sim: invalid config: [1].name "x" is already the name of policy [0]`,
		`{"name":"x","retry":{"budget":{"disabled":true}}}`:                      "sim: invalid config: retry.budget.disabled is not a known key",
	} {
		_, err := sim.ParsePolicies([]byte(in))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: err = %v, want %s…", in, err, want)
		}
	}
}
