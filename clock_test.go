package rampart_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestManualClockFiresTimersInOrderAtTheirTime(t *testing.T) {
	c := rampart.NewManualClock(epoch)
	var fired []time.Duration
	for _, d := range []time.Duration{30 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
		c.AfterFunc(d, func() { fired = append(fired, c.Now().Sub(epoch)) })
	}
	stopped := c.AfterFunc(15*time.Millisecond, func() { t.Error("stopped timer fired") })
	if !stopped.Stop() {
		t.Fatal("Stop of pending timer = false")
	}
	if stopped.Stop() {
		t.Fatal("second Stop = true")
	}
	if due, ok := c.NextDue(); !ok || !due.Equal(epoch.Add(10*time.Millisecond)) {
		t.Fatalf("NextDue = %v, %v", due, ok)
	}
	c.Advance(25 * time.Millisecond)
	if len(fired) != 2 || fired[0] != 10*time.Millisecond || fired[1] != 20*time.Millisecond {
		t.Fatalf("fired = %v", fired)
	}
	if got := c.Now().Sub(epoch); got != 25*time.Millisecond {
		t.Fatalf("Now = +%v", got)
	}
	if c.Pending() != 1 {
		t.Fatalf("Pending = %d", c.Pending())
	}
	c.Advance(time.Hour)
	if len(fired) != 3 || fired[2] != 30*time.Millisecond {
		t.Fatalf("fired = %v", fired)
	}
}

func TestManualClockTimerMayScheduleAnother(t *testing.T) {
	c := rampart.NewManualClock(epoch)
	n := 0
	var tick func()
	tick = func() {
		n++
		if n < 5 {
			c.AfterFunc(time.Second, tick)
		}
	}
	c.AfterFunc(time.Second, tick)
	c.Advance(10 * time.Second)
	if n != 5 {
		t.Fatalf("ticks = %d, want 5", n)
	}
}

func TestSleepOnManualClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := rampart.NewManualClock(epoch)
		done := make(chan error, 1)
		go func() { done <- rampart.Sleep(context.Background(), c, time.Second) }()
		synctest.Wait() // the sleeper has set its timer and blocks
		c.Advance(999 * time.Millisecond)
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Sleep returned early: %v", err)
		default:
		}
		c.Advance(time.Millisecond)
		if err := <-done; err != nil {
			t.Fatalf("Sleep = %v", err)
		}
	})
}

func TestSleepStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		start := time.Now()
		time.AfterFunc(time.Second, cancel)
		err := rampart.Sleep(ctx, nil, time.Hour)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Sleep = %v", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("returned after %v, want 1s", d)
		}
	})
}

func TestSleepRealClockInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := rampart.Sleep(context.Background(), nil, 3*time.Second); err != nil {
			t.Fatal(err)
		}
		if d := rampart.Since(nil, start); d != 3*time.Second {
			t.Fatalf("slept %v", d)
		}
		if err := rampart.Sleep(context.Background(), rampart.SystemClock(), time.Second); err != nil {
			t.Fatal(err)
		}
		if d := rampart.Since(rampart.SystemClock(), start); d != 4*time.Second {
			t.Fatalf("slept %v", d)
		}
	})
}
