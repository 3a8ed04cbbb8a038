package timeout_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart/timeout"
)

// world is one side of the differential test: a parent, a context with a
// deadline under it, contexts derived from that one and AfterFunc flags.
type world struct {
	parent       context.Context
	cancelParent func(error)
	ctx          context.Context
	end          func() // the call returns (timeout) or cancel (WithDeadline)
	kids         []context.Context
	cancels      []context.CancelFunc
	fired        []*atomic.Bool
	stops        []func() bool
}

// observe renders what a caller can see of the world.
func (w *world) observe() string {
	s := fmt.Sprintf("ctx %v/%v/%v", w.ctx.Err(), context.Cause(w.ctx), isClosed(w.ctx.Done()))
	for i, k := range w.kids {
		s += fmt.Sprintf(" kid%d %v/%v/%v", i, k.Err(), context.Cause(k), isClosed(k.Done()))
	}
	return s
}

func (w *world) afterFuncs() string {
	s := ""
	for i, f := range w.fired {
		s += fmt.Sprintf(" f%d=%v", i, f.Load())
	}
	return s
}

// TestContextMatchesWithDeadline runs the same random schedule of parent
// cancellation, time passing, derived contexts, their cancellation,
// AfterFunc, Err/Cause/Done polling and the call's return on the timeout's
// context and on context.WithDeadline, and requires the same observations.
// In a synctest bubble time moves in random steps across the deadlines; on
// the real clock the deadline is far, and only the other events race.
func TestContextMatchesWithDeadline(t *testing.T) {
	parents := []string{"background", "cancellable", "enclosing-timeout", "value-over-enclosing-timeout"}
	for _, parentKind := range parents {
		for _, bubble := range []bool{true, false} {
			name := parentKind + "/real-clock"
			if bubble {
				name = parentKind + "/synctest"
			}
			t.Run(name, func(t *testing.T) {
				for seed := range uint64(200) {
					run := func(t *testing.T) { differential(t, parentKind, bubble, seed) }
					if bubble {
						synctest.Test(t, run)
					} else {
						run(t)
					}
					if t.Failed() {
						t.Fatalf("seed %d", seed)
					}
				}
			})
		}
	}
}

func differential(t *testing.T, parentKind string, bubble bool, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	d := time.Hour
	if bubble {
		d = time.Duration(1+r.IntN(100)) * time.Millisecond
	}
	var a, b world
	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()
	// Parents.
	switch parentKind {
	case "background":
		a.parent, b.parent = context.Background(), context.Background()
		a.cancelParent, b.cancelParent = func(error) {}, func(error) {}
	case "cancellable":
		var ca, cb context.CancelCauseFunc
		a.parent, ca = context.WithCancelCause(context.Background())
		b.parent, cb = context.WithCancelCause(context.Background())
		a.cancelParent, b.cancelParent = ca, cb
		cleanups = append(cleanups, func() { ca(nil); cb(nil) })
	case "enclosing-timeout", "value-over-enclosing-timeout":
		outerD := time.Duration(1+r.IntN(150)) * time.Millisecond
		if !bubble {
			outerD = 2 * time.Hour
		}
		outer := hold(newPolicy(t, timeout.Config{Timeout: outerD}), context.Background())
		bp, cb := context.WithTimeout(context.Background(), outerD)
		a.parent, b.parent = outer.ctx, bp
		if parentKind == "value-over-enclosing-timeout" {
			a.parent, b.parent = context.WithValue(a.parent, keyA{}, 2), context.WithValue(b.parent, keyA{}, 2)
		}
		a.cancelParent = func(error) { outer.end(errReturned) }
		b.cancelParent = func(error) { cb() }
		cleanups = append(cleanups, func() { outer.end(errReturned); cb() })
	}
	// The contexts under test, made at the same instant.
	h := hold(newPolicy(t, timeout.Config{Timeout: d}), a.parent)
	a.ctx, a.end = h.ctx, func() { h.end(errReturned) }
	var cancelB context.CancelFunc
	b.ctx, cancelB = context.WithDeadline(b.parent, time.Now().Add(d))
	b.end = cancelB
	cleanups = append(cleanups, func() { a.end(); b.end() })

	cause := fmt.Errorf("cause %d", seed)
	for step := range 40 {
		op := r.IntN(12)
		both := func(f func(w *world)) { f(&a); f(&b) }
		switch op {
		case 0: // time passes
			if bubble {
				time.Sleep(time.Duration(r.IntN(int(d/time.Millisecond)+1)) * time.Millisecond)
				synctest.Wait()
			}
		case 1, 10, 11:
			if r.IntN(3) == 0 {
				both(func(w *world) { w.cancelParent(cause) })
			}
		case 2: // derive
			kind, dd := r.IntN(5), time.Duration(r.IntN(200))*time.Millisecond
			if !bubble {
				dd += 3 * time.Hour
			}
			both(func(w *world) {
				base := w.ctx
				if len(w.kids) > 0 && kind%2 == 0 {
					base = w.kids[len(w.kids)-1]
				}
				var k context.Context
				cancel := context.CancelFunc(func() {})
				switch kind {
				case 0:
					k, cancel = context.WithCancel(base)
				case 1:
					k, cancel = context.WithTimeout(base, dd)
				case 2:
					k = context.WithValue(base, keyA{}, "v")
				case 3:
					k = context.WithoutCancel(base)
				case 4:
					var cc context.CancelCauseFunc
					k, cc = context.WithCancelCause(context.WithValue(base, keyA{}, "w"))
					cancel = func() { cc(cause) }
				}
				w.kids, w.cancels = append(w.kids, k), append(w.cancels, cancel)
			})
		case 3: // cancel a derived context
			if len(a.kids) > 0 {
				i := r.IntN(len(a.kids))
				both(func(w *world) { w.cancels[i]() })
			}
		case 4: // AfterFunc, or stop one
			if len(a.stops) > 0 && r.IntN(2) == 0 {
				i := r.IntN(len(a.stops))
				if sa, sb := a.stops[i](), b.stops[i](); sa != sb {
					t.Fatalf("step %d: stop() = %v, WithDeadline's %v", step, sa, sb)
				}
			} else {
				both(func(w *world) {
					f := new(atomic.Bool)
					w.fired = append(w.fired, f)
					w.stops = append(w.stops, context.AfterFunc(w.ctx, func() { f.Store(true) }))
				})
			}
		case 5, 6: // poll
			if oa, ob := a.observe(), b.observe(); oa != ob {
				t.Fatalf("step %d (seed %d):\ntimeout:      %s\nWithDeadline: %s", step, seed, oa, ob)
			}
		case 8, 7: // Done asked, or time passes
			if op == 7 {
				if bubble {
					time.Sleep(time.Duration(r.IntN(int(d/time.Millisecond)+1)) * time.Millisecond)
					synctest.Wait()
				}
				continue
			}
			both(func(w *world) { _ = w.ctx.Done() })
		case 9:
			if r.IntN(6) == 0 {
				both(func(w *world) { w.end() })
			}
		}
	}
	if bubble {
		synctest.Wait()
		if fa, fb := a.afterFuncs(), b.afterFuncs(); fa != fb {
			t.Fatalf("AfterFunc calls:\ntimeout:      %s\nWithDeadline: %s", fa, fb)
		}
	}
	if oa, ob := a.observe(), b.observe(); oa != ob {
		t.Fatalf("at the end (seed %d):\ntimeout:      %s\nWithDeadline: %s", seed, oa, ob)
	}
}

// TestContextMatchesWithDeadlineRealClock: on the real clock, with short
// deadlines awaited through Done (bounded, never slept through), a random
// tree of derived contexts ends the same way under the timeout's context as
// under context.WithDeadline's.
func TestContextMatchesWithDeadlineRealClock(t *testing.T) {
	for _, parentKind := range []string{"background", "cancellable", "enclosing-timeout"} {
		t.Run(parentKind, func(t *testing.T) {
			for seed := range uint64(30) {
				r := rand.New(rand.NewPCG(seed, 11))
				d := time.Duration(1+r.IntN(5)) * time.Millisecond
				var pa, pb context.Context = context.Background(), context.Background()
				switch parentKind {
				case "cancellable":
					var ca, cb context.CancelFunc
					pa, ca = context.WithCancel(context.Background())
					pb, cb = context.WithCancel(context.Background())
					defer ca()
					defer cb()
				case "enclosing-timeout":
					outer := hold(newPolicy(t, timeout.Config{Timeout: time.Hour}), context.Background())
					defer outer.end(errReturned)
					pa = outer.ctx
				}
				h := hold(newPolicy(t, timeout.Config{Timeout: d}), pa)
				b, cancelB := context.WithTimeout(pb, d)
				a := h.ctx
				type pair struct {
					a, b   context.Context
					closes bool // ends when its parent does
				}
				pairs := []pair{{a, b, true}}
				for range r.IntN(12) {
					p := pairs[r.IntN(len(pairs))]
					switch r.IntN(4) {
					case 0:
						ka, cka := context.WithCancel(p.a)
						kb, ckb := context.WithCancel(p.b)
						defer cka()
						defer ckb()
						pairs = append(pairs, pair{ka, kb, p.closes})
					case 1:
						long := time.Duration(r.IntN(2)) * time.Hour
						ka, cka := context.WithTimeout(p.a, long+time.Millisecond)
						kb, ckb := context.WithTimeout(p.b, long+time.Millisecond)
						defer cka()
						defer ckb()
						pairs = append(pairs, pair{ka, kb, p.closes || long == 0})
					case 2:
						pairs = append(pairs, pair{context.WithValue(p.a, keyA{}, 1), context.WithValue(p.b, keyA{}, 1), p.closes})
					case 3:
						pairs = append(pairs, pair{context.WithoutCancel(p.a), context.WithoutCancel(p.b), false})
					}
				}
				for i, p := range pairs {
					if p.closes {
						awaitDone(t, fmt.Sprint("timeout's #", i), p.a.Done())
						awaitDone(t, fmt.Sprint("WithDeadline's #", i), p.b.Done())
					}
				}
				for i, p := range pairs {
					oa := fmt.Sprintf("%v/%v/%v", p.a.Err(), context.Cause(p.a), isClosed(p.a.Done()))
					ob := fmt.Sprintf("%v/%v/%v", p.b.Err(), context.Cause(p.b), isClosed(p.b.Done()))
					if oa != ob {
						t.Fatalf("seed %d, context #%d: timeout's %s, WithDeadline's %s", seed, i, oa, ob)
					}
				}
				if err := h.end(errReturned); !errors.Is(err, timeout.ErrTimeout) {
					t.Fatalf("seed %d: call returned %v", seed, err)
				}
				cancelB()
			}
		})
	}
}
