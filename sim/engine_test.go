package sim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/sim"
)

func capacityDrop(t testing.TB) sim.Scenario {
	t.Helper()
	sc, ok := sim.LookupScenario("capacity-drop")
	if !ok {
		t.Fatal("no built-in capacity-drop scenario")
	}
	return sc
}

func policy(t testing.TB, name string) sim.Policy {
	t.Helper()
	p, ok := sim.LookupPolicy(name)
	if !ok {
		t.Fatalf("no built-in policy %q", name)
	}
	return p
}

// storms caches runs of the built-in capacity-drop scenario by policy, so
// the checks that look at one run from several sides run it once.
var storms sync.Map // policy name → *sim.Result

func storm(t testing.TB, name string) *sim.Result {
	t.Helper()
	if r, ok := storms.Load(name); ok {
		return r.(*sim.Result)
	}
	r := run(t, capacityDrop(t), policy(t, name))
	storms.Store(name, r)
	return r
}

func run(t testing.TB, sc sim.Scenario, p sim.Policy) *sim.Result {
	t.Helper()
	r, err := sim.Run(sc, p)
	if err != nil {
		t.Fatalf("Run(%s, %s): %v", sc.Name, p.Name, err)
	}
	return r
}

func encode(t testing.TB, r *sim.Result) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCapacityDropScenarioIsTheSpecifiedOne(t *testing.T) {
	t.Parallel()
	sc := capacityDrop(t)
	want := sim.Scenario{
		Workers: 10, Clients: 10, Rate: 700, Seed: 1,
		Service:  sim.Dist{Kind: sim.DistExponential, Mean: 10 * time.Millisecond},
		Timeout:  100 * time.Millisecond,
		Duration: 120 * time.Second,
	}
	if sc.Workers != want.Workers || sc.Clients != want.Clients || sc.Rate != want.Rate || sc.Seed != want.Seed ||
		sc.Service != want.Service || sc.Timeout != want.Timeout || sc.Duration != want.Duration {
		t.Errorf("capacity-drop = %+v, want %+v", sc, want)
	}
	if len(sc.Faults) != 1 {
		t.Fatalf("faults = %+v, want one", sc.Faults)
	}
	f := sc.Faults[0]
	if f.Kind != sim.FaultCapacityDrop || f.Factor != 2 || f.Start != 10*time.Second || f.End != 15*time.Second {
		t.Errorf("fault = %+v, want service time ×2 from 10s to 15s", f)
	}
}

func TestSameSeedGivesIdenticalOutput(t *testing.T) {
	t.Parallel()
	for _, name := range sim.PolicyNames() {
		t.Run(name, func(t *testing.T) {
			sc := capacityDrop(t)
			sc.Duration = 25 * time.Second // the fault and the storm after it
			a := encode(t, run(t, sc, policy(t, name)))
			b := encode(t, run(t, sc, policy(t, name)))
			if !bytes.Equal(a, b) {
				t.Fatal("two runs with one seed differ")
			}
		})
	}
}

func TestDifferentSeedGivesDifferentRun(t *testing.T) {
	t.Parallel()
	sc := capacityDrop(t)
	sc.Duration = 20 * time.Second
	a := run(t, sc, policy(t, "none"))
	sc.Seed = 2
	b := run(t, sc, policy(t, "none"))
	if a.Summary.Requests == b.Summary.Requests && bytes.Equal(encode(t, a), encode(t, b)) {
		t.Fatal("seeds 1 and 2 gave the same run")
	}
}

func TestHealthyServerServesEveryRequest(t *testing.T) {
	t.Parallel()
	sc := capacityDrop(t)
	sc.Faults = nil
	sc.Duration = 30 * time.Second
	r := run(t, sc, policy(t, "none"))
	s := r.Summary
	if s.Goodput < 0.999 || s.Amplification != 1 {
		t.Errorf("goodput %v, amplification %v; want ≈1 and 1 at 70%% load", s.Goodput, s.Amplification)
	}
	// 700 rps for 30s: Poisson, so within a few standard deviations.
	if math.Abs(float64(s.Requests)-21000) > 600 {
		t.Errorf("requests = %d, want ≈ 21000", s.Requests)
	}
	if s.RecoverySeconds == nil || *s.RecoverySeconds != 0 || s.Metastable {
		t.Errorf("recovery %v, metastable %v; want 0 and false without faults", s.RecoverySeconds, s.Metastable)
	}
	if len(r.Windows) != 30 {
		t.Errorf("windows = %d, want 30", len(r.Windows))
	}
}

func TestCapacityDropWithoutRetriesRecoversOnceTheQueueDrains(t *testing.T) {
	t.Parallel()
	r := storm(t, "none")
	s := r.Summary
	// The queue grows by about 200 a second for 5s and drains at about 300
	// a second: a few seconds after the fault.
	if s.RecoverySeconds == nil || *s.RecoverySeconds > 8 {
		t.Errorf("recovery = %v, want a few seconds", s.RecoverySeconds)
	}
	if s.Amplification != 1 || s.Metastable {
		t.Errorf("amplification %v, metastable %v; want 1, false", s.Amplification, s.Metastable)
	}
	w := r.Windows[14]
	if w.Queue < 500 || w.Goodput() > 0.01 {
		t.Errorf("window at 14s: queue %v, goodput %v; want a long queue and no goodput", w.Queue, w.Goodput())
	}
}

func TestCancellingAbandonedWorkShortensRecovery(t *testing.T) {
	t.Parallel()
	sc := sim.Scenario{Name: "latency", Seed: 1, Duration: 60 * time.Second,
		Faults: []sim.Fault{{Kind: sim.FaultLatencySpike, Start: 10 * time.Second, End: 15 * time.Second, Delay: 50 * time.Millisecond}}}
	served := run(t, sc, policy(t, "none")).Summary
	sc.CancelAbandoned = true
	dropped := run(t, sc, policy(t, "none")).Summary
	if served.RecoverySeconds == nil || dropped.RecoverySeconds == nil || *dropped.RecoverySeconds >= *served.RecoverySeconds {
		t.Errorf("recovery serving abandoned work %v, dropping it %v; want dropping faster",
			served.RecoverySeconds, dropped.RecoverySeconds)
	}
}

func TestErrorSpikeFailsTheGivenFraction(t *testing.T) {
	t.Parallel()
	sc := sim.Scenario{Name: "errors", Seed: 3, Duration: 20 * time.Second,
		Faults: []sim.Fault{{Kind: sim.FaultErrorSpike, Start: 0, End: 20 * time.Second, Fraction: 0.3, Cost: time.Millisecond}}}
	s := run(t, sc, policy(t, "none")).Summary
	if math.Abs(s.Goodput-0.7) > 0.02 {
		t.Errorf("goodput = %v, want ≈ 0.7", s.Goodput)
	}
	if s.RecoverySeconds != nil || s.Metastable {
		t.Errorf("a fault that lasts the whole run: recovery %v, metastable %v; want nil, false", s.RecoverySeconds, s.Metastable)
	}
}

func TestLoadSpikeMultipliesArrivals(t *testing.T) {
	t.Parallel()
	sc := sim.Scenario{Name: "load", Seed: 1, Duration: 20 * time.Second,
		Faults: []sim.Fault{{Kind: sim.FaultLoadSpike, Start: 10 * time.Second, End: 20 * time.Second, Factor: 3}}}
	r := run(t, sc, policy(t, "none"))
	var before, during int
	for _, w := range r.Windows[:10] {
		before += w.Requests
	}
	for _, w := range r.Windows[10:] {
		during += w.Requests
	}
	if ratio := float64(during) / float64(before); math.Abs(ratio-3) > 0.2 {
		t.Errorf("requests during the spike ÷ before = %v, want ≈ 3", ratio)
	}
}

func TestQueueLimitRejectsFast(t *testing.T) {
	t.Parallel()
	sc := capacityDrop(t)
	sc.QueueLimit = 5
	sc.Duration = 30 * time.Second
	r := run(t, sc, policy(t, "none"))
	for _, w := range r.Windows {
		if w.Queue > 5 {
			t.Fatalf("window %v: mean queue %v over a limit of 5", w.Start, w.Queue)
		}
	}
	// Work that is refused at once leaves the rest fast enough.
	if g := r.Windows[12].Goodput(); g < 0.5 {
		t.Errorf("goodput in the fault with a short queue = %v, want most requests served", g)
	}
}

func TestDeadlineBoundsRequestLatency(t *testing.T) {
	t.Parallel()
	sc := capacityDrop(t)
	sc.Deadline = 50 * time.Millisecond
	sc.Duration = 30 * time.Second
	r := run(t, sc, policy(t, "none"))
	if p99 := r.Summary.P99ms; p99 > 50 {
		t.Errorf("p99 = %vms, over the 50ms deadline", p99)
	}
}

func TestServiceDistributionsHaveTheirMean(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{sim.DistExponential, sim.DistConstant, sim.DistLognormal} {
		t.Run(kind, func(t *testing.T) {
			// One worker-free measure: with a single client at low load, the
			// median latency reflects the service time.
			sc := sim.Scenario{Name: kind, Seed: 1, Duration: 60 * time.Second, Rate: 100,
				Service: sim.Dist{Kind: kind, Mean: 10 * time.Millisecond, Sigma: 0.5}, Timeout: time.Second}
			r := run(t, sc, policy(t, "none"))
			var sum time.Duration
			for _, w := range r.Windows {
				sum += w.P50
			}
			med := sum / time.Duration(len(r.Windows))
			want := map[string]time.Duration{
				sim.DistExponential: 6931 * time.Microsecond, // mean·ln 2
				sim.DistConstant:    10 * time.Millisecond,
				sim.DistLognormal:   8825 * time.Microsecond, // mean·e^(-σ²/2)
			}[kind]
			if d := med - want; d < -want/10 || d > want/10 {
				t.Errorf("median latency %v, want ≈ %v", med, want)
			}
		})
	}
}

func TestScenarioJSONRoundTrips(t *testing.T) {
	t.Parallel()
	for _, sc := range sim.Scenarios() {
		b, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sim.ParseScenario(b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", sc.Name, err, b)
		}
		b2, _ := json.Marshal(got)
		if !bytes.Equal(b, b2) {
			t.Errorf("%s: round trip changed it:\n%s\n%s", sc.Name, b, b2)
		}
	}
}

func TestScenarioJSONReadsDurationsAsStrings(t *testing.T) {
	t.Parallel()
	sc, err := sim.ParseScenario([]byte(`{"name":"x","duration":"30s","timeout":"250ms",
		"service":{"kind":"lognormal","mean":"20ms","sigma":0.8},
		"faults":[{"kind":"latency-spike","start":"5s","end":"6s","delay":"40ms"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Duration != 30*time.Second || sc.Timeout != 250*time.Millisecond || sc.Service.Mean != 20*time.Millisecond ||
		sc.Faults[0].Delay != 40*time.Millisecond {
		t.Errorf("parsed %+v", sc)
	}
}

func TestBadScenarioNamesTheField(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"workers":-1}`:                "workers",
		`{"rate":-5}`:                   "rate",
		`{"service":{"kind":"pareto"}}`: "service.kind",
		`{"faults":[{"kind":"capacity-drop","start":"2s","end":"1s"}]}`:            "faults[0].end",
		`{"faults":[{"kind":"capacity-drop","start":"1s","end":"2s"}]}`:            "faults[0].factor",
		`{"faults":[{"kind":"meteor","start":"1s","end":"2s"}]}`:                   "faults[0].kind",
		`{"faults":[{"kind":"error-spike","start":"1s","end":"2s","fraction":2}]}`: "faults[0].fraction",
	}
	for in, field := range cases {
		_, err := sim.ParseScenario([]byte(in))
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: err = %v, want a config error naming %s", in, err, field)
		}
	}
	if _, err := sim.ParseScenario([]byte(`{"wrokers":3}`)); err == nil {
		t.Error("an unknown key was accepted")
	}
}
