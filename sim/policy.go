package sim

// Policy is what each simulated client runs around its calls.
type Policy struct {
	// Name identifies the policy in results and charts.
	Name string `json:"name"`
}

func (p *Policy) newAgent(env agentEnv) (agent, error) {
	return once{}, nil
}

// Validate reports the first invalid field of p.
func (p Policy) Validate() error { return nil }
