package timeout_test

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/testutil"
	"github.com/rampart-go/rampart/timeout"
)

// Regression: when Err was the first to notice that the caller had
// cancelled, it ended the timeout's context without cancelling the contexts
// derived from it, and nothing cancelled them afterwards: a downstream call
// under context.WithCancel(ctx) ran to its end.
func TestDerivedContextCancelledWhenErrNoticesCallerFirst(t *testing.T) {
	setups := []struct {
		name  string
		chain func(clock rampart.Clock) rampart.Policy
		clock bool
	}{
		{"timeout", func(c rampart.Clock) rampart.Policy {
			return newPolicy(t, timeout.Config{Timeout: 50 * time.Millisecond, Clock: c})
		}, false},
		{"timeout/manual-clock", func(c rampart.Clock) rampart.Policy {
			return newPolicy(t, timeout.Config{Timeout: 50 * time.Millisecond, Clock: c})
		}, true},
		{"overall+attempt", func(c rampart.Clock) rampart.Policy {
			return rampart.Pipeline(
				newPolicy(t, timeout.Config{Timeout: time.Second, Clock: c}),
				newPolicy(t, timeout.Config{Timeout: 50 * time.Millisecond, Clock: c}))
		}, false},
		{"overall+attempt/manual-clock", func(c rampart.Clock) rampart.Policy {
			return rampart.Pipeline(
				newPolicy(t, timeout.Config{Timeout: time.Second, Clock: c}),
				newPolicy(t, timeout.Config{Timeout: 50 * time.Millisecond, Clock: c}))
		}, true},
	}
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var clock rampart.Clock
				if s.clock {
					clock = rampart.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
				}
				p := s.chain(clock)
				for i := range 20 {
					caller, cancel := context.WithCancel(context.Background())
					start := time.Now()
					err := rampart.Do(caller, p, func(ctx context.Context) error {
						child, stop := context.WithCancel(ctx)
						defer stop()
						downstream := make(chan error, 1)
						go func() {
							select {
							case <-child.Done():
								downstream <- child.Err()
							case <-time.After(2 * time.Second):
								downstream <- errors.New("downstream ran its full 2s")
							}
						}()
						time.Sleep(5 * time.Millisecond)
						cancel()
						if ctx.Err() == nil { // Err is the first to look
							t.Error("ctx.Err() = nil after the caller cancelled")
						}
						return <-downstream
					})
					if !errors.Is(err, context.Canceled) || time.Since(start) != 5*time.Millisecond {
						t.Fatalf("call %d: err = %v after %v, want Canceled after 5ms", i, err, time.Since(start))
					}
				}
			})
		})
	}
}

// Regression: a Timeout near math.MaxInt64 overflowed: Deadline returned a
// time in 1734 while Err was nil, so a net.Dialer under it failed at once.
func TestHugeTimeoutSaturates(t *testing.T) {
	check := func(t *testing.T, clock rampart.Clock, parent context.Context) {
		now := rampart.Now(clock)
		for _, d := range []time.Duration{math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64 / 2, 200 * 365 * 24 * time.Hour} {
			for _, mode := range []timeout.Mode{timeout.Cooperative, timeout.Abandon} {
				p := newPolicy(t, timeout.Config{Timeout: d, Mode: mode, Clock: clock})
				err := p.Do(parent, func(ctx context.Context) error {
					dl, ok := ctx.Deadline()
					if !ok || dl.Before(now.Add(100*365*24*time.Hour)) {
						t.Errorf("Timeout %v: deadline %v, %v: want over a century ahead", d, dl, ok)
					}
					if ctx.Err() != nil {
						t.Errorf("Timeout %v: Err = %v", d, ctx.Err())
					}
					select {
					case <-ctx.Done():
						t.Errorf("Timeout %v: done at once: %v", d, ctx.Err())
					default:
					}
					return errors.New("failed")
				})
				if errors.Is(err, timeout.ErrTimeout) {
					t.Errorf("Timeout %v: %v", d, err)
				}
			}
		}
	}
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	t.Run("real-clock", func(t *testing.T) {
		check(t, nil, context.Background())
		check(t, nil, cancellable)
	})
	t.Run("synctest", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			check(t, nil, context.Background())
			c, cancel := context.WithCancel(context.Background())
			defer cancel()
			check(t, nil, c)
		})
	})
	t.Run("manual-clock", func(t *testing.T) {
		check(t, rampart.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), context.Background())
		check(t, rampart.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), cancellable)
	})
}

// Regression: whether a call that returned an error after its deadline was
// reported as a timeout depended on whether the timeout's timer had run
// before the function's own deadline (a socket's) returned: about half of
// such calls came back as the raw error, with no ErrTimeout and no event.
func TestTimedOutCallReportedWhicheverTimerRunsFirst(t *testing.T) {
	for _, mode := range []timeout.Mode{timeout.Cooperative, timeout.Abandon} {
		t.Run(mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var rec testutil.Recorder
				p := newPolicy(t, timeout.Config{Timeout: 100 * time.Millisecond, Mode: mode,
					Observers: []rampart.Observer{&rec}})
				const calls = 200
				for i := range calls {
					err := p.Do(context.Background(), func(ctx context.Context) error {
						_ = ctx.Done() // the timer is armed
						select {
						case <-ctx.Done():
							return ctx.Err()
						case <-time.After(100 * time.Millisecond): // the socket's deadline, due with the timer
							return os.ErrDeadlineExceeded
						}
					})
					if !errors.Is(err, timeout.ErrTimeout) {
						t.Fatalf("call %d: err = %v, want ErrTimeout", i, err)
					}
				}
				if n := len(rec.Of(rampart.EventTimeout)); n != calls {
					t.Fatalf("%d timeout events for %d timed-out calls", n, calls)
				}
			})
		})
	}
}

// The deadline passing while nothing watched is judged the same way.
func TestTimedOutUnwatchedCallReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		caller, cancel := context.WithCancel(context.Background())
		defer cancel()
		for _, parent := range []context.Context{context.Background(), caller} {
			p := newPolicy(t, timeout.Config{Timeout: 100 * time.Millisecond})
			err := p.Do(parent, func(ctx context.Context) error {
				time.Sleep(100 * time.Millisecond)
				return os.ErrDeadlineExceeded
			})
			if !errors.Is(err, timeout.ErrTimeout) {
				t.Fatalf("err = %v, want ErrTimeout", err)
			}
			err = p.Do(parent, func(ctx context.Context) error {
				time.Sleep(99 * time.Millisecond)
				return os.ErrDeadlineExceeded
			})
			if errors.Is(err, timeout.ErrTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("before the deadline: err = %v, want the raw error", err)
			}
		}
	})
}

// A panic raised by an abandoned function after its call returned is, by
// default, not hidden: it crashes the program, as it would without the
// timeout. The test runs that in a child process.
func TestAbandonLatePanicCrashesByDefault(t *testing.T) {
	if os.Getenv("RAMPART_TIMEOUT_LATE_PANIC") == "1" {
		p := newPolicy(t, timeout.Config{Timeout: time.Nanosecond, Mode: timeout.Abandon})
		release := make(chan struct{})
		err := p.Do(context.Background(), func(context.Context) error {
			<-release
			panic("late panic from the abandoned function")
		})
		if !errors.Is(err, timeout.ErrTimeout) {
			t.Fatalf("err = %v", err)
		}
		close(release)
		select {} // the panic ends the process; a swallowed one hits the test timeout
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAbandonLatePanicCrashesByDefault$", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), "RAMPART_TIMEOUT_LATE_PANIC=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("child exited with %v, want a crash; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "panic: late panic from the abandoned function") ||
		strings.Contains(string(out), "test timed out") {
		t.Fatalf("the late panic did not crash the child; output:\n%s", out)
	}
}

func TestReportLatePanicsNeedsObserver(t *testing.T) {
	_, err := timeout.New(timeout.Config{Timeout: time.Second, Mode: timeout.Abandon, ReportLatePanics: true})
	var ce *rampart.ConfigError
	if !errors.As(err, &ce) || ce.Field != "ReportLatePanics" {
		t.Fatalf("err = %v, want a ConfigError on ReportLatePanics", err)
	}
}

// New copies the Observers slice: the caller may reuse its array.
func TestNewCopiesObservers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mine, other testutil.Recorder
		observers := []rampart.Observer{&mine}
		p := newPolicy(t, timeout.Config{Timeout: time.Millisecond, Observers: observers})
		observers[0] = &other
		_ = p.Do(context.Background(), func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		if len(mine.Events()) != 1 || len(other.Events()) != 0 {
			t.Fatalf("events: configured observer %d, later slice element %d", len(mine.Events()), len(other.Events()))
		}
	})
}
