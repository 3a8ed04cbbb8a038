package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/retry"
	"github.com/rampart-go/rampart/throttle"
)

// errThrottled is the local refusal of a client's throttle.
var errThrottled = fmt.Errorf("sim: %w", throttle.ErrThrottled)

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

// guard runs a client's rampart policies as the pipeline retry → breaker →
// attempt would: the retry policy's decisions through the same
// [retry.Call] its Execute drives, the breaker's through [Breaker.Allow] and
// [circuitbreaker.Permit.Done], all in simulated time. Either may be nil.
type guard struct {
	retry    *retry.Policy
	breaker  *circuitbreaker.Breaker
	throttle *throttle.Throttle
}

func (g guard) begin(r *request, now time.Time) {
	if g.retry == nil {
		return
	}
	var deadline time.Time
	if r.deadline != 0 {
		deadline = epoch.Add(time.Duration(r.deadline))
	}
	r.call = g.retry.Begin(now, deadline)
}

func (g guard) admit(r *request, _ time.Time) error {
	if g.throttle != nil {
		if !g.throttle.Allow() {
			return errThrottled
		}
		r.sent = true
	}
	if g.breaker == nil {
		return nil
	}
	permit, err := g.breaker.Allow()
	if err != nil {
		return err
	}
	r.permit, r.admitted = permit, true
	return nil
}

func (g guard) settle(r *request, err error, now time.Time) (bool, time.Duration) {
	if r.admitted {
		r.permit.Done(err)
		r.permit, r.admitted = circuitbreaker.Permit{}, false
	}
	if r.sent {
		g.throttle.Record(err == nil || errors.Is(err, rampart.ErrRejected))
		r.sent = false
	}
	if g.retry == nil {
		return false, 0
	}
	if err == nil {
		r.call.Succeeded()
		return false, 0
	}
	d := r.call.Failed(context.Background(), err, now)
	return d.Retry, d.Delay
}
