package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/internal/config"
	"github.com/rampart-go/rampart/retry"
	"github.com/rampart-go/rampart/throttle"
)

// Policy is what each simulated client runs around its calls, described
// with the policies' own config structs, so a policy reads from JSON:
//
//	{"name": "mine", "retry": {"max_attempts": 2, "backoff": {"base": "50ms"}}}
//
// Every client builds its own instances from the configs: its own retry
// budget, its own breaker. A nil config leaves that policy out; with none,
// a client makes one attempt per request.
type Policy struct {
	// Name identifies the policy in results and charts.
	Name string `json:"name"`
	// Retry configures a rampart retry policy (package retry). Its Rand
	// is set to the client's own seeded stream and its Clock to the
	// simulation's clock; a Seed or Rand given here is not used.
	Retry *retry.Config `json:"retry,omitempty"`
	// RatioBudget, when set, gives each client's retry policy a
	// [retry.RatioBudget] built from it (its Clock set to the simulation's)
	// instead of the token bucket Retry would make. Retry must be set, and
	// its Budget left nil.
	RatioBudget *retry.RatioBudgetConfig `json:"ratio_budget,omitempty"`
	// Breaker configures a rampart circuit breaker (package
	// circuitbreaker) inside the retry policy, as in the pipeline retry →
	// breaker → call: every attempt asks it first. Its Clock is set to the
	// simulation's clock.
	Breaker *circuitbreaker.Config `json:"breaker,omitempty"`
	// Throttle configures client-side adaptive throttling (package
	// throttle) in front of the breaker: every attempt asks it first,
	// and a refusal ends the request as a breaker's rejection does. Its
	// Clock is set to the simulation's clock and its Seed drawn from the
	// client's stream.
	Throttle *throttle.Config `json:"throttle,omitempty"`
}

// MarshalJSON writes the policy as JSON.
func (p Policy) MarshalJSON() ([]byte, error) { return config.Marshal(p) }

// UnmarshalJSON reads a policy; an unknown key is an error.
func (p *Policy) UnmarshalJSON(data []byte) error { return config.Unmarshal("sim", data, p) }

// Validate reports the first invalid field of p, including those of its
// policies' configs.
func (p Policy) Validate() error {
	if p.Name == "" {
		return config.Errorf("sim", "Policy.Name", "must not be empty")
	}
	if p.Retry != nil {
		if _, err := retry.New(*p.Retry); err != nil {
			return err
		}
	}
	if p.Breaker != nil {
		if _, err := circuitbreaker.New(*p.Breaker); err != nil {
			return err
		}
	}
	if p.Throttle != nil {
		if _, err := throttle.New(*p.Throttle); err != nil {
			return err
		}
	}
	if p.RatioBudget != nil {
		if p.Retry == nil {
			return config.Errorf("sim", "RatioBudget", "needs Retry to be set")
		}
		if p.Retry.Budget != nil || p.Retry.DisableBudget {
			return config.Errorf("sim", "RatioBudget", "needs Retry.Budget nil and Retry.DisableBudget false")
		}
		if _, err := retry.NewRatioBudget(*p.RatioBudget); err != nil {
			return err
		}
	}
	return nil
}

func (p *Policy) newAgent(env agentEnv) (agent, error) {
	if p.Retry == nil && p.Breaker == nil && p.Throttle == nil {
		return once{}, nil
	}
	var g guard
	if p.Retry != nil {
		rc := *p.Retry
		rc.Seed = 0
		rc.Rand = env.rand
		rc.Clock = env.clock
		if p.RatioBudget != nil {
			bc := *p.RatioBudget
			bc.Clock = env.clock
			b, err := retry.NewRatioBudget(bc)
			if err != nil {
				return nil, err
			}
			rc.Budget = b
		}
		rp, err := retry.New(rc)
		if err != nil {
			return nil, err
		}
		g.retry = rp
	}
	if p.Breaker != nil {
		bc := *p.Breaker
		bc.Clock = env.clock
		b, err := circuitbreaker.New(bc)
		if err != nil {
			return nil, err
		}
		g.breaker = b
	}
	if p.Throttle != nil {
		tc := *p.Throttle
		tc.Clock = env.clock
		tc.Seed = env.rand.Uint64() | 1
		t, err := throttle.New(tc)
		if err != nil {
			return nil, err
		}
		g.throttle = t
	}
	return g, nil
}

// Policies returns the built-in policies, from no protection to rampart's
// full defaults:
//
//   - none: one attempt per request, no retry.
//   - naive: the retry loop of the article rampart grew from, as a
//     rampart retry config: 3 retries (4 attempts), exponential backoff
//     from 1s doubling without jitter, every error retried, no budget.
//   - retry: rampart retry with its defaults (3 attempts, jittered
//     exponential backoff from 100ms) but no retry budget.
//   - default: rampart retry with its defaults, retry budget included.
//   - breaker: default plus a rampart circuit breaker with its defaults.
//   - throttle: default plus client-side adaptive throttling (package
//     throttle) with its defaults, per client.
//   - recommended: default plus the throttle in front of the breaker,
//     both with their defaults: the client default this package
//     recommends (see docs/sim-sweep.md for how it compares).
func Policies() []Policy {
	return []Policy{
		{Name: "none"},
		{Name: "naive", Retry: &retry.Config{
			MaxAttempts:   4,
			RetryAll:      true,
			DisableBudget: true,
			Backoff: retry.BackoffConfig{
				Kind: retry.KindExponential, Base: time.Second, Multiplier: 2,
				Max: time.Hour, Jitter: retry.JitterNone,
			},
		}},
		{Name: "retry", Retry: &retry.Config{DisableBudget: true}},
		{Name: "default", Retry: &retry.Config{}},
		{Name: "breaker", Retry: &retry.Config{}, Breaker: &circuitbreaker.Config{}},
		{Name: "throttle", Retry: &retry.Config{}, Throttle: &throttle.Config{}},
		{Name: "recommended", Retry: &retry.Config{}, Breaker: &circuitbreaker.Config{}, Throttle: &throttle.Config{}},
	}
}

// PolicyNames returns the names of the built-in policies.
func PolicyNames() []string {
	var names []string
	for _, p := range Policies() {
		names = append(names, p.Name)
	}
	return names
}

// LookupPolicy returns the built-in policy with the given name.
func LookupPolicy(name string) (Policy, bool) {
	all := Policies()
	i := slices.IndexFunc(all, func(p Policy) bool { return p.Name == name })
	if i < 0 {
		return Policy{}, false
	}
	return all[i], true
}

// ParsePolicies reads one policy (a JSON object) or several (an array of
// them) and validates each.
func ParsePolicies(data []byte) ([]Policy, error) {
	data = bytes.TrimSpace(data)
	var ps []Policy
	if len(data) > 0 && data[0] == '[' {
		if err := json.Unmarshal(data, &ps); err != nil {
			return nil, fmt.Errorf("sim: policies: %w", err)
		}
	} else {
		var p Policy
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("sim: policy: %w", err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// ParseScenario reads a scenario from JSON and validates it.
func ParseScenario(data []byte) (Scenario, error) {
	var s Scenario
	if err := json.Unmarshal(data, &s); err != nil {
		return Scenario{}, err
	}
	return s, s.Validate()
}
