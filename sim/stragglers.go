package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/hedge"
	"github.com/rampart-go/rampart/internal/config"
)

// StragglerScenario is the straggler experiment of "The Tail at Scale"
// (Dean and Barroso, 2013): a fixed load spread at random over replicas,
// each of which is, a small fraction of the time, much slower than usual
// (a garbage collection, a compaction, a noisy neighbour). Requests that
// land on a slow replica wait behind its backlog; a hedge sent to another
// replica answers in the usual time. Whether hedging cuts the tail, and for
// how many extra attempts, is what it measures.
//
// Its fields' zero values are their defaults, those of the built-in
// "stragglers" experiment.
type StragglerScenario struct {
	// Name identifies the scenario in results. Default "stragglers".
	Name string `json:"name,omitempty"`
	// Duration is how long requests arrive. Default 30s.
	Duration time.Duration `json:"duration,omitempty"`
	// Seed seeds every random source. Default 1.
	Seed uint64 `json:"seed,omitempty"`
	// Replicas is how many replicas serve; each request's attempts go to
	// distinct replicas picked at random. Default 10.
	Replicas int `json:"replicas,omitempty"`
	// Workers is how many attempts a replica serves at once, from a FIFO
	// queue. Default 4.
	Workers int `json:"workers,omitempty"`
	// Service is the healthy service time. Default lognormal, mean
	// 4.33ms, sigma 0.4 (median 4ms, p99 10ms).
	Service Dist `json:"service,omitempty"`
	// Clients is how many clients share the load, each with its own
	// hedging policy (its own estimate, its own budget). Default 10.
	Clients int `json:"clients,omitempty"`
	// Rate is the total rate of requests per second. Default 4600, half
	// the replicas' capacity.
	Rate float64 `json:"rate,omitempty"`
	// SlowFactor multiplies the service time of a replica while it is
	// slow. Default 10.
	SlowFactor float64 `json:"slow_factor,omitempty"`
	// SlowFraction is the share of the time each replica is slow, hence
	// of the requests sent to a slow replica. Default 0.01.
	SlowFraction float64 `json:"slow_fraction,omitempty"`
	// SlowEpisode is how long a replica stays slow each time. Default
	// 1s.
	SlowEpisode time.Duration `json:"slow_episode,omitempty"`
	// DropCancelled makes a replica drop a queued attempt whose request
	// has been answered (a hedge's loser) instead of serving it. False is
	// the harder case for hedging: every loser still costs the replica its
	// work. The built-in experiment sets it.
	DropCancelled bool `json:"drop_cancelled,omitempty"`
	// Slowdown, when its Factor is set, slows every replica from Start to
	// End: the whole service slowing down, where hedging must not double
	// the load.
	Slowdown Fault `json:"slowdown,omitempty"`
}

// MarshalJSON writes the scenario with durations as strings.
func (s StragglerScenario) MarshalJSON() ([]byte, error) { return config.Marshal(s) }

// UnmarshalJSON reads a scenario; durations are strings such as "200ms".
func (s *StragglerScenario) UnmarshalJSON(data []byte) error {
	return config.Unmarshal("sim", data, s)
}

// Stragglers returns the built-in straggler experiment: its defaults, with
// replicas that drop the losers of a hedge still in their queue, as a
// server that watches its request's context does once the client cancels.
func Stragglers() StragglerScenario {
	s := StragglerScenario{DropCancelled: true}
	return s.withDefaults()
}

func (s StragglerScenario) withDefaults() StragglerScenario {
	if s.Name == "" {
		s.Name = "stragglers"
	}
	if s.Duration == 0 {
		s.Duration = 30 * time.Second
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if s.Replicas == 0 {
		s.Replicas = 10
	}
	if s.Workers == 0 {
		s.Workers = 4
	}
	if s.Service == (Dist{}) {
		s.Service = Dist{Kind: DistLognormal, Mean: 4330 * time.Microsecond, Sigma: 0.4}
	}
	s.Service = Scenario{Service: s.Service}.withDefaults().Service
	if s.Clients == 0 {
		s.Clients = 10
	}
	if s.Rate == 0 {
		s.Rate = 4600
	}
	if s.SlowFactor == 0 {
		s.SlowFactor = 10
	}
	if s.SlowFraction == 0 {
		s.SlowFraction = 0.01
	}
	if s.SlowEpisode == 0 {
		s.SlowEpisode = time.Second
	}
	return s
}

// Validate reports the first invalid field of s. Zero values are valid:
// they mean their defaults.
func (s StragglerScenario) Validate() error {
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	switch {
	case s.Duration < 0 || s.Duration > time.Hour:
		return config.Errorf("sim", "Duration", "must be in [0, 1h], got %v", s.Duration)
	case s.Replicas < 0 || s.Replicas > 1000:
		return config.Errorf("sim", "Replicas", "must be in [0, 1000], got %d", s.Replicas)
	case s.Workers < 0 || s.Workers > 10000:
		return config.Errorf("sim", "Workers", "must be in [0, 10000], got %d", s.Workers)
	case s.Clients < 0 || s.Clients > 10000:
		return config.Errorf("sim", "Clients", "must be in [0, 10000], got %d", s.Clients)
	case s.Rate < 0 || !finite(s.Rate) || s.Rate > 1e6:
		return config.Errorf("sim", "Rate", "must be in [0, 1e6], got %v", s.Rate)
	case s.SlowFactor < 0 || !finite(s.SlowFactor) || s.SlowFactor > 1e6:
		return config.Errorf("sim", "SlowFactor", "must be in [0, 1e6], got %v", s.SlowFactor)
	case !(s.SlowFraction >= 0 && s.SlowFraction < 1):
		return config.Errorf("sim", "SlowFraction", "must be in [0, 1), got %v", s.SlowFraction)
	case s.SlowEpisode < 0:
		return config.Errorf("sim", "SlowEpisode", "must be >= 0, got %v", s.SlowEpisode)
	}
	if s.Service.Kind != "" || s.Service.Mean != 0 || s.Service.Sigma != 0 {
		sc := Scenario{Service: s.Service}
		if err := sc.Validate(); err != nil {
			return err
		}
	}
	if s.Slowdown != (Fault{}) {
		f := s.Slowdown
		f.Kind = FaultCapacityDrop
		if err := f.validate(0); err != nil {
			return config.Errorf("sim", "Slowdown", "%v", err)
		}
	}
	return nil
}

// StragglerPolicy is what each client runs: no hedging when Hedge is nil,
// else a rampart hedging policy built from Hedge (its Clock set to the
// simulation's).
type StragglerPolicy struct {
	Name  string        `json:"name"`
	Hedge *hedge.Config `json:"hedge,omitempty"`
}

// StragglerPolicies returns the built-in policies of the straggler
// experiment: no hedging, a hedge after a fixed 10ms (about the healthy
// p99), and a hedge after the p95 of recent latencies, both with the
// default budget.
func StragglerPolicies() []StragglerPolicy {
	return []StragglerPolicy{
		{Name: "none"},
		{Name: "fixed-10ms", Hedge: &hedge.Config{Delay: 10 * time.Millisecond}},
		{Name: "p95", Hedge: &hedge.Config{Quantile: 0.95}},
	}
}

// StragglerSummary is the headline of one straggler run; its JSON form is
// what `rampart sim -json stragglers` prints, one object per policy.
type StragglerSummary struct {
	Scenario string `json:"scenario"`
	Policy   string `json:"policy"`
	// Requests made and attempts sent (hedges included).
	Requests int64 `json:"requests"`
	Attempts int64 `json:"attempts"`
	// ExtraAttempts is Attempts ÷ Requests − 1: the load hedging adds.
	ExtraAttempts float64 `json:"extra_attempts"`
	// Hedges that started, and those the budget refused.
	Hedges        int64 `json:"hedges"`
	BudgetRefused int64 `json:"budget_refused"`
	// Percentiles of request latency, in milliseconds.
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	P999ms float64 `json:"p999_ms"`
	// After the whole-service slowdown (if any), from its end plus a
	// quarter of the remaining time to the end of the run: the p99 of
	// latency and the extra attempts, so a run that stays overloaded
	// after its trigger is gone shows.
	P99AfterSlowdownMs         float64 `json:"p99_after_slowdown_ms"`
	ExtraAttemptsAfterSlowdown float64 `json:"extra_attempts_after_slowdown"`
}

// RunStragglers runs the straggler scenario s under policy p. The same
// scenario, seed and policy give the same result, bit for bit.
func RunStragglers(s StragglerScenario, p StragglerPolicy) (StragglerSummary, error) {
	if err := s.Validate(); err != nil {
		return StragglerSummary{}, err
	}
	s = s.withDefaults()
	if p.Name == "" {
		return StragglerSummary{}, config.Errorf("sim", "Policy.Name", "must not be empty")
	}
	e := &stragglerEngine{sc: s, clock: rampart.NewManualClock(epoch)}
	if err := e.init(p); err != nil {
		return StragglerSummary{}, err
	}
	e.run()
	return e.summary(p.Name), nil
}

// LookupStragglerPolicy returns the built-in straggler policy with the
// given name.
func LookupStragglerPolicy(name string) (StragglerPolicy, bool) {
	all := StragglerPolicies()
	i := slices.IndexFunc(all, func(p StragglerPolicy) bool { return p.Name == name })
	if i < 0 {
		return StragglerPolicy{}, false
	}
	return all[i], true
}

// sEvent kinds.
const (
	sArrival = iota // a client's next request
	sHedge          // a request's hedge delay has passed
	sDone           // a replica finished an attempt
)

type sEvent struct {
	at   int64
	seq  uint64
	kind uint8
	cl   int32
	req  *sRequest
	att  *sAttempt
}

// sAgenda is a binary min-heap of events ordered by (at, seq), typed so
// that scheduling an event boxes nothing.
type sAgenda []sEvent

func (h sAgenda) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *sAgenda) push(e sEvent) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *sAgenda) pop() sEvent {
	s := *h
	top, n := s[0], len(s)-1
	s[0], s[n] = s[n], sEvent{}
	s = s[:n]
	for i := 0; ; {
		m, l := i, 2*i+1
		if l < n && s.less(l, m) {
			m = l
		}
		if r := l + 1; r < n && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

type sClient struct {
	arrival *rand.Rand
	hedge   *hedge.Policy // nil: no hedging
}

type sRequest struct {
	cl       *sClient
	arrival  int64
	call     hedge.Call
	atts     []*sAttempt
	finished bool
}

type sAttempt struct {
	req       *sRequest
	n         int
	replica   int
	cancelled bool
}

type sReplica struct {
	busy  int
	queue []*sAttempt
	slow  [][2]int64 // slow episodes, [start, end), in order
}

type stragglerEngine struct {
	sc      StragglerScenario
	clock   *rampart.ManualClock
	now     int64
	seq     uint64
	agenda  sAgenda
	clients []*sClient
	reps    []*sReplica
	draw    *engine // only its service-time draws are used
	route   *rand.Rand
	gap     float64

	requests, attempts int64
	lat                []int64
	afterFrom          int64
	afterReq, afterAtt int64
	afterLat           []int64
}

func (e *stragglerEngine) init(p StragglerPolicy) error {
	s := e.sc
	e.draw = &engine{sc: Scenario{Service: s.Service}, service: rand.New(rand.NewPCG(s.Seed, streamService))}
	e.route = rand.New(rand.NewPCG(s.Seed, streamFaults))
	e.gap = 1e9 / (s.Rate / float64(s.Clients))
	e.afterFrom = math.MaxInt64
	if s.Slowdown.Factor > 0 {
		rest := int64(s.Duration) - int64(s.Slowdown.End)
		e.afterFrom = int64(s.Slowdown.End) + max(rest, 0)/4
	}
	episodes := rand.New(rand.NewPCG(s.Seed, streamFaults+1))
	for range s.Replicas {
		r := &sReplica{}
		if s.SlowFraction > 0 && s.SlowEpisode > 0 {
			// Episodes start as a Poisson process whose rate makes the
			// replica slow SlowFraction of the time.
			meanGap := float64(s.SlowEpisode) * (1 - s.SlowFraction) / s.SlowFraction
			for t := int64(episodes.ExpFloat64() * meanGap); t < int64(s.Duration); {
				end := t + int64(s.SlowEpisode)
				r.slow = append(r.slow, [2]int64{t, end})
				t = end + int64(episodes.ExpFloat64()*meanGap)
			}
		}
		e.reps = append(e.reps, r)
	}
	for i := range s.Clients {
		c := &sClient{arrival: rand.New(rand.NewPCG(s.Seed, streamClients+2*uint64(i)))}
		if p.Hedge != nil {
			hc := *p.Hedge
			hc.Clock = e.clock
			hp, err := hedge.New(hc)
			if err != nil {
				return err
			}
			c.hedge = hp
		}
		e.clients = append(e.clients, c)
		e.nextArrival(int32(i))
	}
	return nil
}

func (e *stragglerEngine) schedule(ev sEvent) {
	e.seq++
	ev.seq = e.seq
	e.agenda.push(ev)
}

// time returns the simulated time, as the policies' events are stamped.
// The policies read no clock of their own here: the engine passes the time
// to every decision, so its clock is never moved.
func (e *stragglerEngine) time() time.Time { return epoch.Add(time.Duration(e.now)) }

func (e *stragglerEngine) nextArrival(cl int32) {
	at := e.now + int64(e.clients[cl].arrival.ExpFloat64()*e.gap)
	if at < int64(e.sc.Duration) {
		e.schedule(sEvent{at: at, kind: sArrival, cl: cl})
	}
}

func (e *stragglerEngine) run() {
	for len(e.agenda) > 0 {
		ev := e.agenda.pop()
		e.now = ev.at
		switch ev.kind {
		case sArrival:
			e.nextArrival(ev.cl)
			e.arrive(e.clients[ev.cl])
		case sHedge:
			if !ev.req.finished {
				e.hedge(ev.req)
			}
		case sDone:
			e.done(ev.att)
		}
	}
}

func (e *stragglerEngine) arrive(c *sClient) {
	r := &sRequest{cl: c, arrival: e.now}
	e.requests++
	if e.now >= e.afterFrom {
		e.afterReq++
	}
	if c.hedge != nil {
		r.call = c.hedge.Begin()
	}
	e.send(r, -1)
	e.armHedge(r)
}

// armHedge schedules r's next hedge after the policy's delay, if any.
func (e *stragglerEngine) armHedge(r *sRequest) {
	p := r.cl.hedge
	if p == nil || !r.call.More() {
		return
	}
	if d, ok := p.Delay(); ok && int64(d) < math.MaxInt64-e.now { // a delay past the end of time never fires
		e.schedule(sEvent{at: e.now + int64(d), kind: sHedge, req: r})
	}
}

func (e *stragglerEngine) hedge(r *sRequest) {
	d, _ := r.cl.hedge.Delay()
	if !r.call.Hedge(e.time(), d, nil) {
		return
	}
	e.send(r, r.atts[len(r.atts)-1].replica)
	e.armHedge(r)
}

// send starts attempt len(r.atts)+1 on a replica picked at random, other
// than avoid.
func (e *stragglerEngine) send(r *sRequest, avoid int) {
	n := len(e.reps)
	i := e.route.IntN(n)
	if avoid >= 0 && n > 1 {
		i = e.route.IntN(n - 1)
		if i >= avoid {
			i++
		}
	}
	a := &sAttempt{req: r, n: len(r.atts) + 1, replica: i}
	r.atts = append(r.atts, a)
	e.attempts++
	if r.arrival >= e.afterFrom {
		e.afterAtt++
	}
	rep := e.reps[i]
	if rep.busy < e.sc.Workers {
		e.serve(rep, a)
		return
	}
	rep.queue = append(rep.queue, a)
}

func (e *stragglerEngine) serve(rep *sReplica, a *sAttempt) {
	rep.busy++
	d := e.serviceTime() * e.slowFactor(rep)
	e.schedule(sEvent{at: e.now + int64(d), kind: sDone, att: a})
}

// serviceTime draws a healthy service time, in ns, as the storm engine
// does.
func (e *stragglerEngine) serviceTime() float64 { return e.draw.serviceTime() }

// slowFactor is the factor by which rep's service is slowed now.
func (e *stragglerEngine) slowFactor(rep *sReplica) float64 {
	k := 1.0
	for len(rep.slow) > 0 && rep.slow[0][1] <= e.now {
		rep.slow = rep.slow[1:]
	}
	if len(rep.slow) > 0 && rep.slow[0][0] <= e.now {
		k = e.sc.SlowFactor
	}
	if f := e.sc.Slowdown; f.Factor > 0 && e.now >= int64(f.Start) && e.now < int64(f.End) {
		k *= f.Factor
	}
	return k
}

func (e *stragglerEngine) done(a *sAttempt) {
	rep := e.reps[a.replica]
	rep.busy--
	if r := a.req; !r.finished {
		r.finished = true
		lat := e.now - r.arrival
		e.lat = append(e.lat, lat)
		if r.arrival >= e.afterFrom {
			e.afterLat = append(e.afterLat, lat)
		}
		for _, o := range r.atts {
			o.cancelled = o != a
		}
		if p := r.cl.hedge; p != nil {
			// As Execute does: the first attempt's time, until it answered
			// or lost, and one success for the budget.
			p.Observe(time.Duration(lat))
			r.call.Succeeded(a.n, e.time())
		}
	}
	for rep.busy < e.sc.Workers && len(rep.queue) > 0 {
		next := rep.queue[0]
		rep.queue[0] = nil
		rep.queue = rep.queue[1:]
		if next.cancelled && e.sc.DropCancelled {
			continue // its request was answered: dropped, as a server drops cancelled work
		}
		e.serve(rep, next)
	}
}

func (e *stragglerEngine) summary(policy string) StragglerSummary {
	s := StragglerSummary{
		Scenario: e.sc.Name, Policy: policy,
		Requests: e.requests, Attempts: e.attempts,
	}
	if e.requests > 0 {
		s.ExtraAttempts = float64(e.attempts)/float64(e.requests) - 1
	}
	if e.afterReq > 0 {
		s.ExtraAttemptsAfterSlowdown = float64(e.afterAtt)/float64(e.afterReq) - 1
	}
	for _, c := range e.clients {
		if c.hedge != nil {
			snap := c.hedge.Snapshot()
			s.Hedges += snap.Hedges
			s.BudgetRefused += snap.BudgetRefused
		}
	}
	slices.Sort(e.lat)
	slices.Sort(e.afterLat)
	s.P50ms = quantileMs(e.lat, 0.5)
	s.P99ms = quantileMs(e.lat, 0.99)
	s.P999ms = quantileMs(e.lat, 0.999)
	s.P99AfterSlowdownMs = quantileMs(e.afterLat, 0.99)
	return s
}

// quantileMs returns the q-quantile of sorted latencies, in milliseconds.
func quantileMs(sorted []int64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(int(math.Ceil(q*float64(len(sorted))))-1, len(sorted)-1)
	return float64(sorted[max(i, 0)]) / 1e6
}
