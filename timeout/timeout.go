package timeout

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

// ErrTimeout matches, with [errors.Is], every error returned because this
// package's deadline passed.
var ErrTimeout = errors.New("timeout: deadline exceeded")

// Mode says what a timeout does when its deadline passes.
type Mode uint8

const (
	// Cooperative, the default, cancels the call's context at the deadline
	// and waits for the function to return. It costs no goroutine; it can
	// return no sooner than the function does, so the function must watch
	// its context.
	Cooperative Mode = iota
	// Abandon runs the function in a goroutine of its own and returns at
	// the deadline whether or not the function has returned. The function's
	// context is cancelled too; its late result is discarded. It costs a
	// goroutine, a channel and a separate result slot per call, and the
	// goroutine outlives the call until the function returns.
	Abandon
)

// String returns "cooperative" or "abandon".
func (m Mode) String() string {
	switch m {
	case Cooperative:
		return "cooperative"
	case Abandon:
		return "abandon"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// MarshalText implements [encoding.TextMarshaler].
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (m *Mode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "", "cooperative":
		*m = Cooperative
	case "abandon":
		*m = Abandon
	default:
		return fmt.Errorf("timeout: unknown mode %q (want \"cooperative\" or \"abandon\")", b)
	}
	return nil
}

// Config configures a timeout. The zero value of each field but Timeout
// means its default.
type Config struct {
	// Name identifies the policy in events, metrics and logs.
	// Default "timeout".
	Name string `json:"name,omitempty"`
	// Timeout is the longest a call may run. Required, > 0.
	Timeout time.Duration `json:"timeout"`
	// Mode is Cooperative (default) or Abandon.
	Mode Mode `json:"mode,omitempty"`
	// Clock is the time source; nil means the real clock.
	Clock rampart.Clock `json:"-"`
	// ReportLatePanics, in Abandon mode, turns a panic that the function
	// raises after its call was abandoned into an EventPanic for the
	// Observers. By default such a panic is raised again in the goroutine
	// that ran the function, where nothing recovers it: the program
	// crashes, as it would have without the timeout, rather than lose the
	// panic. Setting it requires at least one observer.
	ReportLatePanics bool `json:"report_late_panics,omitempty"`
	// Observers receive EventTimeout, and EventPanic for a late panic when
	// ReportLatePanics is set. New copies the slice.
	Observers []rampart.Observer `json:"-"`
}

// MarshalJSON writes the config with the duration as a string ("250ms").
func (c Config) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads the config; the duration may be a string ("250ms").
func (c *Config) UnmarshalJSON(b []byte) error { return config.Unmarshal("timeout", b, c) }

// Policy bounds the duration of a call. It is safe for concurrent use.
type Policy struct {
	name             string
	d                time.Duration
	mode             Mode
	reportLatePanics bool
	clock            rampart.Clock
	observers        []rampart.Observer
}

// New returns a timeout policy, or an error naming the first invalid field.
func New(c Config) (*Policy, error) {
	if c.Timeout <= 0 {
		return nil, config.Errorf("timeout", "Timeout", "must be > 0, got %v", c.Timeout)
	}
	if c.Mode > Abandon {
		return nil, config.Errorf("timeout", "Mode", "must be Cooperative or Abandon, got %v", c.Mode)
	}
	if c.ReportLatePanics && len(c.Observers) == 0 {
		return nil, config.Errorf("timeout", "ReportLatePanics", "needs at least one observer to report to")
	}
	if c.Name == "" {
		c.Name = "timeout"
	}
	return &Policy{
		name: c.Name, d: c.Timeout, mode: c.Mode, reportLatePanics: c.ReportLatePanics,
		clock: c.Clock, observers: append([]rampart.Observer(nil), c.Observers...),
	}, nil
}

// Name returns the policy's name.
func (p *Policy) Name() string { return p.name }

// Timeout returns the configured duration.
func (p *Policy) Timeout() time.Duration { return p.d }

// Do runs fn with a deadline; see [rampart.Do].
func (p *Policy) Do(ctx context.Context, fn func(context.Context) error) error {
	return rampart.Do(ctx, p, fn)
}

// Error is returned when a timeout fires before the call returns. It
// matches [ErrTimeout] and unwraps to the function's own error if it
// returned one (typically [context.DeadlineExceeded]), else to
// [context.DeadlineExceeded].
type Error struct {
	Policy  string        // the policy's name
	Timeout time.Duration // the configured timeout
	Err     error         // what the function returned; nil if it was abandoned
}

// Error returns "timeout: call exceeded <Timeout>", with the call's own
// error when it is not the deadline's.
func (e *Error) Error() string {
	s := "timeout: "
	if e.Policy != "" && e.Policy != "timeout" {
		s += e.Policy + ": "
	}
	s += "call exceeded " + e.Timeout.String()
	if e.Err != nil && !errors.Is(e.Err, context.DeadlineExceeded) {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is [ErrTimeout].
func (e *Error) Is(target error) bool { return target == ErrTimeout }

// Unwrap returns the function's error, or [context.DeadlineExceeded].
func (e *Error) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return context.DeadlineExceeded
}

// Execute implements [rampart.Policy].
func (p *Policy) Execute(ctx context.Context, next rampart.Next) error {
	if p.mode == Abandon {
		return p.abandon(ctx, next)
	}
	dl := newDeadline(ctx, p.clock, p.d)
	ended := false
	defer func() {
		if !ended { // the function panicked: free the timer on the way out
			dl.end(nil)
		}
	}()
	err := next.Run(dl.ctx)
	timedOut := dl.end(err)
	ended = true
	if err == nil {
		// The function finished its work; a deadline that passed while it
		// was returning does not undo that.
		return nil
	}
	return p.judge(ctx, timedOut, err)
}

// judge turns err, returned by a call that timed out or not, into what the
// caller sees.
func (p *Policy) judge(ctx context.Context, timedOut bool, err error) error {
	if !timedOut {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		// Both deadlines passed; the caller's is the one to report.
		if errors.Is(err, cerr) {
			return err
		}
		return cerr
	}
	p.emitTimeout(err)
	return &Error{Policy: p.name, Timeout: p.d, Err: err}
}

func (p *Policy) emitTimeout(err error) {
	if len(p.observers) == 0 {
		return
	}
	rampart.Emit(p.observers, rampart.Event{
		Kind: rampart.EventTimeout, Policy: p.name, Time: rampart.Now(p.clock),
		Delay: p.d, Err: err,
	})
}

type outcome struct {
	err      error
	panicked bool
	value    any
	stack    []byte
}

// States of an abandon-mode call, decided once by compare-and-swap between
// the caller and the goroutine running the function.
const (
	running int32 = iota
	finished
	abandoned
)

func (p *Policy) abandon(ctx context.Context, next rampart.Next) error {
	dl := newDeadline(ctx, p.clock, p.d)
	attempt := next.Fork()
	done := make(chan outcome, 1)
	var state atomic.Int32
	go func() {
		// This goroutine outlives the call when the call is abandoned; it
		// ends when the function returns.
		var o outcome
		ok := false
		defer func() {
			if !ok {
				o.panicked = true
				o.value = recover()
				o.stack = debug.Stack()
			}
			if state.CompareAndSwap(running, finished) {
				done <- o
				return
			}
			dl.end(nil)
			if o.panicked {
				p.latePanic(o)
			}
		}()
		o.err = attempt.Run(dl.ctx)
		ok = true
	}()
	select {
	case o := <-done:
		return p.finish(ctx, &dl, next, attempt, o)
	case <-dl.ctx.Done():
		if !state.CompareAndSwap(running, abandoned) {
			// The function finished at the deadline: take its result.
			return p.finish(ctx, &dl, next, attempt, <-done)
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		// The context ended and the caller's did not: the deadline passed.
		p.emitTimeout(nil)
		return &Error{Policy: p.name, Timeout: p.d}
	}
}

// latePanic deals with a panic raised by an abandoned function, in the
// goroutine that ran it, after the caller has left: reported to the
// observers if the config says so, else raised again, unrecovered.
func (p *Policy) latePanic(o outcome) {
	if !p.reportLatePanics {
		panic(o.value)
	}
	rampart.Emit(p.observers, rampart.Event{
		Kind: rampart.EventPanic, Policy: p.name, Time: rampart.Now(p.clock),
		Err: fmt.Errorf("%w after the call was abandoned: %v\n%s", rampart.ErrPanic, o.value, o.stack),
	})
}

func (p *Policy) finish(ctx context.Context, dl *deadline, next, attempt rampart.Next, o outcome) error {
	timedOut := dl.end(o.err)
	if o.panicked {
		panic(o.value)
	}
	next.Adopt(attempt)
	if o.err == nil {
		return nil
	}
	return p.judge(ctx, timedOut, o.err)
}
