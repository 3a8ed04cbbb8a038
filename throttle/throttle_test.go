package throttle_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/throttle"
)

// drive sends requests at rate per second for dur, the destination
// accepting each with accept(t), and returns how many were refused in each
// second.
func drive(t *testing.T, th *throttle.Throttle, clock *rampart.ManualClock, rate float64, dur time.Duration, accept func(time.Duration) bool) []int {
	t.Helper()
	gap := time.Duration(float64(time.Second) / rate)
	refused := make([]int, int(dur/time.Second)+1)
	for at := time.Duration(0); at < dur; at += gap {
		clock.Advance(gap)
		if !th.Allow() {
			refused[at/time.Second]++
			continue
		}
		th.Record(accept(at))
	}
	return refused
}

func newThrottle(t *testing.T, c throttle.Config) (*throttle.Throttle, *rampart.ManualClock) {
	t.Helper()
	clock := rampart.NewManualClock(time.Unix(0, 0))
	c.Clock = clock
	if c.Seed == 0 {
		c.Seed = 1
	}
	th, err := throttle.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return th, clock
}

func sum(xs []int) (n int) {
	for _, x := range xs {
		n += x
	}
	return n
}

// A healthy destination is never throttled, at any rate, even with some
// failures: the book's K = 2 tolerates up to half.
func TestHealthyDestinationIsNeverRefused(t *testing.T) {
	for _, rate := range []float64{3.5, 100, 5000} {
		th, clock := newThrottle(t, throttle.Config{})
		i := 0
		refused := drive(t, th, clock, rate, 60*time.Second, func(time.Duration) bool { i++; return i%3 != 0 })
		if n := sum(refused); n != 0 {
			t.Errorf("rate %v/s, a third failing: %d refusals, want none", rate, n)
		}
	}
}

// A destination that rejects everything gets refused most requests, yet
// MinSent calls per Window still go through.
func TestRejectingDestinationIsThrottled(t *testing.T) {
	th, clock := newThrottle(t, throttle.Config{})
	refused := drive(t, th, clock, 100, 20*time.Second, func(time.Duration) bool { return false })
	last := refused[10:20]
	n := sum(last)
	// 25 requests a Window: the cap is 1 − 8/25 = 0.68.
	if n < 620 || n > 740 {
		t.Errorf("refused %d of the last 1000 requests, want about 680 (MinSent lets 8 a Window through)", n)
	}
	if p := th.Probability(); p < 0.65 || p > 0.7 {
		t.Errorf("probability %v, want about 0.68", p)
	}
}

// After the destination recovers the throttle stops refusing within a few
// seconds, even at 3.5 requests a second (the 200-client case of the
// sweep, where the book's formula alone kept refusing for 12–88 s). With
// the default Window it does not refuse at that rate at all; with a 2-s
// Window it does, and still recovers.
func TestRecoversAtLowRate(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		th, clock := newThrottle(t, throttle.Config{Seed: seed, Window: 2 * time.Second})
		refused := drive(t, th, clock, 3.5, 40*time.Second, func(at time.Duration) bool {
			return at < 10*time.Second || at >= 15*time.Second
		})
		for s := 19; s < len(refused); s++ {
			if refused[s] != 0 {
				t.Errorf("seed %d: %d refusals in second %d, 4+ s after the destination recovered (per second: %v)", seed, refused[s], s, refused[10:25])
				break
			}
		}
		if n := sum(refused[:10]); n != 0 {
			t.Errorf("seed %d: %d refusals while healthy", seed, n)
		}
	}
}

// A burst of outcomes within microseconds (a server's queue timing out
// many calls together) does not make the throttle fold its counts so
// seldom that, at a few dozen requests a second, its refusal probability
// goes stale: it follows the rejections that come next, and stops
// refusing within a second of the destination's recovery.
func TestBurstDoesNotStaleTheRefusals(t *testing.T) {
	th, clock := newThrottle(t, throttle.Config{})
	drive(t, th, clock, 70, 10*time.Second, func(time.Duration) bool { return true })
	for range 50 { // the burst: 50 rejections a microsecond apart
		clock.Advance(time.Microsecond)
		th.Record(false)
	}
	refused := drive(t, th, clock, 70, 10*time.Second, func(at time.Duration) bool { return at >= 2*time.Second || at%4 == 0 })
	if sum(refused[:2]) == 0 {
		t.Fatalf("no refusals in the 2 s the destination rejected 3 calls in 4: %v", refused)
	}
	if n := sum(refused[3:]); n != 0 {
		t.Errorf("%d refusals more than 1 s after the destination recovered (per second: %v)", n, refused)
	}
}

// At a high rate the throttle follows within a second or two both ways.
func TestFollowsFaultAtHighRate(t *testing.T) {
	th, clock := newThrottle(t, throttle.Config{})
	refused := drive(t, th, clock, 700, 30*time.Second, func(at time.Duration) bool {
		return at < 10*time.Second || at >= 15*time.Second
	})
	if refused[12] < 550 {
		t.Errorf("second 12 of a full outage: %d of 700 refused, want most", refused[12])
	}
	if n := sum(refused[17:]); n != 0 {
		t.Errorf("%d refusals from 2 s after recovery on", n)
	}
}

func TestExecute(t *testing.T) {
	th, clock := newThrottle(t, throttle.Config{})
	fail := errors.New("503")
	for range 200 {
		clock.Advance(10 * time.Millisecond)
		_ = th.Do(context.Background(), func(context.Context) error { return fail })
	}
	var refused int
	for range 100 {
		clock.Advance(10 * time.Millisecond)
		ran := false
		err := th.Do(context.Background(), func(context.Context) error { ran = true; return fail })
		if err != nil && !ran {
			refused++
			if !errors.Is(err, throttle.ErrThrottled) || !errors.Is(err, rampart.ErrRejected) {
				t.Fatalf("refusal %v, want ErrThrottled and rampart.ErrRejected", err)
			}
		}
	}
	if refused < 50 {
		t.Errorf("%d of 100 refused after 200 failures, want most", refused)
	}
	// A caller leaving counts as an accept: it does not throttle.
	th2, clock2 := newThrottle(t, throttle.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 300 {
		clock2.Advance(10 * time.Millisecond)
		_ = th2.Do(ctx, func(ctx context.Context) error { return ctx.Err() })
	}
	if p := th2.Probability(); p != 0 {
		t.Errorf("callers cancelling raised the probability to %v", p)
	}
	// A panic is recorded and raised again.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		_ = th2.Do(context.Background(), func(context.Context) error { panic("boom") })
	}()
}

func TestConfigRejectsInvalidFields(t *testing.T) {
	for _, c := range []throttle.Config{
		{K: math.NaN()}, {K: 0.5}, {K: math.Inf(1)},
		{MinSent: -1}, {MinSent: math.NaN()},
		{Window: -time.Second},
	} {
		_, err := throttle.New(c)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%+v: %v, want a ConfigError", c, err)
		}
	}
	if _, err := throttle.New(throttle.Config{Window: math.MaxInt64}); err != nil {
		t.Errorf("huge window: %v", err)
	}
}

func TestGroupSharesPerDestination(t *testing.T) {
	g, err := throttle.NewGroup(throttle.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a := g.For("a")
	if again := g.For("a"); a != again || a == g.For("b") {
		t.Error("want one throttle per destination")
	}
	if s := g.For("a").Snapshot(); s.Name != "throttle:a" {
		t.Errorf("name %q", s.Name)
	}
	if _, err := throttle.NewGroup(throttle.Config{K: -1}); err == nil {
		t.Error("NewGroup accepted an invalid config")
	}
}

func TestConcurrentUse(t *testing.T) {
	th, err := throttle.New(throttle.Config{Window: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 2000 {
				if th.Allow() {
					th.Record((i+g)%3 == 0)
				}
				if p := th.Probability(); p < 0 || p >= 1 {
					t.Errorf("probability %v", p)
					return
				}
			}
		})
	}
	wg.Wait()
	_ = th.Snapshot()
}
