package adaptive_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
)

// fixed returns a limiter whose limit stays at n (min = max = n).
func fixed(t *testing.T, n, queue int, extra ...func(*adaptive.Config)) *adaptive.Limiter {
	t.Helper()
	c := adaptive.Config{MinLimit: n, MaxLimit: n, InitialLimit: n, MaxQueue: queue}
	for _, f := range extra {
		f(&c)
	}
	l, err := adaptive.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRejectsAtLimitWithoutQueue(t *testing.T) {
	l := fixed(t, 2, 0)
	ctx := context.Background()
	a, err1 := l.Acquire(ctx)
	b, err2 := l.Acquire(ctx)
	if err1 != nil || err2 != nil {
		t.Fatalf("first two calls: %v, %v", err1, err2)
	}
	_, err := l.Acquire(ctx)
	if !errors.Is(err, adaptive.ErrLimited) || !errors.Is(err, rampart.ErrRejected) {
		t.Fatalf("third call: %v, want ErrLimited and rampart.ErrRejected", err)
	}
	if d, ok := rampart.RetryAfter(err); !ok || d <= 0 {
		t.Errorf("rejection carries no retry-after hint: %v, %v", d, ok)
	}
	a.Release()
	if _, err := l.Acquire(ctx); err != nil {
		t.Errorf("after a release: %v", err)
	}
	b.Release()
	if s := l.Snapshot(); s.InFlight != 1 || s.Rejected != 1 {
		t.Errorf("snapshot %+v, want 1 in flight, 1 rejected", s)
	}
}

// Sheddable calls are refused below the limit, critical ones above it.
func TestPriorityThresholds(t *testing.T) {
	l := fixed(t, 10, 0)
	shed := rampart.WithPriority(context.Background(), rampart.PrioritySheddable)
	crit := rampart.WithPriority(context.Background(), rampart.PriorityCritical)
	var held []adaptive.Permit
	for range 9 {
		p, err := l.Acquire(shed)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, p)
	}
	if _, err := l.Acquire(shed); err == nil {
		t.Error("a 10th sheddable call was admitted: want sheddable refused at 90 % of the limit")
	}
	p, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatalf("default call at 9 of 10: %v", err)
	}
	held = append(held, p)
	if _, err := l.Acquire(context.Background()); err == nil {
		t.Error("a default call past the limit was admitted")
	}
	p, err = l.Acquire(crit)
	if err != nil {
		t.Fatalf("critical call at the limit: %v", err)
	}
	held = append(held, p)
	if _, err := l.Acquire(crit); err == nil {
		t.Error("a second critical call past the limit was admitted: want 10 % (at least 1) above it")
	}
	for _, p := range held {
		p.Release()
	}
}

func TestAbandonedCallIsDroppedBeforeItRuns(t *testing.T) {
	l := fixed(t, 5, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := l.Do(ctx, func(context.Context) error { ran = true; return nil })
	if ran || !errors.Is(err, adaptive.ErrAbandoned) || !errors.Is(err, context.Canceled) || !errors.Is(err, rampart.ErrRejected) {
		t.Fatalf("ran=%v err=%v: want not run, ErrAbandoned, context.Canceled", ran, err)
	}
	if s := l.Snapshot(); s.InFlight != 0 {
		t.Errorf("in flight %d after a dropped call", s.InFlight)
	}
}

func TestPanicReleasesAndPropagates(t *testing.T) {
	l := fixed(t, 1, 0)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		_ = l.Do(context.Background(), func(context.Context) error { panic("boom") })
	}()
	if s := l.Snapshot(); s.InFlight != 0 {
		t.Fatalf("in flight %d after a panic", s.InFlight)
	}
	if err := l.Do(context.Background(), func(context.Context) error { return nil }); err != nil {
		t.Errorf("after a panic: %v", err)
	}
}

// A queued call gets the slot a finishing call frees.
func TestQueueHandsOverFreedSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := fixed(t, 1, 4)
		held, err := l.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() {
			p, err := l.Acquire(t.Context())
			if err == nil {
				p.Release()
			}
			got <- err
		}()
		synctest.Wait()
		if s := l.Snapshot(); s.Queued != 1 {
			t.Fatalf("queued %d, want 1", s.Queued)
		}
		time.Sleep(time.Millisecond) // virtual time: less than the queue's timeout
		held.Release()
		if err := <-got; err != nil {
			t.Fatalf("queued call: %v", err)
		}
		if s := l.Snapshot(); s.InFlight != 0 || s.Queued != 0 {
			t.Errorf("snapshot %+v, want nothing in flight or queued", s)
		}
	})
}

// CoDel: a call waits QueueInterval while the queue has been emptying,
// only QueueTarget once it has stayed non-empty for QueueInterval.
func TestQueueTimeoutsShortenUnderOverload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := fixed(t, 1, 100)
		held, _ := l.Acquire(t.Context())
		defer held.Release()
		wait := func() (time.Duration, error) {
			start := time.Now()
			_, err := l.Acquire(t.Context())
			return time.Since(start), err
		}
		// The first waiter finds an empty queue: the long timeout.
		d, err := wait()
		if !errors.Is(err, adaptive.ErrQueueTimeout) || d != 100*time.Millisecond {
			t.Fatalf("first wait: %v after %v, want ErrQueueTimeout after 100ms", err, d)
		}
		// Keep the queue non-empty for longer than the interval: a call
		// joins every 2ms, less than even the short timeout.
		var wg sync.WaitGroup
		for i := range 150 {
			wg.Go(func() {
				time.Sleep(time.Duration(i) * 2 * time.Millisecond)
				_, _ = l.Acquire(t.Context())
			})
		}
		time.Sleep(250 * time.Millisecond)
		d, err = wait()
		if !errors.Is(err, adaptive.ErrQueueTimeout) || d != 5*time.Millisecond {
			t.Errorf("wait under overload: %v after %v, want ErrQueueTimeout after 5ms", err, d)
		}
		wg.Wait()
	})
}

// A call whose deadline leaves no time for the work is refused at once.
func TestQueueRefusesCallThatCannotMeetItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := fixed(t, 1, 10)
		// Teach the limiter that a call takes about 20ms.
		for range 20 {
			p, _ := l.Acquire(t.Context())
			time.Sleep(20 * time.Millisecond)
			p.Release()
		}
		if est := l.Snapshot().Latency; est < 15*time.Millisecond {
			t.Fatalf("latency estimate %v, want about 20ms", est)
		}
		held, _ := l.Acquire(t.Context())
		defer held.Release()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := l.Acquire(ctx)
		if !errors.Is(err, adaptive.ErrDeadline) || time.Since(start) != 0 {
			t.Fatalf("%v after %v, want ErrDeadline at once", err, time.Since(start))
		}
		// With 50ms left it waits, but only until 20ms before the deadline.
		ctx2, cancel2 := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel2()
		start = time.Now()
		_, err = l.Acquire(ctx2)
		if !errors.Is(err, adaptive.ErrLimited) || time.Since(start) > 35*time.Millisecond {
			t.Fatalf("%v after %v, want a rejection before the deadline leaves too little time", err, time.Since(start))
		}
	})
}

// Critical waiters go first; a full queue sheds its sheddable waiters for
// more critical arrivals; a sheddable arrival at a full queue is refused.
func TestQueuePriorities(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := fixed(t, 10, 2, func(c *adaptive.Config) { c.QueueInterval = time.Second; c.QueueTarget = time.Second })
		ctxOf := func(p rampart.Priority) context.Context { return rampart.WithPriority(t.Context(), p) }
		// Fill every level: 10 default calls, and the one critical call
		// allowed above the limit.
		var held []adaptive.Permit
		for i := range 11 {
			p, err := l.Acquire(ctxOf(map[bool]rampart.Priority{true: rampart.PriorityCritical}[i == 10]))
			if err != nil {
				t.Fatal(i, err)
			}
			held = append(held, p)
		}
		type res struct {
			name string
			err  error
		}
		out := make(chan res, 4)
		start := func(name string, p rampart.Priority) {
			go func() {
				pm, err := l.Acquire(ctxOf(p))
				if err == nil {
					time.Sleep(time.Millisecond)
					pm.Release()
				}
				out <- res{name, err}
			}()
			synctest.Wait()
		}
		start("shed", rampart.PrioritySheddable)
		start("default", rampart.PriorityDefault)
		start("critical", rampart.PriorityCritical) // queue full: sheds "shed"
		r := <-out
		if r.name != "shed" || !errors.Is(r.err, adaptive.ErrShed) {
			t.Fatalf("first answer %s: %v, want shed with ErrShed", r.name, r.err)
		}
		start("late-shed", rampart.PrioritySheddable) // full, nothing lower: refused
		r = <-out
		if r.name != "late-shed" || !errors.Is(r.err, adaptive.ErrLimited) {
			t.Fatalf("answer %s: %v, want late-shed refused", r.name, r.err)
		}
		held[10].Release() // frees a slot only a critical call may take
		if r := <-out; r.name != "critical" || r.err != nil {
			t.Fatalf("got %s: %v, want critical served", r.name, r.err)
		}
		for _, p := range held[:10] {
			p.Release()
		}
		for _, want := range []string{"default"} {
			r = <-out
			if r.name != want || r.err != nil {
				t.Fatalf("got %s: %v, want %s served", r.name, r.err, want)
			}
		}
	})
}

// A waiter whose context ends leaves the queue and holds no slot.
func TestQueueCancelWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := fixed(t, 1, 4)
		held, _ := l.Acquire(t.Context())
		ctx, cancel := context.WithCancel(t.Context())
		got := make(chan error, 1)
		go func() { _, err := l.Acquire(ctx); got <- err }()
		synctest.Wait()
		cancel()
		if err := <-got; !errors.Is(err, adaptive.ErrAbandoned) || !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled waiter: %v", err)
		}
		held.Release()
		if s := l.Snapshot(); s.InFlight != 0 || s.Queued != 0 {
			t.Errorf("snapshot %+v, want empty", s)
		}
	})
}

// Under overload the queue turns LIFO: the newest waiter is served first.
func TestQueueLIFOUnderOverload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := fixed(t, 1, 10, func(c *adaptive.Config) {
			c.QueueInterval = 50 * time.Millisecond
			c.QueueTarget = 50 * time.Millisecond
		})
		held, _ := l.Acquire(t.Context())
		order := make(chan int, 3)
		for i := range 3 {
			go func() {
				p, err := l.Acquire(t.Context())
				if err == nil {
					order <- i
					p.Release()
				}
			}()
			synctest.Wait()
			time.Sleep(20 * time.Millisecond) // the queue stays non-empty past the interval
		}
		held.Release()
		synctest.Wait()
		close(order)
		var got []int
		for i := range order {
			got = append(got, i)
		}
		if len(got) == 0 || got[0] != 2 {
			t.Errorf("served %v, want the newest waiter (2) first", got)
		}
	})
}

func TestAcquireFuncForEventLoops(t *testing.T) {
	clock := rampart.NewManualClock(time.Unix(0, 0))
	l, err := adaptive.New(adaptive.Config{MinLimit: 1, MaxLimit: 1, InitialLimit: 1, MaxQueue: 1, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	var first adaptive.Permit
	l.AcquireFunc(rampart.PriorityDefault, time.Time{}, func(p adaptive.Permit, err error) { first = p })
	var got error = errors.New("not answered")
	l.AcquireFunc(rampart.PriorityDefault, time.Time{}, func(p adaptive.Permit, err error) { got = err; p.Release() })
	if got == nil || l.Snapshot().Queued != 1 {
		t.Fatalf("second call answered %v before a slot freed", got)
	}
	first.Release()
	if got != nil {
		t.Fatalf("queued call: %v, want the freed slot", got)
	}
	// A queued call whose wait ends is rejected from the clock's timer.
	l.AcquireFunc(rampart.PriorityDefault, time.Time{}, func(p adaptive.Permit, err error) { first = p })
	got = nil
	l.AcquireFunc(rampart.PriorityDefault, time.Time{}, func(p adaptive.Permit, err error) { got = err })
	clock.Advance(time.Second)
	if !errors.Is(got, adaptive.ErrQueueTimeout) {
		t.Fatalf("timed-out call: %v", got)
	}
	first.Release()
}
