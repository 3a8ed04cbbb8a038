package sim

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

// agent is one client's instance of a policy: it decides, in simulated
// time, whether each attempt may go and whether to try again.
type agent interface {
	// begin starts request r at now.
	begin(r *request, now time.Time)
	// admit is asked before each attempt of r; an error refuses the
	// attempt (an open breaker) and is settled as its outcome.
	admit(r *request, now time.Time) error
	// settle records the outcome of r's latest attempt (nil is success)
	// at now and says whether to try again, after what wait.
	settle(r *request, err error, now time.Time) (again bool, wait time.Duration)
}

// agentEnv is what a client gives its policy instance.
type agentEnv struct {
	clock *rampart.ManualClock
	rand  *rand.Rand // the client's own seeded stream
}

// once makes one attempt and never retries: the "none" policy.
type once struct{}

func (once) begin(*request, time.Time)                               {}
func (once) admit(*request, time.Time) error                         { return nil }
func (once) settle(*request, error, time.Time) (bool, time.Duration) { return false, 0 }

// retrier runs a rampart retry policy's decisions: the same [retry.Call]
// that the policy's Execute drives, here driven by the event loop.
type retrier struct {
	p *retry.Policy
}

func (a retrier) begin(r *request, now time.Time) {
	var deadline time.Time
	if r.deadline != 0 {
		deadline = epoch.Add(time.Duration(r.deadline))
	}
	r.call = a.p.Begin(now, deadline)
}

func (retrier) admit(*request, time.Time) error { return nil }

func (retrier) settle(r *request, err error, now time.Time) (bool, time.Duration) {
	if err == nil {
		r.call.Succeeded()
		return false, 0
	}
	d := r.call.Failed(context.Background(), err, now)
	return d.Retry, d.Delay
}
