package sim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/sim"
)

// degradedCapacity is how many successful responses per second the server
// can give during s's fault: its throughput under the fault, at most the
// offered load.
func degradedCapacity(s sim.Scenario) float64 {
	f := s.Faults[0]
	healthy := float64(s.Workers) / s.Service.Mean.Seconds()
	switch f.Kind {
	case sim.FaultCapacityDrop:
		return min(s.Rate, healthy/f.Factor)
	case sim.FaultLatencySpike:
		return min(s.Rate, float64(s.Workers)/(s.Service.Mean+f.Delay).Seconds())
	case sim.FaultErrorSpike:
		return s.Rate * (1 - f.Fraction)
	case sim.FaultLoadSpike:
		return min(s.Rate*f.Factor, healthy)
	}
	return 0
}

// overloadCells returns every built-in scenario with its fault lasting 5 s
// and 10 s, for the given client counts, on the given server, shortened to
// 30 s (the fault starts at 10 s). docs/sim-sweep.md has every cell.
func overloadCells(server string, clients ...int) []sim.Scenario {
	var cells []sim.Scenario
	for _, sc := range sim.Scenarios() {
		for _, fd := range []time.Duration{5 * time.Second, 10 * time.Second} {
			for _, c := range clients {
				s := sc
				s.Duration = 30 * time.Second
				s.Clients = c
				s.Server = server
				s.Faults = append([]sim.Fault(nil), sc.Faults...)
				s.Faults[0].End = s.Faults[0].Start + fd
				s.Name = fmt.Sprintf("%s/%ds/%dclients", sc.Name, int(fd.Seconds()), c)
				cells = append(cells, s)
			}
		}
	}
	return cells
}

// With the adaptive server, whatever the clients do (one attempt, the
// article's naive retries, default's, or the recommended client policy),
// no cell is metastable, every cell recovers within 2 s of the fault's
// end, and during the fault the server gives at least 90 % of the
// successful responses its degraded capacity allows; but for these
// measured misses (docs/sim-sweep.md):
//
//   - naive, after an outage or an error spike: 3–5 s. Every request that
//     failed during the fault is sent again 1, 3 and 7 s after its first
//     attempt, in step, and recovery counts the attempts the clients send
//     per request: no server answer can stop a wave already scheduled.
//     Marking retries sheddable on the server (shed before first
//     attempts) was measured: no cell better, one worse.
//   - recommended, on the error spike, with 1, 10 and 50 clients: 7–8 %,
//     31–32 % and 75–82 % of capacity. Half the calls really fail; five
//     in a row open a client's breaker, as they should, for 1 s.
//   - recommended, latency spike with one client: 78 % (5 s) and 87 %
//     (10 s). The calls the limiter admitted before its limit came down
//     (latency samples arrive only as the 60-ms calls finish) time out in
//     a run, and the one breaker, seeing every call, opens for 1 s.
func TestAdaptiveServerShedsLoad(t *testing.T) {
	clients := []int{1, 10, 50, 200}
	if raceEnabled {
		clients = []int{200}
	}
	for _, pname := range []string{"none", "naive", "default", "recommended"} {
		p, _ := sim.LookupPolicy(pname)
		for _, s := range overloadCells(sim.ServerAdaptive, clients...) {
			if raceEnabled && s.Faults[0].End-s.Faults[0].Start > 5*time.Second {
				continue // under -race, the 5-s faults keep the run short
			}
			want, share := 2.0, 0.9
			switch {
			case pname == "naive" && (strings.HasPrefix(s.Name, "outage/") || strings.HasPrefix(s.Name, "error-spike/")):
				want = 5
			case pname == "recommended" && strings.HasPrefix(s.Name, "error-spike/"):
				share = map[int]float64{1: 0.06, 10: 0.28, 50: 0.7, 200: 0.9}[s.Clients]
			case pname == "recommended" && strings.HasPrefix(s.Name, "latency-spike/") && s.Clients == 1:
				share = 0.75
			}
			r, err := sim.Run(s, p)
			if err != nil {
				t.Fatal(err)
			}
			sum := r.Summary
			if sum.Metastable || !sum.Recovered() || *sum.RecoverySeconds > want {
				rec := "never"
				if sum.Recovered() {
					rec = fmt.Sprint(*sum.RecoverySeconds, " s")
				}
				t.Errorf("%s, %s: recovery %s, metastable %v; want ≤ %v s", s.Name, pname, rec, sum.Metastable, want)
			}
			capacity := degradedCapacity(s)
			if capacity == 0 {
				continue // an outage: nothing can succeed
			}
			from, to := int(s.Faults[0].Start/sim.WindowSize), int(s.Faults[0].End/sim.WindowSize)
			ok := 0
			for _, w := range r.Windows[from:to] {
				ok += w.Successes
			}
			perSec := float64(ok) / float64(to-from)
			if perSec < share*capacity {
				t.Errorf("%s, %s: %.0f successes a second during the fault, want ≥ %.0f%% of %.0f", s.Name, pname, perSec, share*100, capacity)
			}
		}
	}
}

// Under a ×1.5 load spike with 30 % of the traffic critical, the adaptive
// server keeps critical goodput at 99 % or more; sheddable traffic absorbs
// the shedding.
func TestAdaptiveServerShedsSheddableFirst(t *testing.T) {
	sc, _ := sim.LookupScenario("load-spike")
	sc.Server = sim.ServerAdaptive
	sc.CriticalShare = 0.3
	sc.Duration = 30 * time.Second
	clients := []int{1, 10, 50, 200}
	if raceEnabled {
		clients = []int{200}
	}
	for _, fd := range []time.Duration{5 * time.Second, 10 * time.Second} {
		for _, c := range clients {
			s := sc
			s.Clients = c
			s.Faults = []sim.Fault{{Kind: sim.FaultLoadSpike, Factor: 1.5, Start: 10 * time.Second, End: 10*time.Second + fd}}
			p, _ := sim.LookupPolicy("none")
			r, err := sim.Run(s, p)
			if err != nil {
				t.Fatal(err)
			}
			cl := r.Summary.Classes
			if cl == nil || cl.CriticalRequests == 0 || cl.SheddableRequests == 0 {
				t.Fatalf("%d clients: classes %+v, want both classes counted", c, cl)
			}
			if cl.CriticalGoodput < 0.99 || cl.SheddableGoodput >= cl.CriticalGoodput {
				t.Errorf("%v spike, %d clients: critical %.4f, sheddable %.4f; want critical ≥ 0.99 and above sheddable",
					fd, c, cl.CriticalGoodput, cl.SheddableGoodput)
			}
		}
	}
}

// The fifo server is today's model, bit for bit; drop-abandoned is
// CancelAbandoned.
func TestServerModels(t *testing.T) {
	sc, _ := sim.LookupScenario("capacity-drop")
	p, _ := sim.LookupPolicy("none")
	base, _ := sim.Run(sc, p)
	sc.Server = sim.ServerFIFO
	fifo, _ := sim.Run(sc, p)
	if fifo.Summary.Goodput != base.Summary.Goodput || fifo.Summary.Attempts != base.Summary.Attempts {
		t.Errorf("fifo %+v differs from the default %+v", fifo.Summary, base.Summary)
	}
	sc.Server = sim.ServerDropAbandoned
	drop, _ := sim.Run(sc, p)
	sc.Server, sc.CancelAbandoned = "", true
	cancel, _ := sim.Run(sc, p)
	if drop.Summary.Goodput != cancel.Summary.Goodput {
		t.Errorf("drop-abandoned %v, cancel_abandoned %v", drop.Summary.Goodput, cancel.Summary.Goodput)
	}
	if drop.Summary.Goodput <= fifo.Summary.Goodput {
		t.Errorf("dropping abandoned work did not help: %v vs %v", drop.Summary.Goodput, fifo.Summary.Goodput)
	}
}

func TestServerFieldsInJSON(t *testing.T) {
	sc, err := sim.ParseScenario([]byte(`{"name":"x","server":"adaptive","critical_share":0.3,
		"limiter":{"algorithm":"vegas","max_queue":50,"window":"200ms"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Server != sim.ServerAdaptive || sc.CriticalShare != 0.3 || sc.Limiter == nil || sc.Limiter.Window != 200*time.Millisecond {
		t.Errorf("read %+v", sc)
	}
	b, err := json.Marshal(sc)
	if err != nil || !strings.Contains(string(b), `"server":"adaptive"`) {
		t.Errorf("wrote %s, %v", b, err)
	}
	for _, bad := range []string{
		`{"name":"x","server":"lifo"}`,
		`{"name":"x","critical_share":1.5}`,
		`{"name":"x","limiter":{"max_queue":5}}`,
		`{"name":"x","server":"adaptive","limiter":{"smoothing":7}}`,
	} {
		_, err := sim.ParseScenario([]byte(bad))
		if !errors.Is(err, rampart.ErrInvalidConfig) {
			t.Errorf("%s: %v, want a config error", bad, err)
		}
	}
}

// The client policy rows for throttling run, and refuse nothing on a
// healthy server.
func TestThrottlePoliciesOnHealthyServer(t *testing.T) {
	sc, _ := sim.LookupScenario("capacity-drop")
	sc.Faults = nil
	sc.Duration = 30 * time.Second
	for _, name := range []string{"throttle", "recommended"} {
		p, ok := sim.LookupPolicy(name)
		if !ok {
			t.Fatalf("no policy %q", name)
		}
		for _, c := range []int{1, 200} {
			s := sc
			s.Clients = c
			r, err := sim.Run(s, p)
			if err != nil {
				t.Fatal(err)
			}
			none, _ := sim.LookupPolicy("none")
			base, _ := sim.Run(s, none)
			if r.Summary.Goodput < base.Summary.Goodput-0.001 {
				t.Errorf("%s, %d clients, healthy server: goodput %.4f, none %.4f", name, c, r.Summary.Goodput, base.Summary.Goodput)
			}
		}
	}
}

// On the plain FIFO server, the recommended client policy is never
// metastable, recovers within 1 s of the breaker and keeps goodput within
// half a point of the breaker's, in every cell but two, measured: the 5-s
// latency spike with 1 and 200 clients, 0.63 and 0.53 points below: the
// breaker row's 5-s open period starts with the 5-s fault and ends with
// it, while recommended's breaker, open 1 s at a time, had just opened
// again when the fault ended (with 1 client, 80 successes in the next
// second against 665).
func TestRecommendedMatchesTheBreaker(t *testing.T) {
	clients := []int{1, 10, 50, 200}
	if raceEnabled {
		clients = []int{200}
	}
	rec, _ := sim.LookupPolicy("recommended")
	brk, _ := sim.LookupPolicy("breaker")
	for _, s := range overloadCells(sim.ServerFIFO, clients...) {
		s.Duration = 120 * time.Second // the sweep's length: whole-run goodput is over 120 s
		a, err := sim.Run(s, rec)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := sim.Run(s, brk)
		if a.Summary.Metastable || !a.Summary.Recovered() || !b.Summary.Recovered() {
			t.Errorf("%s: recommended %+v, breaker %+v", s.Name, a.Summary, b.Summary)
			continue
		}
		if *a.Summary.RecoverySeconds > *b.Summary.RecoverySeconds+1 {
			t.Errorf("%s: recommended recovers in %v s, breaker in %v s", s.Name, *a.Summary.RecoverySeconds, *b.Summary.RecoverySeconds)
		}
		slack := 0.005
		if strings.HasPrefix(s.Name, "latency-spike/5s/") && (s.Clients == 1 || s.Clients == 200) {
			slack = 0.007
		}
		if a.Summary.Goodput < b.Summary.Goodput-slack {
			t.Errorf("%s: recommended goodput %.4f, breaker %.4f", s.Name, a.Summary.Goodput, b.Summary.Goodput)
		}
	}
}

// Under a ×5 slowdown for 5 s at 200 rps (the server's capacity falls to
// the offered load), the recommended policy refuses nothing the server
// could serve: goodput within half a point of none with 1, 10 and 50
// clients. With 200 clients it is 2.9 points below (docs/sim-sweep.md):
// default's retries alone cost 3 points there (each client's budget sees
// 1 request a second), and recommended keeps no more than that.
func TestRecommendedAtFiveFoldSlowdown(t *testing.T) {
	sc, _ := sim.LookupScenario("capacity-drop")
	sc.Duration = 120 * time.Second
	sc.Rate = 200
	sc.Faults = []sim.Fault{{Kind: sim.FaultCapacityDrop, Factor: 5, Start: 10 * time.Second, End: 15 * time.Second}}
	clients := []int{1, 10, 50, 200}
	if raceEnabled {
		clients = []int{10}
	}
	rec, _ := sim.LookupPolicy("recommended")
	none, _ := sim.LookupPolicy("none")
	def, _ := sim.LookupPolicy("default")
	for _, c := range clients {
		s := sc
		s.Clients = c
		a, err := sim.Run(s, rec)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := sim.Run(s, none)
		floor := n.Summary.Goodput - 0.005
		if c == 200 {
			d, _ := sim.Run(s, def)
			floor = d.Summary.Goodput
		}
		if a.Summary.Metastable || !a.Summary.Recovered() || a.Summary.Goodput < floor {
			t.Errorf("%d clients: recommended %+v, none goodput %.4f, want ≥ %.4f", c, a.Summary, n.Summary.Goodput, floor)
		}
	}
}
