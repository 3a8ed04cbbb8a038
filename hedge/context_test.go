package hedge_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart/hedge"
)

// A step done to a first attempt's context, or to the child of package
// context that stands for it, recording what it sees.
type ctxStep int

const (
	stepDone         ctxStep = iota // ask for Done: open or closed, and the same channel as before
	stepErr                         // read Err
	stepCause                       // read context.Cause
	stepCancelParent                // cancel the caller's context, with a cause
)

func (s ctxStep) String() string {
	return [...]string{"Done", "Err", "Cause", "CancelParent"}[s]
}

// observe runs steps on ctx, which cancelParent's parent is an ancestor
// of, and returns what they saw. done is the channel Done returned first,
// if any.
func observe(ctx context.Context, cancelParent context.CancelCauseFunc, steps []ctxStep, done *<-chan struct{}) []string {
	var seen []string
	for _, s := range steps {
		switch s {
		case stepDone:
			d := ctx.Done()
			state := "open"
			select {
			case <-d:
				state = "closed"
			default:
			}
			same := *done == nil || *done == d
			if *done == nil {
				*done = d
			}
			seen = append(seen, fmt.Sprintf("Done %s same=%v", state, same))
		case stepErr:
			err := ctx.Err()
			seen = append(seen, fmt.Sprintf("Err %v", err))
			if errWithoutDone(ctx) {
				seen = append(seen, "Err not nil with Done open")
			}
		case stepCause:
			seen = append(seen, fmt.Sprintf("Cause %v", context.Cause(ctx)))
		case stepCancelParent:
			cancelParent(errBoom)
		}
	}
	return seen
}

// The first attempt's context is a context.Context of its own: it must
// behave as package context's child of the caller's context does, the end
// of the call standing for the child's cancel. Each case runs steps before
// the end of the call (in the attempt) and after it, on both, under a
// caller's context that is cancellable or already past its deadline, on
// the shared timer and in a bubble, and compares what they saw.
func TestFirstAttemptContextBehavesAsPackageContext(t *testing.T) {
	D, E, C, X := stepDone, stepErr, stepCause, stepCancelParent
	cases := []struct{ during, after []ctxStep }{
		{nil, []ctxStep{E, D, E, C}},             // never asked during the call
		{nil, []ctxStep{D, E}},                   // ... and Done asked before Err after it
		{[]ctxStep{E, D, E}, []ctxStep{D, E, C}}, // asked, ended by the call's end
		// The caller cancels after the end: Err stays. (Cause is not
		// compared: it finds the caller's cause through Value, as for every
		// Context that package context did not make.)
		{[]ctxStep{D, D, E}, []ctxStep{X, E, D}},
		{[]ctxStep{X, E, D, C}, []ctxStep{D, E, C}}, // the caller cancels before Done is asked
		{[]ctxStep{D, X, E, D, C}, []ctxStep{E, C}}, // the caller cancels while the attempt waits
		{[]ctxStep{D, X}, []ctxStep{E, D, C}},       // ... and Err is first read after the end
		{[]ctxStep{X}, []ctxStep{D, E, C}},          // cancelled before the end, all read after
	}
	type parent struct {
		name string
		make func() (context.Context, context.CancelCauseFunc)
	}
	var deadline time.Time // set by check, in or out of a bubble
	parents := []parent{
		{"cancellable", func() (context.Context, context.CancelCauseFunc) {
			return context.WithCancelCause(context.WithValue(context.Background(), ctxKey{}, "v"))
		}},
		{"past deadline", func() (context.Context, context.CancelCauseFunc) {
			ctx, cancel := context.WithCancelCause(context.WithValue(context.Background(), ctxKey{}, "v"))
			ctx, stop := context.WithDeadline(ctx, deadline)
			_ = stop // released by cancel, its parent's
			return ctx, cancel
		}},
	}
	check := func(t *testing.T, p *hedge.Policy) {
		deadline = time.Now().Add(-time.Second)
		for _, pa := range parents {
			for i, tc := range cases {
				// Package context's child of the caller's context.
				parentCtx, cancelParent := pa.make()
				child, cancel := context.WithCancel(parentCtx)
				var stdDone <-chan struct{}
				want := observe(child, cancelParent, tc.during, &stdDone)
				cancel()
				want = append(want, "end")
				want = append(want, observe(child, cancelParent, tc.after, &stdDone)...)
				wantDeadline, wantOK := child.Deadline()
				cancelParent(nil)

				// The first attempt's context.
				parentCtx, cancelParent = pa.make()
				var kept context.Context
				var done <-chan struct{}
				var got []string
				_ = p.Do(parentCtx, func(ctx context.Context) error {
					kept = ctx
					got = observe(ctx, cancelParent, tc.during, &done)
					return nil
				})
				got = append(got, "end")
				got = append(got, observe(kept, cancelParent, tc.after, &done)...)
				if !slices.Equal(got, want) {
					t.Errorf("%s, case %d (%v then %v):\n got  %q\n want %q", pa.name, i, tc.during, tc.after, got, want)
				}
				if d, ok := kept.Deadline(); d != wantDeadline || ok != wantOK {
					t.Errorf("%s: Deadline %v %v, want %v %v", pa.name, d, ok, wantDeadline, wantOK)
				}
				if v := kept.Value(ctxKey{}); v != "v" {
					t.Errorf("%s: Value %v, want the caller's", pa.name, v)
				}
				cancelParent(nil)
			}
		}
	}
	t.Run("shared timer", func(t *testing.T) { check(t, mustNew(t, hedge.Config{Delay: time.Hour})) })
	t.Run("bubble", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) { check(t, mustNew(t, hedge.Config{Delay: time.Hour})) })
	})
}

type ctxKey struct{}

// Under -race: goroutines that the first attempt leaves behind ask for
// Done and read Err while the call ends and the caller cancels, each
// racing the others. Every one of them sees one Done channel, closed
// whenever Err is not nil, and one Err once it is not nil; the Err is
// the caller's error or Canceled; and no call is left in the policy's
// timer queue (see TestQueueHoldsNoCallThatEnded).
func TestFirstAttemptContextUnderRacingCancellation(t *testing.T) {
	run := func(t *testing.T, p *hedge.Policy, calls int) {
		var wg sync.WaitGroup
		for i := range calls {
			parent, cancelParent := context.WithCancelCause(context.Background())
			ended := make(chan struct{})
			_ = p.Do(parent, func(ctx context.Context) error {
				for g := range 3 {
					wg.Go(func() {
						var done <-chan struct{}
						var first error
						for range 4 {
							if g == 1 || done != nil { // one asks for Done first, the others read Err first
								if d := ctx.Done(); done == nil {
									done = d
								} else if d != done {
									t.Error("Done returned another channel")
								}
							}
							err := ctx.Err()
							if err != nil {
								select {
								case <-ctx.Done():
								default:
									t.Error("Err not nil with Done open")
								}
								if first == nil {
									first = err
								} else if err != first {
									t.Errorf("Err %v after %v", err, first)
								}
								if err != context.Canceled && !errors.Is(err, context.Canceled) {
									t.Errorf("Err %v", err)
								}
							}
							if g == 1 {
								runtime.Gosched()
							}
							done = ctx.Done()
						}
						<-ended
						if g == 2 { // may ask for Done the first time now
							select {
							case <-ctx.Done():
							default:
								t.Error("Done open after the call ended")
							}
						}
					})
				}
				if i%3 == 0 {
					wg.Go(func() { cancelParent(errBoom) })
				}
				if i%2 == 0 {
					runtime.Gosched()
				}
				return nil
			})
			close(ended)
			cancelParent(nil)
		}
		wg.Wait()
	}
	t.Run("shared timer", func(t *testing.T) {
		p := mustNew(t, hedge.Config{Delay: time.Hour})
		run(t, p, 1000)
		if n := hedge.QueueLen(p); n != 0 {
			t.Fatalf("%d calls left in the timer queue", n)
		}
	})
	t.Run("bubble", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) { run(t, mustNew(t, hedge.Config{Delay: time.Hour}), 1000) })
	})
}
