package fallback

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

// Config configures a [Value] or [Func] fallback. The zero value of every
// field means its default.
type Config struct {
	// Name identifies the fallback in events and in the [Report] a caller
	// reads, e.g. "popular-items". Default "fallback".
	Name string `json:"name,omitempty"`
	// Handle reports whether the fallback should replace the outcome of a
	// call that ended with err. nil means: whenever the Classifier judges
	// the outcome a failure, which includes rejections (an open breaker, an
	// exhausted retry) and timeouts, and never includes the caller's own
	// cancellation.
	Handle func(ctx context.Context, err error) bool `json:"-"`
	// Classifier judges outcomes when Handle is nil; nil means
	// [rampart.Classify].
	Classifier rampart.Classifier `json:"-"`
	// Observers receive EventFallbackUsed.
	Observers []rampart.Observer `json:"-"`
	// Clock is the time source for events and the cache's staleness; nil
	// means the real clock.
	Clock rampart.Clock `json:"-"`
}

// MarshalJSON implements [json.Marshaler].
func (c Config) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON implements [json.Unmarshaler].
func (c *Config) UnmarshalJSON(b []byte) error { return config.Unmarshal("fallback", b, c) }

// Policy replaces the result of a failed call. It is not generic: the type
// of its value is fixed by the constructor, and [rampart.Get] checks it
// against the call's result type. It is safe for concurrent use.
type Policy struct {
	cfg    Config
	source Source
	serve  func(ctx context.Context, err error, next rampart.Next) (served bool, age time.Duration, ferr error)
	// record is set for the last-good cache: it sees successful results.
	record func(ctx context.Context, next rampart.Next)
	cache  *lastGood
}

// Source says where a fallback's result came from.
type Source uint8

const (
	// SourceNone: the result is the call's own.
	SourceNone Source = iota
	// SourceValue: a static value ([Value]).
	SourceValue
	// SourceFunc: a function's result ([Func]).
	SourceFunc
	// SourceCache: the last good result for the caller's key ([LastGood]).
	SourceCache
)

// String returns "none", "value", "func" or "cache".
func (s Source) String() string {
	switch s {
	case SourceNone:
		return "none"
	case SourceValue:
		return "value"
	case SourceFunc:
		return "func"
	case SourceCache:
		return "cache"
	}
	return fmt.Sprintf("source(%d)", uint8(s))
}

// Value returns a fallback that replaces a failed call's result with v and
// its error with nil. Use it with [rampart.Get] for results of type T; with
// [rampart.Do] it simply turns the failure into success.
//
// Every call it serves gets the same v. When T is a slice, a map or a
// pointer, those callers share what it refers to: a caller that modifies
// the result changes it for every later one, and races with callers
// reading it at the same time. Treat the result as read-only, or, to give
// each caller its own copy, use [Func] with a function that builds one
// (for example returning slices.Clone(v) or maps.Clone(v)).
func Value[T any](v T, c Config) (*Policy, error) {
	boxed := any(v)
	p, err := newPolicy(c, SourceValue)
	if err != nil {
		return nil, err
	}
	p.serve = func(_ context.Context, _ error, next rampart.Next) (bool, time.Duration, error) {
		return true, 0, next.SetResult(boxed)
	}
	return p, nil
}

// Func returns a fallback that calls fn with the caller's context and the
// failure, and returns its result and error in place of the call's. fn
// runs in the caller's goroutine; a panic in it is not recovered.
func Func[T any](fn func(ctx context.Context, err error) (T, error), c Config) (*Policy, error) {
	if fn == nil {
		return nil, config.Errorf("fallback", "fn", "must not be nil")
	}
	p, err := newPolicy(c, SourceFunc)
	if err != nil {
		return nil, err
	}
	p.serve = func(ctx context.Context, cause error, next rampart.Next) (bool, time.Duration, error) {
		v, ferr := fn(ctx, cause)
		if serr := next.SetResult(v); serr != nil {
			return true, 0, serr
		}
		return true, 0, ferr
	}
	return p, nil
}

func newPolicy(c Config, src Source) (*Policy, error) {
	if c.Name == "" {
		c.Name = "fallback"
	}
	// A copy, so the caller's slice can change without racing calls.
	c.Observers = append([]rampart.Observer(nil), c.Observers...)
	return &Policy{cfg: c, source: src}, nil
}

// Name returns the policy's name.
func (p *Policy) Name() string { return p.cfg.Name }

// Do runs fn with the fallback; see [rampart.Do].
func (p *Policy) Do(ctx context.Context, fn func(context.Context) error) error {
	return rampart.Do(ctx, p, fn)
}

// Execute implements [rampart.Policy].
func (p *Policy) Execute(ctx context.Context, next rampart.Next) error {
	err := next.Run(ctx)
	if err == nil {
		if p.record != nil {
			p.record(ctx, next)
		}
		return nil
	}
	if !p.handles(ctx, err) {
		return err
	}
	served, age, ferr := p.serve(ctx, err, next)
	if !served {
		return err
	}
	if rep, ok := ctx.Value(reportKey{}).(*Report); ok {
		// Through Publish, not a plain write: inside an attempt that an
		// abandoning timeout left behind, the caller has returned and may
		// be reading its report.
		rampart.Publish(next, rep, Report{Used: true, Policy: p.cfg.Name, Source: p.source, Cause: err, Age: age})
	}
	if len(p.cfg.Observers) != 0 {
		rampart.Emit(p.cfg.Observers, rampart.Event{
			Kind: rampart.EventFallbackUsed, Policy: p.cfg.Name, Time: rampart.Now(p.cfg.Clock),
			Reason: p.source.String(), Err: err, Delay: age,
		})
	}
	if ferr != nil {
		return &Error{Policy: p.cfg.Name, Cause: err, Err: ferr}
	}
	return nil
}

func (p *Policy) handles(ctx context.Context, err error) bool {
	if p.cfg.Handle != nil {
		return p.cfg.Handle(ctx, err)
	}
	return rampart.ClassifyWith(p.cfg.Classifier, ctx, err) == rampart.Failure
}

// Error is returned when a fallback ran but could not stand in for the
// call: its function failed, or its value's type is not the call's result
// type. It unwraps to both the fallback's error and the call's failure.
type Error struct {
	Policy string // the fallback's name
	Cause  error  // the call's failure
	Err    error  // the fallback's own error
}

// Error names the fallback, its error and the failure it was standing in for.
func (e *Error) Error() string {
	return "fallback: " + e.Policy + ": " + e.Err.Error() + " (after: " + e.Cause.Error() + ")"
}

// Unwrap returns the fallback's error and the call's failure.
func (e *Error) Unwrap() []error { return []error{e.Err, e.Cause} }
