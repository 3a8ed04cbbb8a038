package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/rampart-go/rampart"
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
	// BreakerIgnoresShed makes the breaker count the server's shed
	// answers ([ErrShed] with its retry-after hint: a 503 with
	// Retry-After) for nothing, neither failure nor success, as a
	// Classifier that ignores them does in production. A server that
	// sheds is up and protecting itself: refusing a share of the calls
	// costs it little, and a breaker that counted the refusals as faults
	// would open and refuse every call, the share it would serve
	// included. The throttle still counts them as not accepted, and the
	// retry policy waits at least the hint. A server that is down
	// answers without a hint, or times out, and opens the breaker as
	// before. Needs Breaker, with no Classifier of its own.
	BreakerIgnoresShed bool `json:"breaker_ignores_shed,omitempty"`
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
func (p *Policy) UnmarshalJSON(data []byte) error { return decode(data, p) }

// maxAttempts bounds a simulated retry policy's attempts per request, so
// that a run without a budget ends in bounded time.
const maxAttempts = 100

// Validate reports the first invalid field of p, including those of its
// policies' configs, as a *rampart.ConfigError naming the JSON key
// ("retry.max_attempts").
func (p Policy) Validate() error {
	t := reflect.TypeFor[Policy]()
	if p.Name == "" {
		return config.Errorf("sim", "name", "must not be empty")
	}
	if p.Retry != nil {
		if _, err := retry.New(*p.Retry); err != nil {
			return nested(t, "Retry", err)
		}
		if p.Retry.MaxAttempts > maxAttempts {
			return config.Errorf("sim", "retry.max_attempts", "must be at most %d in a simulation, got %d", maxAttempts, p.Retry.MaxAttempts)
		}
	}
	if p.Breaker != nil {
		if _, err := circuitbreaker.New(*p.Breaker); err != nil {
			return nested(t, "Breaker", err)
		}
	}
	if p.BreakerIgnoresShed && (p.Breaker == nil || p.Breaker.Classifier != nil) {
		return config.Errorf("sim", "breaker_ignores_shed", "needs breaker to be set, without a classifier")
	}
	if p.Throttle != nil {
		if _, err := throttle.New(*p.Throttle); err != nil {
			return err
		}
	}
	if p.RatioBudget != nil {
		if p.Retry == nil {
			return config.Errorf("sim", "ratio_budget", "needs retry to be set")
		}
		if p.Retry.Budget != nil || p.Retry.DisableBudget {
			return config.Errorf("sim", "ratio_budget", "needs no retry.budget and retry.disable_budget false")
		}
		if _, err := retry.NewRatioBudget(*p.RatioBudget); err != nil {
			return nested(t, "RatioBudget", err)
		}
	}
	return nil
}

// nested names an error of the config in field of t (a Go name) by its JSON
// path from t, in package sim.
func nested(t reflect.Type, field string, err error) error {
	var ce *rampart.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	return jsonError(t, &rampart.ConfigError{Package: "sim", Field: field + "." + ce.Field, Reason: ce.Reason})
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
		if p.BreakerIgnoresShed {
			bc.Classifier = shedIsNoFault
		}
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
//   - naive: the retry loop of the article rampart grew from, "Building
//     Resilient Distributed Systems with Go", as a
//     rampart retry config: 3 retries (4 attempts), exponential backoff
//     from 1s doubling without jitter, every error retried, no budget.
//   - retry: rampart retry with its defaults (3 attempts, jittered
//     exponential backoff from 100ms) but no retry budget.
//   - default: rampart retry with its defaults, retry budget included.
//   - breaker: default plus a rampart circuit breaker with its defaults.
//   - throttle: default plus client-side adaptive throttling (package
//     throttle) with its defaults, per client.
//   - recommended: default plus the throttle in front of the breaker, the
//     throttle with its defaults, the breaker with its defaults but an
//     open period of 1 s, and counting the server's shed answers for
//     nothing (BreakerIgnoresShed): the client default this package
//     recommends. The throttle sheds a sustained overload; the breaker
//     only has to cut a storm short, and a short open period lets it
//     probe again soon after a fault ends, or after real errors (an error
//     spike) tripped it (see docs/sim-sweep.md for how it compares).
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
		{Name: "recommended", Retry: &retry.Config{}, Breaker: &circuitbreaker.Config{OpenDuration: time.Second}, BreakerIgnoresShed: true, Throttle: &throttle.Config{}},
	}
}

// shedIsNoFault is the breaker's classifier with BreakerIgnoresShed: the
// server's shed answer, with its retry-after hint, is ignored; anything
// else is judged as by default.
func shedIsNoFault(ctx context.Context, err error) rampart.Outcome {
	if errors.Is(err, ErrShed) {
		if _, ok := rampart.RetryAfter(err); ok {
			return rampart.Ignored
		}
	}
	return rampart.Classify(ctx, err)
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
// them) and validates each; two policies may not share a name. An error
// names the JSON key, prefixed with the policy's index in an array
// ("[1].retry.max_attempts").
func ParsePolicies(data []byte) ([]Policy, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '[' {
		var p Policy
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, syntaxError(err)
		}
		if err := p.Validate(); err != nil {
			return nil, err
		}
		return []Policy{p}, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, syntaxError(err)
	}
	ps := make([]Policy, len(raw))
	for i, msg := range raw {
		err := json.Unmarshal(msg, &ps[i])
		if err == nil {
			err = ps[i].Validate()
		}
		var ce *rampart.ConfigError
		if errors.As(err, &ce) {
			return nil, config.Errorf("sim", fmt.Sprintf("[%d].%s", i, ce.Field), "%s", ce.Reason)
		}
		if err != nil {
			return nil, syntaxError(err)
		}
		if j := slices.IndexFunc(ps[:i], func(q Policy) bool { return q.Name == ps[i].Name }); j >= 0 {
			return nil, config.Errorf("sim", fmt.Sprintf("[%d].name", i), "%q is already the name of policy [%d]", ps[i].Name, j)
		}
	}
	return ps, nil
}

// syntaxError keeps a *rampart.ConfigError as it is and prefixes any other
// error (malformed JSON) with the package name.
func syntaxError(err error) error {
	var ce *rampart.ConfigError
	if errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("sim: %w", err)
}

// ParseScenario reads a scenario from JSON and validates it. An error names
// the JSON key.
func ParseScenario(data []byte) (Scenario, error) {
	var s Scenario
	if err := json.Unmarshal(data, &s); err != nil {
		return Scenario{}, syntaxError(err)
	}
	return s, s.Validate()
}
