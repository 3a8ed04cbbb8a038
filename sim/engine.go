package sim

import (
	"errors"
	"math"
	"math/rand/v2"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/retry"
)

// Errors an attempt can end with in the simulation.
var (
	// ErrTimeout: the client's per-attempt timeout (or the request's
	// deadline) expired before the server answered.
	ErrTimeout = errors.New("sim: attempt timed out")
	// ErrServer: the server failed the attempt (an error spike).
	ErrServer = errors.New("sim: server error")
	// ErrQueueFull: the server's queue was full and it refused the attempt.
	ErrQueueFull = errors.New("sim: server queue full")
)

// maxServiceNs bounds one simulated service time, in ns (about 36 years),
// so that no event time overflows.
const maxServiceNs = 1 << 60

// epoch is the wall-clock time the simulated clock starts at. Any fixed
// time would do; a fixed one keeps runs identical.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Random streams: each source of randomness has its own, so that one
// policy's choices (how many attempts, how much jitter) do not shift the
// arrivals or service times another policy sees under the same seed.
const (
	streamService = 1
	streamFaults  = 2
	streamClients = 1 << 32 // + 2*client (arrivals) and + 2*client + 1 (policy)
)

// engine runs one scenario under one policy.
type engine struct {
	sc    Scenario
	dur   int64
	clock *rampart.ManualClock
	now   int64
	seq   uint64
	agenda
	clients []*client

	// server
	busy    int
	queue   fifo
	service *rand.Rand
	faults  *rand.Rand

	// load spikes, by thinning: candidates arrive at loadMax times the base
	// rate and are kept with probability factor(t)/loadMax. thin is set
	// when the scenario has a load spike, above or below 1.
	loadMax float64
	thin    bool

	outstanding int
	m           metrics

	adm     *admission // the adaptive server's limiter, if any
	dropped []*attempt // abandoned attempts done drops, whose permits it gives back last
	classes *rand.Rand // draws request classes, if any
	perCls  classCounts
}

// client is one open-loop source of requests with its own policy instance.
type client struct {
	id      int32
	gap     float64 // mean gap between candidate arrivals, in ns
	arrival *rand.Rand
	agent   agent
}

// request is one call a client makes, with all its attempts.
type request struct {
	client   *client
	arrival  int64
	deadline int64                 // absolute; 0 means none
	attempts int                   // attempts sent to the server
	call     retry.Call            // the retry policy's state, if any
	permit   circuitbreaker.Permit // the breaker's leave for the attempt in flight
	admitted bool                  // permit is held
	critical bool                  // the request's class, with Scenario.CriticalShare
	sent     bool                  // the throttle let the attempt in flight through
}

// attempt is one try of a request, sent to the server.
type attempt struct {
	req      *request
	answered bool            // the client has its outcome (response or timeout)
	fail     bool            // the server will answer with ErrServer
	deadline int64           // when the client stops waiting
	let      bool            // the adaptive server's limiter admitted it
	permit   adaptive.Permit // the limiter's permit, while let
}

func newEngine(sc Scenario, p *Policy) (*engine, error) {
	e := &engine{
		sc:      sc,
		dur:     int64(sc.Duration),
		clock:   rampart.NewManualClock(epoch),
		service: rand.New(rand.NewPCG(sc.Seed, streamService)),
		faults:  rand.New(rand.NewPCG(sc.Seed, streamFaults)),
		loadMax: sc.peakLoad(),
	}
	for _, f := range sc.Faults {
		e.thin = e.thin || f.Kind == FaultLoadSpike
	}
	e.m.init(sc)
	if sc.Server == ServerAdaptive {
		adm, err := newAdmission(e)
		if err != nil {
			return nil, err
		}
		e.adm = adm
	}
	perClient := sc.Rate / float64(sc.Clients)
	gap := 1e9 / (perClient * e.loadMax)
	for i := range sc.Clients {
		env := agentEnv{
			clock: e.clock,
			rand:  rand.New(rand.NewPCG(sc.Seed, streamClients+2*uint64(i)+1)),
		}
		a, err := p.newAgent(env)
		if err != nil {
			return nil, err
		}
		c := &client{
			id:      int32(i),
			gap:     gap,
			arrival: rand.New(rand.NewPCG(sc.Seed, streamClients+2*uint64(i))),
			agent:   a,
		}
		e.clients = append(e.clients, c)
		e.scheduleArrival(c)
	}
	return e, nil
}

func (e *engine) schedule(ev event) {
	e.seq++
	ev.seq = e.seq
	e.agenda.push(ev)
}

// scheduleArrival draws c's next candidate arrival; none is scheduled at
// or past the end.
func (e *engine) scheduleArrival(c *client) {
	gap := c.arrival.ExpFloat64() * c.gap
	if gap >= float64(e.dur-e.now) { // also when gap overflows an int64
		return
	}
	e.schedule(event{at: e.now + int64(gap), kind: evArrival, client: c.id})
}

// run processes events until the clients have stopped and every request
// has its outcome. Work left in the server's queue after that is dropped:
// nobody waits for it.
func (e *engine) run() {
	for len(e.agenda) > 0 {
		e.fireTimers()
		ev := e.agenda.pop()
		if ev.at >= e.dur && e.outstanding == 0 {
			break
		}
		if ev.at != e.now {
			e.now = ev.at
			e.clock.Set(e.time())
		}
		switch ev.kind {
		case evArrival:
			c := e.clients[ev.client]
			e.scheduleArrival(c)
			if e.thin && c.arrival.Float64()*e.loadMax >= e.sc.loadAt(time.Duration(e.now)) {
				continue // thinned out: the spike is not on now
			}
			e.arrive(c)
		case evSend:
			e.send(ev.req)
		case evTimeout:
			if !ev.att.answered {
				e.answer(ev.att, ErrTimeout)
			}
		case evDone:
			e.done(ev.att)
		}
	}
	e.m.trackQueue(max(e.now, e.dur), e.queue.len())
}

// time returns the simulated time as the policies see it.
func (e *engine) time() time.Time { return epoch.Add(time.Duration(e.now)) }

// arrive starts a new request on c.
func (e *engine) arrive(c *client) {
	r := &request{client: c, arrival: e.now}
	if e.sc.Deadline > 0 {
		r.deadline = e.now + int64(e.sc.Deadline)
	}
	e.outstanding++
	e.drawClass(r)
	e.m.request(e.now)
	c.agent.begin(r, e.time())
	e.send(r)
}

// send asks the client's policy whether the next attempt may go, and sends
// it to the server if so.
func (e *engine) send(r *request) {
	if err := r.client.agent.admit(r, e.time()); err != nil {
		e.settle(r, err)
		return
	}
	a := &attempt{req: r}
	r.attempts++
	e.m.attempt(e.now)
	timeout := int64(e.sc.Timeout)
	if r.deadline != 0 {
		timeout = min(timeout, r.deadline-e.now)
	}
	a.deadline = e.now + timeout
	e.schedule(event{at: a.deadline, kind: evTimeout, att: a})
	e.enqueue(a)
}

// answer gives the client the outcome of attempt a.
func (e *engine) answer(a *attempt, err error) {
	a.answered = true
	e.settle(a.req, err)
}

// settle hands the outcome of r's latest attempt to its policy, and either
// ends r or schedules its next attempt.
func (e *engine) settle(r *request, err error) {
	again, wait := r.client.agent.settle(r, err, e.time())
	switch {
	case err == nil:
		e.finish(r, true)
	case !again:
		e.finish(r, false)
	default:
		at := e.now + int64(max(wait, 0))
		if r.deadline != 0 && at >= r.deadline {
			e.finish(r, false)
			return
		}
		// Even a retry with no wait goes through the agenda, so a policy
		// that retries refusals at once cannot recurse without bound.
		e.schedule(event{at: at, kind: evSend, req: r})
	}
}

func (e *engine) finish(r *request, ok bool) {
	e.outstanding--
	e.m.finish(r.arrival, e.now, ok)
	e.perCls.finish(r.critical, ok)
}

// enqueue hands a to a free worker, or queues it.
func (e *engine) enqueue(a *attempt) {
	if e.adm != nil && !a.let {
		e.adm.arrive(a)
		return
	}
	if e.busy < e.sc.Workers {
		e.serve(a)
		return
	}
	if e.sc.QueueLimit > 0 && e.queue.len() >= e.sc.QueueLimit {
		e.answer(a, ErrQueueFull)
		return
	}
	e.m.trackQueue(e.now, e.queue.len())
	e.queue.push(a)
}

// done frees the worker that served a, answers a's client if it still
// waits, and starts the next queued attempt. The adaptive server's
// permits are given back last, once the worker has its next attempt: a
// call the limiter admits from its own queue then joins the back of the
// server's queue, behind the attempts admitted before it.
func (e *engine) done(a *attempt) {
	e.busy--
	var err error
	if a.fail {
		err = ErrServer
	}
	if !a.answered {
		e.answer(a, err)
	}
	dropped := e.dropped[:0]
	for e.busy < e.sc.Workers && e.queue.len() > 0 {
		e.m.trackQueue(e.now, e.queue.len())
		next := e.queue.pop()
		if e.sc.CancelAbandoned && next.answered {
			dropped = append(dropped, next)
			continue
		}
		e.serve(next)
	}
	a.finishPermit(true, err)
	for i, d := range dropped {
		d.finishPermit(false, nil)
		dropped[i] = nil
	}
	e.dropped = dropped[:0]
}

// serve starts a on a worker, drawing its service time under the faults
// active now.
func (e *engine) serve(a *attempt) {
	e.busy++
	d := e.serviceTime()
	scale, extra, errFrac, errCost := e.serverFaults()
	if errFrac > 0 && e.faults.Float64() < errFrac {
		a.fail = true
		d = float64(errCost)
	} else {
		d = d*scale + float64(extra)
	}
	d = min(d, maxServiceNs) // a lognormal draw may exceed any int64
	e.schedule(event{at: e.now + int64(d), kind: evDone, att: a})
}

// serviceTime draws a healthy service time, in ns.
func (e *engine) serviceTime() float64 {
	mean := float64(e.sc.Service.Mean)
	switch e.sc.Service.Kind {
	case DistConstant:
		return mean
	case DistLognormal:
		s := e.sc.Service.Sigma
		return math.Exp(math.Log(mean) - s*s/2 + s*e.service.NormFloat64())
	default:
		return e.service.ExpFloat64() * mean
	}
}

// serverFaults returns the effect of the server faults active now.
func (e *engine) serverFaults() (scale float64, extra time.Duration, errFrac float64, errCost time.Duration) {
	scale = 1
	ok := 1.0
	for _, f := range e.sc.Faults {
		if e.now < int64(f.Start) || e.now >= int64(f.End) {
			continue
		}
		switch f.Kind {
		case FaultCapacityDrop:
			scale *= f.Factor
		case FaultLatencySpike:
			extra += f.Delay
		case FaultErrorSpike:
			ok *= 1 - f.Fraction
			errCost = max(errCost, f.Cost)
		}
	}
	return scale, extra, 1 - ok, errCost
}

// fifo is the server's queue: a slice used as a ring-less deque that
// compacts itself when half of it is consumed.
type fifo struct {
	items []*attempt
	head  int
}

func (q *fifo) len() int { return len(q.items) - q.head }

func (q *fifo) push(a *attempt) { q.items = append(q.items, a) }

func (q *fifo) pop() *attempt {
	a := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head > 1024 && q.head*2 >= len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	return a
}
