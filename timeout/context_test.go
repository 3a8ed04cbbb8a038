package timeout_test

// The timeout's context against the cases of the standard library's own
// context tests (src/context/x_test.go, afterfunc_test.go) that apply to a
// context with a deadline, rewritten to run on the context a timeout gives
// its function, in each of the shapes it takes.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/timeout"
)

var errReturned = errors.New("the function returned")

// held is a call in progress under a timeout: ctx is the function's context;
// end makes the function return err and gives what the call returned.
type held struct {
	ctx context.Context
	end func(err error) error
}

func hold(p *timeout.Policy, parent context.Context) held {
	ctxc := make(chan context.Context)
	ret := make(chan error)
	res := make(chan error, 1)
	go func() {
		res <- p.Do(parent, func(ctx context.Context) error { ctxc <- ctx; return <-ret })
	}()
	ctx := <-ctxc
	var once sync.Once
	var out error
	return held{ctx: ctx, end: func(err error) error {
		once.Do(func() { ret <- err; out = <-res })
		return out
	}}
}

// shape is one way a timeout's context is made: by its parent and clock.
type shape struct {
	name string
	// make returns the timeout's context with deadline d, a cancel for the
	// parent (nil if the parent cannot be cancelled) and a cleanup.
	make func(t *testing.T, d time.Duration) (ctx context.Context, cancelParent context.CancelCauseFunc, end func(error) error, cleanup func())
	// async is set when derived contexts learn of the end through a
	// goroutine, as for any context package context does not know.
	async bool
}

func shapes() []shape {
	simple := func(parent func() (context.Context, context.CancelCauseFunc), clock func() rampart.Clock) func(t *testing.T, d time.Duration) (context.Context, context.CancelCauseFunc, func(error) error, func()) {
		return func(t *testing.T, d time.Duration) (context.Context, context.CancelCauseFunc, func(error) error, func()) {
			pctx, cancel := parent()
			h := hold(newPolicy(t, timeout.Config{Timeout: d, Clock: clock()}), pctx)
			return h.ctx, cancel, h.end, func() {
				h.end(errReturned)
				if cancel != nil {
					cancel(nil)
				}
			}
		}
	}
	background := func() (context.Context, context.CancelCauseFunc) { return context.Background(), nil }
	cancellable := func() (context.Context, context.CancelCauseFunc) {
		return context.WithCancelCause(context.Background())
	}
	withoutCancel := func() (context.Context, context.CancelCauseFunc) {
		c, cancel := context.WithCancelCause(context.WithValue(context.Background(), keyA{}, "a"))
		cancel(nil)
		return context.WithoutCancel(c), nil
	}
	realClock := func() rampart.Clock { return nil }
	return []shape{
		{name: "parent=background", make: simple(background, realClock)},
		{name: "parent=cancellable", make: simple(cancellable, realClock)},
		{name: "parent=without-cancel", make: simple(withoutCancel, realClock)},
		{name: "parent=enclosing-timeout", make: func(t *testing.T, d time.Duration) (context.Context, context.CancelCauseFunc, func(error) error, func()) {
			outer := hold(newPolicy(t, timeout.Config{Timeout: time.Hour}), context.Background())
			inner := hold(newPolicy(t, timeout.Config{Timeout: d}), outer.ctx)
			return inner.ctx, func(error) { outer.end(errReturned) }, inner.end, func() {
				inner.end(errReturned)
				outer.end(errReturned)
			}
		}},
		{name: "parent=value-over-enclosing-timeout", make: func(t *testing.T, d time.Duration) (context.Context, context.CancelCauseFunc, func(error) error, func()) {
			// As a retry's later attempts see it (rampart.WithAttempt).
			outer := hold(newPolicy(t, timeout.Config{Timeout: time.Hour}), context.Background())
			inner := hold(newPolicy(t, timeout.Config{Timeout: d}), context.WithValue(outer.ctx, keyA{}, "attempt"))
			return inner.ctx, func(error) { outer.end(errReturned) }, inner.end, func() {
				inner.end(errReturned)
				outer.end(errReturned)
			}
		}},
		{name: "clock=system-clock-value", async: true, make: simple(cancellable, func() rampart.Clock { return rampart.SystemClock() })},
	}
}

type keyA struct{}

// forShapes runs test for every shape inside a synctest bubble and, when
// realClock is set, on the real clock too.
func forShapes(t *testing.T, realClock bool, test func(t *testing.T, s shape)) {
	for _, s := range shapes() {
		t.Run(s.name+"/synctest", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { test(t, s) })
		})
		if realClock {
			t.Run(s.name+"/real-clock", func(t *testing.T) { test(t, s) })
		}
	}
}

// awaitDone waits, bounded, for ch to close: on the real clock a short
// deadline is awaited this way, never slept through.
func awaitDone(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	bound := time.NewTimer(10 * time.Second)
	defer bound.Stop()
	select {
	case <-ch:
	case <-bound.C:
		t.Fatalf("%s: not done after 10s", what)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// settle lets callbacks that run in goroutines finish: in a bubble,
// synctest.Wait; on the real clock, nothing (callers await channels).
func settle(t *testing.T) {
	if inBubble(t) {
		synctest.Wait()
	}
}

func inBubble(t *testing.T) bool {
	// testing/synctest names its bubbled tests' goroutines; the cheap test
	// is whether time.Now is in the bubble's year 2000 epoch.
	return time.Now().Year() < 2001
}

func TestContextDeadline(t *testing.T) {
	forShapes(t, true, func(t *testing.T, s shape) {
		start := time.Now()
		ctx, _, _, cleanup := s.make(t, time.Minute)
		defer cleanup()
		dl, ok := ctx.Deadline()
		if !ok || dl.Before(start.Add(time.Minute)) || dl.After(time.Now().Add(time.Minute)) {
			t.Fatalf("Deadline() = %v, %v; want start + 1m", dl, ok)
		}
		if ctx.Err() != nil || isClosed(ctx.Done()) {
			t.Fatalf("fresh context done: %v", ctx.Err())
		}
		// A parent deadline earlier than the timeout's is the one reported.
		parent, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		h := hold(newPolicy(t, timeout.Config{Timeout: time.Minute}), parent)
		defer h.end(errReturned)
		pd, _ := parent.Deadline()
		if dl, _ := h.ctx.Deadline(); !dl.Equal(pd) {
			t.Fatalf("Deadline() = %v, want the parent's %v", dl, pd)
		}
	})
}

// TestDeadline and testDeadline of package context: the context times out,
// Done closes and Err is DeadlineExceeded, as is Cause.
func TestContextTimesOut(t *testing.T) {
	forShapes(t, true, func(t *testing.T, s shape) {
		for _, d := range []time.Duration{time.Millisecond, time.Nanosecond} {
			ctx, _, _, cleanup := s.make(t, d)
			awaitDone(t, "ctx", ctx.Done())
			if err := ctx.Err(); err != context.DeadlineExceeded {
				t.Fatalf("Err() = %v, want DeadlineExceeded", err)
			}
			if c := context.Cause(ctx); c != context.DeadlineExceeded {
				t.Fatalf("Cause() = %v, want DeadlineExceeded", c)
			}
			cleanup()
		}
		// Unwatched: Err alone notices the deadline.
		ctx, _, _, cleanup := s.make(t, time.Millisecond)
		defer cleanup()
		wait, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
		defer cancel()
		<-wait.Done()
		if !inBubble(t) {
			// On the real clock context.WithDeadline's timer may run late;
			// in a bubble it runs at the deadline, exactly.
			awaitDone(t, "ctx", ctx.Done())
		}
		if err := ctx.Err(); err != context.DeadlineExceeded {
			t.Fatalf("unwatched Err() = %v, want DeadlineExceeded", err)
		}
		if !isClosed(ctx.Done()) {
			t.Fatal("Err is DeadlineExceeded but Done is open")
		}
	})
}

// TestWithCancel, TestCanceledTimeout, TestWithCancelCanceledParent, TestCause:
// derived contexts end with the timeout's context, synchronously, with its
// error and cause.
func TestContextEndsDerivedContexts(t *testing.T) {
	type derived struct {
		name string
		ctx  context.Context
	}
	derive := func(ctx context.Context) ([]derived, func()) {
		c1, cancel1 := context.WithCancel(ctx)
		c2, cancel2 := context.WithTimeout(ctx, time.Hour)
		c3, cancel3 := context.WithDeadline(ctx, time.Now().Add(time.Hour))
		c4, cancel4 := context.WithCancelCause(context.WithValue(ctx, keyA{}, "v"))
		c5, cancel5 := context.WithCancel(c1)
		return []derived{{"WithCancel", c1}, {"WithTimeout", c2}, {"WithDeadline", c3}, {"WithValue+WithCancelCause", c4}, {"WithCancel(WithCancel)", c5}},
			func() { cancel1(); cancel2(); cancel3(); cancel4(nil); cancel5() }
	}
	// await is set when the end came from a timer's goroutine on the real
	// clock: package context closes Done before it cancels children.
	check := func(t *testing.T, s shape, kids []derived, want, wantCause error, await bool) {
		t.Helper()
		for _, k := range kids {
			if s.async || await {
				awaitDone(t, k.name, k.ctx.Done())
			} else if !isClosed(k.ctx.Done()) {
				t.Errorf("%s: Done open after the end", k.name)
			}
			if err := k.ctx.Err(); err != want {
				t.Errorf("%s: Err() = %v, want %v", k.name, err, want)
			}
			if c := context.Cause(k.ctx); c != wantCause {
				t.Errorf("%s: Cause() = %v, want %v", k.name, c, wantCause)
			}
		}
	}
	forShapes(t, true, func(t *testing.T, s shape) {
		func() { // deadline
			ctx, _, _, cleanup := s.make(t, time.Millisecond)
			defer cleanup()
			kids, cancel := derive(ctx)
			defer cancel()
			awaitDone(t, "ctx", ctx.Done())
			settle(t)
			check(t, s, kids, context.DeadlineExceeded, context.DeadlineExceeded, !inBubble(t))
			// Derived once done: done at once (TestWithCancelCanceledParent).
			late, _ := derive(ctx)
			check(t, s, late, context.DeadlineExceeded, context.DeadlineExceeded, false)
		}()
		func() { // parent
			ctx, cancelParent, _, cleanup := s.make(t, time.Hour)
			defer cleanup()
			if cancelParent == nil {
				return // the parent cannot be cancelled
			}
			kids, cancel := derive(ctx)
			defer cancel()
			cause := errors.New("because")
			cancelParent(cause) // propagates synchronously
			if err := ctx.Err(); err != context.Canceled {
				t.Fatalf("Err() = %v, want Canceled", err)
			}
			wantCause := error(cause)
			if strings.Contains(s.name, "enclosing-timeout") {
				wantCause = context.Canceled // the enclosing call returned
			}
			if s.async {
				wantCause = context.Canceled // documented: the cause stays the parent's own
				awaitDone(t, "ctx", ctx.Done())
			} else {
				if !isClosed(ctx.Done()) {
					t.Fatal("Done open after the parent was cancelled")
				}
				if c := context.Cause(ctx); c != wantCause {
					t.Fatalf("Cause() = %v, want %v", c, wantCause)
				}
			}
			if !s.async {
				check(t, s, kids, context.Canceled, wantCause, false)
			} else {
				for _, k := range kids {
					awaitDone(t, k.name, k.ctx.Done())
				}
			}
		}()
		func() { // return
			ctx, _, end, cleanup := s.make(t, time.Hour)
			defer cleanup()
			kids, cancel := derive(ctx)
			defer cancel()
			if err := end(errReturned); err != errReturned {
				t.Fatalf("call returned %v", err)
			}
			settle(t)
			if ctx.Err() != context.Canceled || !isClosed(ctx.Done()) {
				t.Fatalf("after the call: Err() = %v", ctx.Err())
			}
			check(t, s, kids, context.Canceled, context.Canceled, false)
		}()
	})
}

// Shorter derived deadlines end only the derived context.
func TestContextShorterDerivedDeadline(t *testing.T) {
	forShapes(t, true, func(t *testing.T, s shape) {
		ctx, _, _, cleanup := s.make(t, time.Hour)
		defer cleanup()
		child, cancel := context.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		awaitDone(t, "child", child.Done())
		if child.Err() != context.DeadlineExceeded || ctx.Err() != nil {
			t.Fatalf("child %v, ctx %v", child.Err(), ctx.Err())
		}
	})
}

// TestAfterFuncCalledAfterCancel, …CalledAfterTimeout, …CalledImmediately,
// …NotCalledAfterStop of package context.
func TestContextAfterFunc(t *testing.T) {
	forShapes(t, true, func(t *testing.T, s shape) {
		ctx, _, _, cleanup := s.make(t, time.Millisecond)
		defer cleanup()
		called := make(chan struct{})
		stop := context.AfterFunc(ctx, func() { close(called) })
		long, _, _, cleanupLong := s.make(t, time.Hour)
		never := context.AfterFunc(long, func() { t.Error("stopped AfterFunc called") })
		if !never() {
			t.Fatal("stop before the end = false")
		}
		cleanupLong()
		awaitDone(t, "AfterFunc", called)
		if stop() {
			t.Fatal("stop after the call = true")
		}
		immediate := make(chan struct{})
		context.AfterFunc(ctx, func() { close(immediate) })
		awaitDone(t, "AfterFunc on a done context", immediate)
		settle(t)
	})
}

// TestWithoutCancel and TestValues: values pass through; WithoutCancel
// detaches.
func TestContextWithoutCancelAndValues(t *testing.T) {
	forShapes(t, true, func(t *testing.T, s shape) {
		ctx, _, _, cleanup := s.make(t, time.Millisecond)
		defer cleanup()
		vctx := context.WithValue(ctx, keyA{}, "v")
		wc := context.WithoutCancel(vctx)
		awaitDone(t, "ctx", ctx.Done())
		awaitDone(t, "WithValue", vctx.Done())
		if wc.Done() != nil || wc.Err() != nil || context.Cause(wc) != nil {
			t.Fatalf("WithoutCancel: Done %v, Err %v", wc.Done(), wc.Err())
		}
		if _, ok := wc.Deadline(); ok {
			t.Fatal("WithoutCancel has a deadline")
		}
		if wc.Value(keyA{}) != "v" || vctx.Value(keyA{}) != "v" {
			t.Fatal("value lost")
		}
	})
}

// TestContextErrDoneRace, TestSimultaneousCancels, TestInterlockedCancels:
// many goroutines ask Err and Done while the context ends; Done closed means
// Err is not nil and Err not nil means Done is closed.
func TestContextConcurrentErrDone(t *testing.T) {
	forShapes(t, true, func(t *testing.T, s shape) {
		for range 5 {
			ctx, _, _, cleanup := s.make(t, time.Millisecond)
			var wg sync.WaitGroup
			var kids []context.Context
			for i := range 16 {
				kid, cancel := context.WithCancel(ctx)
				defer cancel()
				kids = append(kids, kid)
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i%2 == 0 {
						<-ctx.Done()
						if ctx.Err() == nil {
							t.Error("Done closed, Err nil")
						}
						return
					}
					for {
						if err := ctx.Err(); err != nil {
							if !isClosed(ctx.Done()) {
								t.Error("Err not nil, Done open")
							}
							return
						}
						if inBubble(t) {
							time.Sleep(100 * time.Microsecond)
						} else {
							runtime.Gosched()
						}
					}
				}()
				if i%4 == 0 {
					go cancel() // cancels racing the deadline
				}
			}
			wg.Wait()
			for i, k := range kids {
				awaitDone(t, fmt.Sprint("child ", i), k.Done())
			}
			cleanup()
		}
	})
}

// testLayers of package context: random layers of values, cancels and
// timeouts over the timeout's context.
func TestContextLayers(t *testing.T) {
	forShapes(t, false, func(t *testing.T, s shape) {
		ctx, _, _, cleanup := s.make(t, 10*time.Millisecond)
		defer cleanup()
		type value int
		var vals []*value
		top := ctx
		for i := range 30 {
			switch i % 3 {
			case 0:
				v := new(value)
				top = context.WithValue(top, v, v)
				vals = append(vals, v)
			case 1:
				var cancel context.CancelFunc
				top, cancel = context.WithCancel(top)
				defer cancel()
			case 2:
				var cancel context.CancelFunc
				top, cancel = context.WithTimeout(top, time.Hour)
				defer cancel()
			}
		}
		awaitDone(t, "top", top.Done())
		if top.Err() != context.DeadlineExceeded {
			t.Fatalf("top Err() = %v", top.Err())
		}
		for _, v := range vals {
			if top.Value(v) != v {
				t.Fatal("value lost")
			}
		}
	})
}

// The documented limit of laziness: a call that succeeds after its deadline
// passed unwatched does not read the clock, and its context ends with
// Canceled, as if the call had returned first.
func TestContextAfterUnwatchedSuccessIsCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPolicy(t, timeout.Config{Timeout: time.Millisecond})
		var leaked context.Context
		if err := p.Do(context.Background(), func(ctx context.Context) error {
			leaked = ctx
			time.Sleep(2 * time.Millisecond)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if leaked.Err() != context.Canceled || !isClosed(leaked.Done()) {
			t.Fatalf("after the call: %v", leaked.Err())
		}
	})
}
