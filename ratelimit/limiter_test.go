package ratelimit_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/testutil"
	"github.com/rampart-go/rampart/ratelimit"
)

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func newLimiter(t testing.TB, c ratelimit.Config) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// admission is a call let through: when, and how many tokens.
type admission struct {
	at time.Duration
	n  int
}

// checkWindows asserts that over every window [a, b] between two
// admissions, the tokens let through are at most rate×(b-a) + burst.
func checkWindows(t *testing.T, adm []admission, interval time.Duration, burst int) {
	t.Helper()
	slices.SortFunc(adm, func(x, y admission) int { return int(x.at - y.at) })
	prefix := make([]int, len(adm)+1)
	for i, a := range adm {
		prefix[i+1] = prefix[i] + a.n
	}
	for i := range adm {
		for j := i; j < len(adm); j++ {
			got := prefix[j+1] - prefix[i]
			allowed := int((adm[j].at-adm[i].at)/interval) + burst
			if got > allowed {
				t.Fatalf("%d tokens let through in [%v, %v], at most %d allowed", got, adm[i].at, adm[j].at, allowed)
			}
		}
	}
}

func TestAdmittedNeverExceedsRateTimesWindowPlusBurst(t *testing.T) {
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 1))
		burst := 1 + rng.IntN(8)
		mode := ratelimit.Bursty
		if seed%4 == 3 {
			mode, burst = ratelimit.Smooth, 1
		}
		const interval = time.Millisecond // rate 1000/s, exact in nanoseconds
		l := newLimiter(t, ratelimit.Config{Rate: 1000, Burst: burst, Mode: mode})
		// Goroutines share a virtual time that each moves forward by a
		// random step (often zero, so calls pile up on one instant) and
		// ask for 1..burst tokens at a time.
		var now atomic.Int64
		const workers, calls = 8, 300
		got := make([][]admission, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wseed := rng.Uint64()
			wg.Go(func() {
				r := rand.New(rand.NewPCG(wseed, 2))
				for range calls {
					var at int64
					switch r.IntN(4) {
					case 0:
						at = now.Add(r.Int64N(int64(3 * interval)))
					case 1:
						at = now.Add(r.Int64N(int64(interval / 10)))
					default:
						at = now.Load()
					}
					n := 1 + r.IntN(burst)
					if l.AllowN(t0.Add(time.Duration(at)), n) {
						got[w] = append(got[w], admission{time.Duration(at), n})
					}
				}
			})
		}
		wg.Wait()
		all := slices.Concat(got...)
		if len(all) == 0 {
			t.Fatal("nothing let through")
		}
		checkWindows(t, all, interval, burst)
	}
}

func TestAllowLetsBurstThenOnePerInterval(t *testing.T) {
	clock := rampart.NewManualClock(t0)
	l := newLimiter(t, ratelimit.Config{Rate: 10, Burst: 3, Clock: clock})
	for i := range 3 {
		if !l.Allow() {
			t.Fatalf("call %d of the burst refused", i+1)
		}
	}
	if l.Allow() {
		t.Fatal("fourth call in the same instant let through")
	}
	clock.Advance(99 * time.Millisecond)
	if l.Allow() {
		t.Fatal("let through 99ms later, 100ms per token")
	}
	clock.Advance(time.Millisecond)
	if !l.Allow() || l.Allow() {
		t.Fatal("want exactly one call after 100ms")
	}
	// An idle spell refills up to Burst, never more.
	clock.Advance(time.Hour)
	n := 0
	for l.Allow() {
		n++
	}
	if n != 3 {
		t.Fatalf("after an hour idle, %d calls let through at once, want Burst 3", n)
	}
}

func TestSmoothSpacesCallsEvenly(t *testing.T) {
	clock := rampart.NewManualClock(t0)
	l := newLimiter(t, ratelimit.Config{Rate: 100, Mode: ratelimit.Smooth, Clock: clock})
	clock.Advance(time.Hour)
	if !l.Allow() || l.Allow() {
		t.Fatal("smooth: want one call per instant even after an idle hour")
	}
	clock.Advance(9 * time.Millisecond)
	if l.Allow() {
		t.Fatal("smooth: let through 9ms after the last, want 10ms apart")
	}
	clock.Advance(time.Millisecond)
	if !l.Allow() {
		t.Fatal("smooth: refused 10ms after the last")
	}
}

func TestAllowNAboveBurstIsNeverAllowed(t *testing.T) {
	l := newLimiter(t, ratelimit.Config{Rate: 1, Burst: 2})
	if l.AllowN(t0, 3) {
		t.Fatal("3 tokens let through with Burst 2")
	}
	if !l.AllowN(t0, 0) || !l.AllowN(t0, -1) || !l.AllowN(t0, 2) {
		t.Fatal("n ≤ 0 must be allowed, and a full bucket must give Burst")
	}
	if l.AllowN(t0, 1) {
		t.Fatal("n ≤ 0 took tokens")
	}
}

func TestTimeGoingBackwardsIsJudgedAsTheLatest(t *testing.T) {
	l := newLimiter(t, ratelimit.Config{Rate: 1, Burst: 1})
	if !l.AllowAt(t0.Add(time.Hour)) {
		t.Fatal("first call refused")
	}
	for _, back := range []time.Duration{time.Second, time.Hour, 100 * 365 * 24 * time.Hour} {
		if l.AllowAt(t0.Add(time.Hour - back)) {
			t.Fatalf("a call %v in the past got a token", back)
		}
	}
	if !l.AllowAt(t0.Add(time.Hour + time.Second)) {
		t.Fatal("refused a second after the first, at 1/s")
	}
	// Times far beyond the limiter's span saturate rather than overflow.
	if !l.AllowAt(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) || l.AllowAt(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatal("far future: want one token, then none")
	}
}

func TestExecuteRejectsWithRetryAfterAndEvent(t *testing.T) {
	clock := rampart.NewManualClock(t0)
	rec := &testutil.Recorder{}
	l := newLimiter(t, ratelimit.Config{Name: "api", Rate: 4, Burst: 1, Clock: clock, Observers: []rampart.Observer{rec}})
	ctx := context.Background()
	ran := 0
	fn := func(context.Context) error { ran++; return nil }
	if err := l.Do(ctx, fn); err != nil || ran != 1 {
		t.Fatalf("first call: %v, ran %d", err, ran)
	}
	clock.Advance(100 * time.Millisecond)
	err := rampart.Do(ctx, l, fn)
	if ran != 1 {
		t.Fatal("a rejected call ran")
	}
	if !errors.Is(err, ratelimit.ErrLimited) || !errors.Is(err, rampart.ErrRejected) {
		t.Fatalf("got %v, want ErrLimited and ErrRejected", err)
	}
	var le *ratelimit.LimitedError
	if !errors.As(err, &le) || le.Name != "api" {
		t.Fatalf("got %#v, want a *LimitedError named api", err)
	}
	if d, ok := rampart.RetryAfter(err); !ok || d != 150*time.Millisecond {
		t.Fatalf("RetryAfter = %v, %v; want 150ms", d, ok)
	}
	if got := err.Error(); got != "ratelimit: api: rate limited, next token in 150ms" {
		t.Fatalf("Error() = %q", got)
	}
	evs := rec.Events()
	if len(evs) != 1 || evs[0].Kind != rampart.EventRejected || evs[0].Policy != "api" ||
		evs[0].Delay != 150*time.Millisecond || !evs[0].Time.Equal(t0.Add(100*time.Millisecond)) {
		t.Fatalf("events: %+v", evs)
	}
	// The hint is worked out when asked: later, less is left.
	clock.Advance(100 * time.Millisecond)
	if d, _ := rampart.RetryAfter(err); d != 50*time.Millisecond {
		t.Fatalf("RetryAfter 100ms later = %v, want 50ms", d)
	}
	s := l.Snapshot()
	if s.Rejected != 1 || s.Name != "api" || s.Burst != 1 || s.Rate != 4 || s.Tokens < 0.79 || s.Tokens > 0.81 {
		t.Fatalf("snapshot %+v, want 1 rejected and 0.8 tokens", s)
	}
}

func TestExecutePanicPropagates(t *testing.T) {
	l := newLimiter(t, ratelimit.Config{Rate: 1, Burst: 1})
	func() {
		defer func() {
			if recover() != "boom" {
				t.Fatal("panic not re-raised")
			}
		}()
		_ = l.Do(context.Background(), func(context.Context) error { panic("boom") })
	}()
	// The token was spent on the call that panicked, as on any call run.
	if l.Allow() {
		t.Fatal("the panicking call's token came back")
	}
}

func TestManyGoroutinesShareOneBurst(t *testing.T) {
	clock := rampart.NewManualClock(t0)
	l := newLimiter(t, ratelimit.Config{Rate: 1, Burst: 100, Clock: clock})
	var let atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if l.Allow() {
					let.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if let.Load() != 100 {
		t.Fatalf("%d calls let through in one instant, want exactly Burst 100", let.Load())
	}
	if s := l.Snapshot(); s.Rejected != 8000-100 {
		t.Fatalf("rejected %d, want %d", s.Rejected, 8000-100)
	}
}
