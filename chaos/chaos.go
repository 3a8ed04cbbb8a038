package chaos

import (
	"context"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
	"github.com/rampart-go/rampart/internal/fastrand"
)

// Config configures a chaos [Policy]. Rate and exactly one of Fault,
// Outcome, Latency and Behavior are required; the zero value of every other
// field means its documented default.
type Config struct {
	// Name identifies the policy in events, snapshots and logs.
	// Default "chaos".
	Name string `json:"name,omitempty"`
	// Enabled is the switch's position when the policy is built. The
	// default, false, injects nothing until [Policy.Enable] is called, so
	// a chaos policy can sit in a production pipeline at no risk.
	Enabled bool `json:"enabled,omitempty"`
	// Rate is the share of calls injected while enabled, in (0, 1].
	// Required: 0 is an error rather than "never", so that a config that
	// forgot it fails loudly; switch the policy off to inject nothing.
	Rate float64 `json:"rate"`
	// Seed, if not zero, seeds the draws, so that a run that makes the
	// same calls in the same order injects into the same ones. Zero means
	// the runtime's unseeded generator.
	Seed uint64 `json:"seed,omitempty"`

	// Fault is returned instead of running the call.
	Fault error `json:"-"`
	// Outcome is called instead of the call; its value becomes the call's
	// result (for [rampart.Get]: it must be of the call's result type, or
	// nil for the zero value) and its error the call's error. For
	// [rampart.Do] the value is dropped.
	Outcome func(ctx context.Context) (any, error) `json:"-"`
	// Latency delays the call by this long, on Clock, before running it.
	// If ctx is done first, the call does not run and ctx's error is
	// returned.
	Latency time.Duration `json:"latency,omitempty"`
	// Behavior runs before the call (to kill a connection, fill a disk,
	// count something); if it returns an error the call does not run and
	// that error is returned.
	Behavior func(ctx context.Context) error `json:"-"`

	// EnabledFunc, if set, narrows the switch call by call: while the
	// policy is enabled, a call is considered for injection only if
	// EnabledFunc(ctx) is true (say, for requests that carry a test
	// header). It is not called while the policy is disabled.
	EnabledFunc func(ctx context.Context) bool `json:"-"`
	// Clock is the time source for Latency; nil means the real clock.
	Clock rampart.Clock `json:"-"`
	// Observers receive EventInjected for every injection, before it takes
	// effect.
	Observers []rampart.Observer `json:"-"`
}

// MarshalJSON writes the config with Latency as a string ("250ms").
func (c Config) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads the config; Latency may be a string ("250ms").
func (c *Config) UnmarshalJSON(b []byte) error { return config.Unmarshal("chaos", b, c) }

// kind is what a policy injects.
type kind uint8

const (
	kindFault kind = iota
	kindOutcome
	kindLatency
	kindBehavior
)

var kindNames = [...]string{kindFault: "fault", kindOutcome: "outcome", kindLatency: "latency", kindBehavior: "behavior"}

// Policy injects one kind of trouble into a share of the calls it runs,
// while enabled. It is safe for concurrent use; the switch may be flipped
// at any time from any goroutine.
type Policy struct {
	// on is all a disabled policy reads: one load, then the call.
	on atomic.Bool

	name      string
	kind      kind
	rate      float64
	always    bool             // rate 1: no draw
	src       *fastrand.Source // nil: the runtime's generator
	fault     error
	outcome   func(context.Context) (any, error)
	latency   time.Duration
	behavior  func(context.Context) error
	enabledFn func(context.Context) bool
	clock     rampart.Clock
	observers []rampart.Observer

	considered, injected atomic.Uint64
}

// New returns a chaos policy configured by c, or a [*rampart.ConfigError]
// naming the first invalid field.
func New(c Config) (*Policy, error) {
	switch {
	case math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return nil, config.Errorf("chaos", "Rate", "must be a finite number in (0, 1], got %v", c.Rate)
	case !(c.Rate > 0) || c.Rate > 1:
		return nil, config.Errorf("chaos", "Rate", "must be in (0, 1], got %v (disable the policy to inject nothing)", c.Rate)
	case c.Latency < 0:
		return nil, config.Errorf("chaos", "Latency", "must be >= 0, got %v", c.Latency)
	}
	var set []string
	p := &Policy{}
	if c.Fault != nil {
		set, p.kind = append(set, "Fault"), kindFault
	}
	if c.Outcome != nil {
		set, p.kind = append(set, "Outcome"), kindOutcome
	}
	if c.Latency > 0 {
		set, p.kind = append(set, "Latency"), kindLatency
	}
	if c.Behavior != nil {
		set, p.kind = append(set, "Behavior"), kindBehavior
	}
	if len(set) != 1 {
		field, got := "Fault", "none"
		if len(set) > 1 {
			field, got = set[1], strings.Join(set, " and ")
		}
		return nil, config.Errorf("chaos", field, "exactly one of Fault, Outcome, Latency and Behavior must be set, got %s", got)
	}
	if c.Name == "" {
		c.Name = "chaos"
	}
	p.name, p.rate, p.always = c.Name, c.Rate, c.Rate == 1
	if c.Seed != 0 {
		p.src = fastrand.New(c.Seed)
	}
	p.fault, p.outcome, p.latency, p.behavior = c.Fault, c.Outcome, c.Latency, c.Behavior
	p.enabledFn, p.clock, p.observers = c.EnabledFunc, c.Clock, c.Observers
	p.on.Store(c.Enabled)
	return p, nil
}

// Name returns the policy's name.
func (p *Policy) Name() string { return p.name }

// Enable turns injection on.
func (p *Policy) Enable() { p.on.Store(true) }

// Disable turns injection off: calls run untouched, at the cost of one
// atomic load. Calls already being injected into (sleeping through their
// latency, say) finish as they began.
func (p *Policy) Disable() { p.on.Store(false) }

// SetEnabled turns injection on or off.
func (p *Policy) SetEnabled(on bool) { p.on.Store(on) }

// Enabled reports whether injection is on.
func (p *Policy) Enabled() bool { return p.on.Load() }

// Do runs fn under the policy; see [rampart.Do].
func (p *Policy) Do(ctx context.Context, fn func(context.Context) error) error {
	return rampart.Do(ctx, p, fn)
}

// Execute implements [rampart.Policy]. Disabled, it runs next and nothing
// else.
func (p *Policy) Execute(ctx context.Context, next rampart.Next) error {
	if !p.on.Load() {
		return next.Run(ctx)
	}
	return p.maybeInject(ctx, next)
}

// maybeInject draws for an enabled policy and injects if the draw says so.
func (p *Policy) maybeInject(ctx context.Context, next rampart.Next) error {
	if p.enabledFn != nil && !p.enabledFn(ctx) {
		return next.Run(ctx)
	}
	p.considered.Add(1)
	if !p.draw() {
		return next.Run(ctx)
	}
	p.injected.Add(1)
	if len(p.observers) > 0 {
		e := rampart.Event{
			Kind: rampart.EventInjected, Policy: p.name, Time: rampart.Now(p.clock),
			Reason: kindNames[p.kind], Err: p.fault,
		}
		if p.kind == kindLatency {
			e.Delay = p.latency
		}
		rampart.Emit(p.observers, e)
	}
	switch p.kind {
	case kindFault:
		return p.fault
	case kindOutcome:
		v, err := p.outcome(ctx)
		if serr := next.SetResult(v); serr != nil {
			return serr
		}
		return err
	case kindLatency:
		if err := rampart.Sleep(ctx, p.clock, p.latency); err != nil {
			return err
		}
	case kindBehavior:
		if err := p.behavior(ctx); err != nil {
			return err
		}
	}
	return next.Run(ctx)
}

// draw reports whether this call is injected into.
func (p *Policy) draw() bool {
	if p.always {
		return true
	}
	var u uint64
	if p.src != nil {
		u = p.src.Uint64()
	} else {
		u = fastrand.Runtime{}.Uint64()
	}
	return fastrand.Float64(u) < p.rate
}

// Snapshot is a chaos policy's state and counts at one moment.
type Snapshot struct {
	// Name is the policy's Config.Name.
	Name string
	// Enabled is the switch's position.
	Enabled bool
	// Kind is what the policy injects: "fault", "outcome", "latency" or
	// "behavior".
	Kind string
	// Rate is the configured injection rate.
	Rate float64
	// Considered counts the calls that drew for injection (enabled, and
	// let through by EnabledFunc); Injected those injected into.
	Considered, Injected uint64
}

// Snapshot returns the policy's state and counts.
func (p *Policy) Snapshot() Snapshot {
	return Snapshot{
		Name: p.name, Enabled: p.on.Load(), Kind: kindNames[p.kind], Rate: p.rate,
		Considered: p.considered.Load(), Injected: p.injected.Load(),
	}
}
