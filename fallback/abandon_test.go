package fallback_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/fallback"
	"github.com/rampart-go/rampart/timeout"
)

// abandoning is a timeout of 10ms that abandons the attempt, outside a
// fallback: the fallback runs in the attempt's goroutine.
func abandoning(t *testing.T) *rampart.Chain {
	t.Helper()
	to, err := timeout.New(timeout.Config{Timeout: 10 * time.Millisecond, Mode: timeout.Abandon})
	if err != nil {
		t.Fatal(err)
	}
	return rampart.Pipeline(to, must(fallback.Value(7, fallback.Config{Name: "seven"})))
}

// The abandoned attempt's fallback used to fill in the caller's report after
// the caller had returned with the timeout's error: a data race, and a
// report saying "used" for a result the caller never got.
func TestAnAbandonedAttemptDoesNotWriteTheReport(t *testing.T) {
	for _, get := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			p := abandoning(t)
			release := make(chan struct{})
			var rep fallback.Report
			ctx := fallback.WithReport(context.Background(), &rep)
			var err error
			if get {
				_, err = rampart.Get(ctx, p, func(context.Context) (int, error) {
					<-release
					return 0, errDown
				})
			} else {
				err = p.Do(ctx, func(context.Context) error {
					<-release
					return errDown
				})
			}
			if !errors.Is(err, timeout.ErrTimeout) {
				t.Fatalf("get=%v: err = %v, want the timeout", get, err)
			}
			if rep.Used {
				t.Fatalf("get=%v: the report says used before the attempt ended", get)
			}
			close(release) // the abandoned attempt fails now, and its fallback serves
			synctest.Wait()
			if rep != (fallback.Report{}) {
				t.Errorf("get=%v: an abandoned attempt wrote the report: %+v", get, rep)
			}
		})
	}
}

// An attempt that ends in time still reports, through the timeout's
// adoption of its result.
func TestAReportCrossesAnAbandoningTimeoutThatDidNotFire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := abandoning(t)
		var rep fallback.Report
		ctx := fallback.WithReport(context.Background(), &rep)
		v, err := rampart.Get(ctx, p, fail[int])
		if err != nil || v != 7 {
			t.Fatalf("Get = %v, %v; want the fallback's 7", v, err)
		}
		if !rep.Used || rep.Policy != "seven" || !errors.Is(rep.Cause, errDown) {
			t.Errorf("report %+v, want used by seven for errDown", rep)
		}
		rep = fallback.Report{}
		if err := p.Do(ctx, func(context.Context) error { return errDown }); err != nil {
			t.Fatalf("Do = %v, want nil", err)
		}
		if !rep.Used {
			t.Errorf("Do: report %+v, want used", rep)
		}
	})
}

// The constructors copy Observers: a caller that reuses its slice does not
// change, or race with, the policy's.
func TestConstructorsCopyObservers(t *testing.T) {
	var hits [2]int
	obs := []rampart.Observer{rampart.ObserverFunc(func(rampart.Event) { hits[0]++ })}
	other := rampart.ObserverFunc(func(rampart.Event) { hits[1]++ })
	v := must(fallback.Value(1, fallback.Config{Observers: obs}))
	f := must(fallback.Func(func(context.Context, error) (int, error) { return 1, nil }, fallback.Config{Observers: obs}))
	c := must(fallback.LastGood[int](fallback.CacheConfig{Observers: obs}))
	obs[0] = other
	ctx := context.Background()
	for _, p := range []*fallback.Policy{v, f} {
		if _, err := rampart.Get(ctx, p, fail[int]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rampart.Get(ctx, c, func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := rampart.Get(ctx, c, fail[int]); err != nil {
		t.Fatal(err)
	}
	if hits != [2]int{3, 0} {
		t.Errorf("observer hits %v, want [3 0]: the policies must keep the observers they were built with", hits)
	}
}

func TestNilFunctionRunsNoFallback(t *testing.T) {
	used := false
	p := must(fallback.Func(func(context.Context, error) (int, error) { used = true; return 1, nil }, fallback.Config{}))
	if err := p.Do(context.Background(), nil); !errors.Is(err, rampart.ErrNilFunc) || used {
		t.Errorf("Do(nil) = %v, fallback used %v; want ErrNilFunc and no fallback", err, used)
	}
	if _, err := rampart.Get[int](context.Background(), p, nil); !errors.Is(err, rampart.ErrNilFunc) || used {
		t.Errorf("Get(nil) = %v, fallback used %v; want ErrNilFunc and no fallback", err, used)
	}
}

func TestNewReportIsFilledInLikeWithReport(t *testing.T) {
	p := must(fallback.Value(7, fallback.Config{Name: "seven"}))
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, "kept")
	ctx, rep := fallback.NewReport(parent)
	if ctx.Value(key{}) != "kept" {
		t.Error("NewReport's context lost its parent's values")
	}
	v, err := rampart.Get(ctx, p, fail[int])
	if v != 7 || err != nil || !rep.Used || rep.Policy != "seven" || !errors.Is(rep.Cause, errDown) {
		t.Fatalf("Get = %v, %v; report %+v", v, err, rep)
	}
	ok := func(context.Context) (int, error) { return 1, nil }
	if n := testing.AllocsPerRun(100, func() {
		ctx, _ := fallback.NewReport(parent)
		_, _ = rampart.Get(ctx, p, ok)
	}); n != 2 {
		t.Errorf("NewReport + Get allocate %v times, want 2 (the report's context, Get's result)", n)
	}
}
