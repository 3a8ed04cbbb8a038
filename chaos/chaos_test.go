package chaos_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/chaos"
	"github.com/rampart-go/rampart/internal/testutil"
)

var errBoom = errors.New("boom")

func newPolicy(t testing.TB, c chaos.Config) *chaos.Policy {
	t.Helper()
	p, err := chaos.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewRejectsInvalidConfigNamingTheField(t *testing.T) {
	noop := func(context.Context) error { return nil }
	cases := []struct {
		name  string
		c     chaos.Config
		field string
	}{
		{"no rate", chaos.Config{Fault: errBoom}, "Rate"},
		{"negative rate", chaos.Config{Rate: -0.1, Fault: errBoom}, "Rate"},
		{"rate above 1", chaos.Config{Rate: 1.01, Fault: errBoom}, "Rate"},
		{"NaN rate", chaos.Config{Rate: math.NaN(), Fault: errBoom}, "Rate"},
		{"+Inf rate", chaos.Config{Rate: math.Inf(1), Fault: errBoom}, "Rate"},
		{"-Inf rate", chaos.Config{Rate: math.Inf(-1), Fault: errBoom}, "Rate"},
		{"negative latency", chaos.Config{Rate: 1, Latency: -time.Second}, "Latency"},
		{"min latency", chaos.Config{Rate: 1, Latency: math.MinInt64}, "Latency"},
		{"nothing to inject", chaos.Config{Rate: 1}, "Fault"},
		{"two things", chaos.Config{Rate: 1, Fault: errBoom, Behavior: noop}, "Behavior"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := chaos.New(tc.c)
			var ce *rampart.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, rampart.ErrInvalidConfig) || p != nil {
				t.Fatalf("got %v, %v; want a *rampart.ConfigError", p, err)
			}
			if ce.Package != "chaos" || ce.Field != tc.field {
				t.Fatalf("error names %s.%s, want chaos.%s: %v", ce.Package, ce.Field, tc.field, err)
			}
		})
	}
	if _, err := chaos.New(chaos.Config{Rate: 1, Latency: math.MaxInt64}); err != nil {
		t.Fatalf("the longest latency: %v", err)
	}
}

func TestConfigJSON(t *testing.T) {
	var c chaos.Config
	in := `{"name":"db","enabled":true,"rate":0.25,"seed":7,"latency":"1.5s"}`
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if c.Name != "db" || !c.Enabled || c.Rate != 0.25 || c.Seed != 7 || c.Latency != 1500*time.Millisecond {
		t.Fatalf("got %+v", c)
	}
	out, err := json.Marshal(c)
	if err != nil || !strings.Contains(string(out), `"latency":"1.5s"`) {
		t.Fatalf("marshalled %s, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"rtae":0.5}`), &c); err == nil {
		t.Fatal("a misspelt key was accepted")
	}
}

func TestDisabledRunsTheCallAndNothingElse(t *testing.T) {
	called := false
	p := newPolicy(t, chaos.Config{Rate: 1, Fault: errBoom, EnabledFunc: func(context.Context) bool {
		called = true
		return true
	}})
	ran := 0
	for range 100 {
		if err := p.Do(context.Background(), func(context.Context) error { ran++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if ran != 100 || called {
		t.Fatalf("ran %d of 100, EnabledFunc called %v", ran, called)
	}
	if s := p.Snapshot(); s.Enabled || s.Considered != 0 || s.Injected != 0 || s.Kind != "fault" || s.Name != "chaos" {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestFaultReplacesTheCall(t *testing.T) {
	rec := &testutil.Recorder{}
	p := newPolicy(t, chaos.Config{Name: "db", Enabled: true, Rate: 1, Fault: errBoom, Observers: []rampart.Observer{rec}})
	ran := false
	err := p.Do(context.Background(), func(context.Context) error { ran = true; return nil })
	if err != errBoom || ran {
		t.Fatalf("got %v, ran %v; want the fault itself and no call", err, ran)
	}
	evs := rec.Events()
	if len(evs) != 1 || evs[0].Kind != rampart.EventInjected || evs[0].Reason != "fault" || evs[0].Err != errBoom || evs[0].Policy != "db" {
		t.Fatalf("events %+v", evs)
	}
}

func TestOutcomeReplacesTheResult(t *testing.T) {
	p := newPolicy(t, chaos.Config{Enabled: true, Rate: 1, Outcome: func(context.Context) (any, error) {
		return 42, nil
	}})
	ran := false
	v, err := rampart.Get(context.Background(), p, func(context.Context) (int, error) { ran = true; return 1, nil })
	if v != 42 || err != nil || ran {
		t.Fatalf("got %v, %v, ran %v; want 42, nil and no call", v, err, ran)
	}
	// A value of the wrong type is an error, not a silent zero.
	_, err = rampart.Get(context.Background(), p, func(context.Context) (string, error) { return "x", nil })
	var rte *rampart.ResultTypeError
	if !errors.As(err, &rte) {
		t.Fatalf("wrong type: got %v, want a *rampart.ResultTypeError", err)
	}
	// Do has no result: the outcome's error is what is left.
	q := newPolicy(t, chaos.Config{Enabled: true, Rate: 1, Outcome: func(context.Context) (any, error) {
		return nil, errBoom
	}})
	if err := q.Do(context.Background(), func(context.Context) error { return nil }); err != errBoom {
		t.Fatalf("Do: got %v, want the outcome's error", err)
	}
	v, err = rampart.Get(context.Background(), q, func(context.Context) (int, error) { return 1, nil })
	if v != 0 || err != errBoom {
		t.Fatalf("nil outcome: got %v, %v; want the zero value and the error", v, err)
	}
}

func TestLatencyDelaysTheCallInVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &testutil.Recorder{}
		p := newPolicy(t, chaos.Config{Enabled: true, Rate: 1, Latency: time.Second, Observers: []rampart.Observer{rec}})
		start := time.Now()
		var ranAt time.Duration
		if err := p.Do(context.Background(), func(context.Context) error { ranAt = time.Since(start); return nil }); err != nil {
			t.Fatal(err)
		}
		if ranAt != time.Second {
			t.Fatalf("call ran after %v, want 1s", ranAt)
		}
		if evs := rec.Events(); len(evs) != 1 || evs[0].Reason != "latency" || evs[0].Delay != time.Second {
			t.Fatalf("events %+v", evs)
		}
		// Cancellation during the latency: the call does not run.
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start = time.Now()
		ran := false
		err := p.Do(ctx, func(context.Context) error { ran = true; return nil })
		if !errors.Is(err, context.DeadlineExceeded) || ran || time.Since(start) != 300*time.Millisecond {
			t.Fatalf("got %v after %v, ran %v; want the deadline at 300ms and no call", err, time.Since(start), ran)
		}
	})
}

func TestLatencyOnAManualClock(t *testing.T) {
	clock := rampart.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	p := newPolicy(t, chaos.Config{Enabled: true, Rate: 1, Latency: time.Minute, Clock: clock})
	done := make(chan error, 1)
	var ran atomic.Bool
	go func() {
		done <- p.Do(context.Background(), func(context.Context) error { ran.Store(true); return nil })
	}()
	for clock.Pending() == 0 {
		runtime.Gosched() // until the latency's timer is set
	}
	clock.Advance(59 * time.Second)
	if ran.Load() {
		t.Fatal("ran before the latency passed")
	}
	clock.Advance(time.Second)
	if err := <-done; err != nil || !ran.Load() {
		t.Fatalf("got %v, ran %v", err, ran.Load())
	}
}

func TestBehaviorRunsBeforeTheCall(t *testing.T) {
	var order []string
	p := newPolicy(t, chaos.Config{Enabled: true, Rate: 1, Behavior: func(context.Context) error {
		order = append(order, "behavior")
		return nil
	}})
	err := p.Do(context.Background(), func(context.Context) error { order = append(order, "call"); return nil })
	if err != nil || strings.Join(order, ",") != "behavior,call" {
		t.Fatalf("got %v, order %v", err, order)
	}
	q := newPolicy(t, chaos.Config{Enabled: true, Rate: 1, Behavior: func(context.Context) error { return errBoom }})
	ran := false
	if err := q.Do(context.Background(), func(context.Context) error { ran = true; return nil }); err != errBoom || ran {
		t.Fatalf("got %v, ran %v; want the behaviour's error and no call", err, ran)
	}
}

func TestEnabledFuncNarrowsTheSwitch(t *testing.T) {
	type key struct{}
	p := newPolicy(t, chaos.Config{Enabled: true, Rate: 1, Fault: errBoom, EnabledFunc: func(ctx context.Context) bool {
		return ctx.Value(key{}) != nil
	}})
	fn := func(context.Context) error { return nil }
	if err := p.Do(context.Background(), fn); err != nil {
		t.Fatalf("unmarked call: %v", err)
	}
	if err := p.Do(context.WithValue(context.Background(), key{}, true), fn); err != errBoom {
		t.Fatalf("marked call: %v", err)
	}
	if s := p.Snapshot(); s.Considered != 1 || s.Injected != 1 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestPanicsPropagate(t *testing.T) {
	p := newPolicy(t, chaos.Config{Enabled: true, Rate: 1, Behavior: func(context.Context) error { return nil }})
	defer func() {
		if recover() != "call" {
			t.Fatal("the call's panic was not re-raised")
		}
	}()
	_ = p.Do(context.Background(), func(context.Context) error { panic("call") })
}

// Toggling from one goroutine while others call: no race, every call either
// ran or was injected into, and once Disable has returned nothing is.
func TestToggleUnderConcurrency(t *testing.T) {
	p := newPolicy(t, chaos.Config{Rate: 0.5, Seed: 1, Fault: errBoom})
	var ran, faults atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				p.SetEnabled(i%2 == 0)
			}
		}
	})
	var callers sync.WaitGroup
	for range 4 {
		callers.Go(func() {
			for range 5000 {
				switch err := p.Do(context.Background(), func(context.Context) error { ran.Add(1); return nil }); err {
				case nil:
				case errBoom:
					faults.Add(1)
				default:
					t.Errorf("unexpected %v", err)
				}
			}
		})
	}
	callers.Wait()
	close(stop)
	wg.Wait()
	if ran.Load()+faults.Load() != 20000 {
		t.Fatalf("ran %d + faults %d != 20000 calls", ran.Load(), faults.Load())
	}
	if s := p.Snapshot(); s.Injected != uint64(faults.Load()) {
		t.Fatalf("snapshot counts %d injections, callers saw %d", s.Injected, faults.Load())
	}
	p.Disable()
	for range 1000 {
		if err := p.Do(context.Background(), func(context.Context) error { return nil }); err != nil {
			t.Fatalf("after Disable: %v", err)
		}
	}
}
