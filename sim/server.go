package sim

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
	"github.com/rampart-go/rampart/internal/config"
)

// Server admission models, the values of [Scenario.Server].
const (
	// ServerFIFO serves every attempt in arrival order, including those
	// whose client has stopped waiting: what most servers do, and the
	// default.
	ServerFIFO = "fifo"
	// ServerDropAbandoned serves in arrival order but drops, before it
	// runs, an attempt whose client has stopped waiting (its context is
	// done), as [Scenario.CancelAbandoned] does.
	ServerDropAbandoned = "drop-abandoned"
	// ServerAdaptive admits attempts through an adaptive concurrency
	// limiter with its queue (package adaptive, [Scenario.Limiter]),
	// running the package's code in simulated time, and drops abandoned
	// work. An attempt the limiter refuses is answered at once with
	// [ErrShed], carrying the limiter's retry-after hint.
	ServerAdaptive = "adaptive"
)

// ServerNames returns the server admission models.
func ServerNames() []string { return []string{ServerFIFO, ServerDropAbandoned, ServerAdaptive} }

// ErrShed is the answer of a server that refused an attempt to shed load
// (a 503 with Retry-After). It is a failure for the client, not a local
// rejection: retry policies may retry it after the hint.
var ErrShed = errors.New("sim: server shed the attempt")

// streamClasses draws each request's class.
const streamClasses = 3

// limiterConfig is the adaptive server's limiter: sc.Limiter if set, else
// Gradient2 with at least Workers and at most 10 × Workers in flight and a
// queue of 10 × Workers, on the simulation's clock.
func (sc Scenario) limiterConfig(clock rampart.Clock) adaptive.Config {
	var c adaptive.Config
	if sc.Limiter != nil {
		c = *sc.Limiter
	} else {
		w := max(sc.Workers, 1)
		c = adaptive.Config{MinLimit: w, InitialLimit: w, MaxLimit: 10 * w, MaxQueue: 10 * w}
	}
	c.Clock = clock
	c.Observers = nil
	return c
}

// validateServer checks the Server, Limiter and CriticalShare fields.
func (s Scenario) validateServer() error {
	switch s.Server {
	case "", ServerFIFO, ServerDropAbandoned, ServerAdaptive:
	default:
		return config.Errorf("sim", "Server", "must be %q, %q or %q, got %q", ServerFIFO, ServerDropAbandoned, ServerAdaptive, s.Server)
	}
	if s.Limiter != nil {
		if s.Server != ServerAdaptive {
			return config.Errorf("sim", "Limiter", "needs Server %q, got %q", ServerAdaptive, s.Server)
		}
		if _, err := adaptive.New(*s.Limiter); err != nil {
			return err
		}
	}
	if !(s.CriticalShare >= 0 && s.CriticalShare <= 1) {
		return config.Errorf("sim", "CriticalShare", "must be in [0, 1], got %v", s.CriticalShare)
	}
	return nil
}

// admission is the adaptive server's front door.
type admission struct {
	e *engine
	l *adaptive.Limiter
}

func newAdmission(e *engine) (*admission, error) {
	l, err := adaptive.New(e.sc.limiterConfig(e.clock))
	if err != nil {
		return nil, err
	}
	return &admission{e: e, l: l}, nil
}

// arrive asks the limiter to admit a; once admitted, a goes to a worker or
// the server's queue.
func (ad *admission) arrive(a *attempt) {
	p := rampart.PriorityDefault
	if ad.e.sc.CriticalShare > 0 {
		p = rampart.PrioritySheddable
		if a.req.critical {
			p = rampart.PriorityCritical
		}
	}
	ad.l.AcquireFunc(p, epoch.Add(time.Duration(a.deadline)), func(permit adaptive.Permit, err error) {
		e := ad.e
		e.syncNow()
		if err != nil {
			if !a.answered {
				hint, _ := rampart.RetryAfter(err)
				e.answer(a, rampart.WithRetryAfter(ErrShed, hint))
			}
			return
		}
		a.permit, a.let = permit, true
		e.enqueue(a)
	})
}

// syncNow sets the engine's time from the clock, which a timer of the
// limiter's queue has moved.
func (e *engine) syncNow() { e.now = int64(e.clock.Now().Sub(epoch)) }

// fireTimers fires the clock's timers (the limiter queue's timeouts) due
// no later than the next event, each at its own time.
func (e *engine) fireTimers() {
	if e.adm == nil || len(e.agenda) == 0 {
		return
	}
	next := epoch.Add(time.Duration(e.agenda[0].at))
	for {
		due, ok := e.clock.NextDue()
		if !ok || due.After(next) {
			return
		}
		e.clock.Set(due)
		e.syncNow()
	}
}

// finishPermit gives a's limiter permit back when a leaves the server:
// served (err is its outcome) or dropped unserved (abandoned).
func (a *attempt) finishPermit(served bool, err error) {
	if !a.let {
		return
	}
	a.let = false
	if served {
		a.permit.Done(err)
	} else {
		a.permit.Ignore()
	}
}

// drawClass marks r critical with probability CriticalShare.
func (e *engine) drawClass(r *request) {
	if e.sc.CriticalShare > 0 {
		if e.classes == nil {
			e.classes = rand.New(rand.NewPCG(e.sc.Seed, streamClasses))
		}
		r.critical = e.classes.Float64() < e.sc.CriticalShare
	}
}

// Classes is the goodput of each request class in a run with
// [Scenario.CriticalShare] set.
type Classes struct {
	CriticalRequests  int64   `json:"critical_requests"`
	CriticalGoodput   float64 `json:"critical_goodput"`
	SheddableRequests int64   `json:"sheddable_requests"`
	SheddableGoodput  float64 `json:"sheddable_goodput"`
}

// classCounts accumulates per-class outcomes.
type classCounts struct {
	req, ok [2]int64 // [sheddable, critical]
}

func (c *classCounts) finish(critical, ok bool) {
	i := 0
	if critical {
		i = 1
	}
	c.req[i]++
	if ok {
		c.ok[i]++
	}
}

func (c *classCounts) result() *Classes {
	return &Classes{
		CriticalRequests:  c.req[1],
		CriticalGoodput:   round(ratio(c.ok[1], c.req[1]), 4),
		SheddableRequests: c.req[0],
		SheddableGoodput:  round(ratio(c.ok[0], c.req[0]), 4),
	}
}
