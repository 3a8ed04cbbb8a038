package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/rampart-go/rampart/internal/config"
)

// Policy is what each simulated client runs around its calls. The zero
// value (apart from its name) makes one attempt and never retries.
type Policy struct {
	// Name identifies the policy in results and charts.
	Name string `json:"name"`
}

// Validate reports the first invalid field of p.
func (p Policy) Validate() error {
	if p.Name == "" {
		return config.Errorf("sim", "Policy.Name", "must not be empty")
	}
	return nil
}

func (p *Policy) newAgent(env agentEnv) (agent, error) {
	return once{}, nil
}

// Policies returns the built-in policies, from no protection to rampart's
// full defaults:
//
//   - none: one attempt, no retry.
func Policies() []Policy {
	return []Policy{
		{Name: "none"},
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
