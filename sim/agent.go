package sim

import (
	"math/rand/v2"
	"time"

	"github.com/rampart-go/rampart"
)

// agent is one client's instance of a policy: it decides, in simulated
// time, whether each attempt may go and whether to try again.
type agent interface {
	// begin starts request r.
	begin(r *request)
	// admit is asked before each attempt of r; an error refuses the
	// attempt (an open breaker) and is settled as its outcome.
	admit(r *request) error
	// settle records the outcome of r's latest attempt (nil is success)
	// and says whether to try again, after what wait.
	settle(r *request, err error) (again bool, wait time.Duration)
}

// agentEnv is what a client gives its policy instance.
type agentEnv struct {
	clock *rampart.ManualClock
	rand  *rand.Rand // the client's own seeded stream
}

// once makes one attempt and never retries: the "none" policy.
type once struct{}

func (once) begin(*request)                               {}
func (once) admit(*request) error                         { return nil }
func (once) settle(*request, error) (bool, time.Duration) { return false, 0 }
