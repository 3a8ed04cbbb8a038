package sim

// Run simulates scenario sc with every client running policy p, and
// returns what happened. The same scenario, seed and policy give the same
// result, bit for bit.
func Run(sc Scenario, p Policy) (*Result, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	sc = sc.withDefaults()
	e, err := newEngine(sc, &p)
	if err != nil {
		return nil, err
	}
	e.run()
	r := e.m.result(sc, p.Name)
	if sc.CriticalShare > 0 {
		r.Summary.Classes = e.perCls.result()
	}
	return r, nil
}
