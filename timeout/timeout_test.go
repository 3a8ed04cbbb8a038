package timeout_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/timeout"
)

func newPolicy(t *testing.T, c timeout.Config) *timeout.Policy {
	t.Helper()
	p, err := timeout.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitCtx blocks until ctx is done or d passes, like a well-behaved client.
func waitCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []struct {
		cfg   timeout.Config
		field string
	}{
		{timeout.Config{}, "Timeout"},
		{timeout.Config{Timeout: -time.Second}, "Timeout"},
		{timeout.Config{Timeout: time.Second, Mode: 7}, "Mode"},
	} {
		_, err := timeout.New(c.cfg)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("New(%+v) = %v, want ConfigError on %s", c.cfg, err, c.field)
		}
	}
}

func TestConfigJSONUsesDurationStrings(t *testing.T) {
	var c timeout.Config
	if err := json.Unmarshal([]byte(`{"name":"recs","timeout":"250ms","mode":"abandon"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Timeout != 250*time.Millisecond || c.Mode != timeout.Abandon || c.Name != "recs" {
		t.Fatalf("decoded %+v", c)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != `{"name":"recs","timeout":"250ms","mode":"abandon"}` {
		t.Fatalf("encoded %s", got)
	}
	if err := json.Unmarshal([]byte(`{"timeout":"soon"}`), &c); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("bad duration: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"timout":"1s"}`), &c); err == nil || !strings.Contains(err.Error(), "timout") {
		t.Fatalf("unknown key: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"timeout":"1s","mode":"sometimes"}`), &c); err == nil {
		t.Fatal("bad mode accepted")
	}
}

func TestCooperativeCancelsAndReportsTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var events []rampart.Event
		p := newPolicy(t, timeout.Config{Name: "recs", Timeout: 100 * time.Millisecond,
			Observers: []rampart.Observer{rampart.ObserverFunc(func(e rampart.Event) { events = append(events, e) })}})
		start := time.Now()
		err := p.Do(context.Background(), func(ctx context.Context) error { return waitCtx(ctx, time.Hour) })
		if !errors.Is(err, timeout.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrTimeout wrapping DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Fatalf("returned after %v", d)
		}
		var te *timeout.Error
		if !errors.As(err, &te) || te.Timeout != 100*time.Millisecond || te.Policy != "recs" {
			t.Fatalf("error detail = %+v", te)
		}
		if len(events) != 1 || events[0].Kind != rampart.EventTimeout || events[0].Delay != 100*time.Millisecond {
			t.Fatalf("events = %+v", events)
		}
	})
}

func TestCooperativeFastCallUnaffected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPolicy(t, timeout.Config{Timeout: time.Second})
		got, err := rampart.Get(context.Background(), p, func(ctx context.Context) (string, error) {
			if dl, ok := ctx.Deadline(); !ok || time.Until(dl) != time.Second {
				t.Errorf("deadline = %v, %v", dl, ok)
			}
			return "ok", waitCtx(ctx, 10*time.Millisecond)
		})
		if got != "ok" || err != nil {
			t.Fatalf("Get = %q, %v", got, err)
		}
		failure := errors.New("boom")
		if err := p.Do(context.Background(), func(context.Context) error { return failure }); err != failure {
			t.Fatalf("fast failure = %v, want it unchanged", err)
		}
	})
}

func TestCooperativeWaitsForFunction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPolicy(t, timeout.Config{Timeout: 100 * time.Millisecond})
		start := time.Now()
		err := p.Do(context.Background(), func(ctx context.Context) error {
			<-ctx.Done()
			sleep(50 * time.Millisecond) // cleanup after cancellation
			return io.ErrUnexpectedEOF
		})
		if d := time.Since(start); d != 150*time.Millisecond {
			t.Fatalf("returned after %v, want 150ms (cooperative waits)", d)
		}
		if !errors.Is(err, timeout.ErrTimeout) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCallerDeadlineFirstReturnsCallerError(t *testing.T) {
	for _, mode := range []timeout.Mode{timeout.Cooperative, timeout.Abandon} {
		t.Run(mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPolicy(t, timeout.Config{Timeout: time.Second, Mode: mode})
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				err := p.Do(ctx, func(ctx context.Context) error { return waitCtx(ctx, time.Hour) })
				if errors.Is(err, timeout.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want the caller's DeadlineExceeded, not ErrTimeout", err)
				}
				if rampart.Classify(ctx, err) != rampart.Ignored {
					t.Fatal("caller's own deadline not classified as ignored")
				}
			})
		})
	}
}

func TestCallerCancelReturnsCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPolicy(t, timeout.Config{Timeout: time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(10*time.Millisecond, cancel)
		err := p.Do(ctx, func(ctx context.Context) error { return waitCtx(ctx, time.Hour) })
		if !errors.Is(err, context.Canceled) || errors.Is(err, timeout.ErrTimeout) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAbandonReturnsAtDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var finished atomic.Bool
		p := newPolicy(t, timeout.Config{Timeout: 100 * time.Millisecond, Mode: timeout.Abandon})
		start := time.Now()
		got, err := rampart.Get(context.Background(), p, func(ctx context.Context) (string, error) {
			sleep(time.Second) // ignores its context
			finished.Store(true)
			return "late", nil
		})
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Fatalf("returned after %v, want 100ms", d)
		}
		if !errors.Is(err, timeout.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if got != "" {
			t.Fatalf("result = %q, want zero: a late result must not land", got)
		}
		synctest.Wait()
		if finished.Load() {
			t.Fatal("function finished too soon")
		}
		sleep(time.Second)
		synctest.Wait() // the abandoned goroutine ends by itself
		if !finished.Load() {
			t.Fatal("abandoned function never finished")
		}
	})
}

func TestAbandonKeepsResultWhenInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPolicy(t, timeout.Config{Timeout: time.Second, Mode: timeout.Abandon})
		got, err := rampart.Get(context.Background(), p, func(ctx context.Context) (int, error) {
			sleep(10 * time.Millisecond)
			return 7, nil
		})
		if got != 7 || err != nil {
			t.Fatalf("Get = %v, %v", got, err)
		}
		failure := errors.New("boom")
		_, err = rampart.Get(context.Background(), p, func(ctx context.Context) (int, error) { return 0, failure })
		if err != failure {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestPanicIsReraisedAndTimerReleased(t *testing.T) {
	for _, mode := range []timeout.Mode{timeout.Cooperative, timeout.Abandon} {
		t.Run(mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPolicy(t, timeout.Config{Timeout: time.Second, Mode: mode})
				func() {
					defer func() {
						if r := recover(); r != "kaboom" {
							t.Fatalf("recovered %v, want kaboom", r)
						}
					}()
					_ = p.Do(context.Background(), func(context.Context) error { panic("kaboom") })
					t.Fatal("panic swallowed")
				}()
				// synctest fails the test if a goroutine or timer of the
				// bubble is left blocked when it ends.
			})
		})
	}
}

func TestAbandonLatePanicGoesToObservers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got atomic.Value
		p := newPolicy(t, timeout.Config{Timeout: 10 * time.Millisecond, Mode: timeout.Abandon, ReportLatePanics: true,
			Observers: []rampart.Observer{rampart.ObserverFunc(func(e rampart.Event) {
				if e.Kind == rampart.EventPanic {
					got.Store(e.Err)
				}
			})}})
		err := p.Do(context.Background(), func(context.Context) error {
			sleep(time.Second)
			panic("late")
		})
		if !errors.Is(err, timeout.ErrTimeout) {
			t.Fatalf("err = %v", err)
		}
		sleep(2 * time.Second)
		synctest.Wait()
		e, _ := got.Load().(error)
		if !errors.Is(e, rampart.ErrPanic) || !strings.Contains(e.Error(), "late") {
			t.Fatalf("panic event err = %v", e)
		}
	})
}

func TestManualClockDrivesDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := rampart.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		p := newPolicy(t, timeout.Config{Timeout: time.Second, Clock: clock})
		done := make(chan error, 1)
		go func() {
			done <- p.Do(context.Background(), func(ctx context.Context) error {
				if dl, ok := ctx.Deadline(); !ok || !dl.Equal(clock.Now().Add(time.Second)) {
					t.Errorf("deadline = %v, %v", dl, ok)
				}
				<-ctx.Done()
				return ctx.Err()
			})
		}()
		synctest.Wait()
		clock.Advance(time.Second)
		if err := <-done; !errors.Is(err, timeout.ErrTimeout) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestNoGoroutineLeftInCooperativeMode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPolicy(t, timeout.Config{Timeout: time.Second})
		before := runtime.NumGoroutine()
		for range 10 {
			_ = p.Do(context.Background(), func(context.Context) error { return nil })
		}
		// The count is the whole process's: a goroutine of an earlier
		// test may end meanwhile, so only a rise is a leak.
		if n := runtime.NumGoroutine(); n > before {
			t.Fatalf("goroutines %d → %d", before, n)
		}
	})
}

// sleep waits on the bubble's virtual clock; every test that calls it runs
// inside synctest.Test, so no test waits for real time.
func sleep(d time.Duration) { <-time.After(d) }

func TestDerivedContextIsCancelledAtDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPolicy(t, timeout.Config{Timeout: 100 * time.Millisecond})
		err := p.Do(context.Background(), func(ctx context.Context) error {
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			var stopped atomic.Bool
			stop := context.AfterFunc(child, func() { stopped.Store(true) })
			defer stop()
			<-child.Done()
			synctest.Wait()
			if !stopped.Load() {
				t.Error("AfterFunc on a derived context did not run")
			}
			return child.Err()
		})
		if !errors.Is(err, timeout.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestParentCancellationReachesDerivedContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPolicy(t, timeout.Config{Timeout: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		start := time.Now()
		err := p.Do(ctx, func(ctx context.Context) error {
			child, cancel := context.WithTimeout(ctx, 2*time.Hour)
			defer cancel()
			<-child.Done()
			return child.Err()
		})
		if !errors.Is(err, context.Canceled) || time.Since(start) != time.Second {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
	})
}

func TestFunctionThatNeverWatchesStillTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPolicy(t, timeout.Config{Timeout: 100 * time.Millisecond})
		err := p.Do(context.Background(), func(ctx context.Context) error {
			sleep(200 * time.Millisecond) // busy, never looks at ctx
			if ctx.Err() != context.DeadlineExceeded {
				t.Errorf("ctx.Err() after the deadline = %v", ctx.Err())
			}
			return io.ErrUnexpectedEOF
		})
		if !errors.Is(err, timeout.ErrTimeout) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v", err)
		}
		err = p.Do(context.Background(), func(ctx context.Context) error {
			sleep(200 * time.Millisecond)
			return io.ErrUnexpectedEOF // and never asks ctx at all
		})
		if !errors.Is(err, timeout.ErrTimeout) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestContextValuesPassThrough(t *testing.T) {
	type key struct{}
	p := newPolicy(t, timeout.Config{Timeout: time.Second})
	ctx := context.WithValue(context.Background(), key{}, "v")
	_ = p.Do(ctx, func(ctx context.Context) error {
		if ctx.Value(key{}) != "v" {
			t.Error("value lost")
		}
		return nil
	})
}
