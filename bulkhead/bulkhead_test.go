package bulkhead_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/bulkhead"
	"github.com/rampart-go/rampart/internal/testutil"
)

func mustNew(t *testing.T, c bulkhead.Config) *bulkhead.Bulkhead {
	t.Helper()
	b, err := bulkhead.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigRejectsInvalidFields(t *testing.T) {
	cases := []struct {
		field string
		c     bulkhead.Config
	}{
		{"MaxConcurrent", bulkhead.Config{}},
		{"MaxConcurrent", bulkhead.Config{MaxConcurrent: -1}},
		{"MaxConcurrent", bulkhead.Config{MaxConcurrent: 1 << 40}},
		{"MaxQueue", bulkhead.Config{MaxConcurrent: 1, MaxQueue: -1}},
		{"MaxQueue", bulkhead.Config{MaxConcurrent: 1, MaxQueue: 1 << 40}},
		{"MaxWait", bulkhead.Config{MaxConcurrent: 1, MaxWait: -1}},
		{"MinTimeLeft", bulkhead.Config{MaxConcurrent: 1, MinTimeLeft: -time.Second}},
	}
	for _, tc := range cases {
		_, err := bulkhead.New(tc.c)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("New(%+v) = %v, want a ConfigError naming %s", tc.c, err, tc.field)
		}
	}
}

func TestConfigJSONDurationsAsStrings(t *testing.T) {
	var c bulkhead.Config
	if err := json.Unmarshal([]byte(`{"max_concurrent":4,"max_queue":8,"max_wait":"250ms"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.MaxConcurrent != 4 || c.MaxQueue != 8 || c.MaxWait != 250*time.Millisecond {
		t.Fatalf("got %+v", c)
	}
	b, _ := json.Marshal(c)
	if string(b) != `{"max_concurrent":4,"max_queue":8,"max_wait":"250ms"}` {
		t.Fatalf("marshal = %s", b)
	}
	if err := json.Unmarshal([]byte(`{"max_wiat":"1s"}`), &c); err == nil {
		t.Fatal("unknown key accepted")
	}
}

func TestRejectsWhenFullWithoutQueue(t *testing.T) {
	var rec testutil.Recorder
	b := mustNew(t, bulkhead.Config{MaxConcurrent: 2, Observers: []rampart.Observer{&rec}})
	p1, err1 := b.Acquire(context.Background())
	p2, err2 := b.Acquire(context.Background())
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	_, err := b.Acquire(context.Background())
	if !errors.Is(err, bulkhead.ErrFull) || !errors.Is(err, rampart.ErrRejected) {
		t.Fatalf("third acquire = %v, want ErrFull and ErrRejected", err)
	}
	if got := rec.Of(rampart.EventRejected); len(got) != 1 || got[0].Reason != bulkhead.ReasonFull {
		t.Fatalf("events = %+v", got)
	}
	p1.Release()
	p1.Release() // a no-op
	if s := b.Snapshot(); s.InFlight != 1 || s.Rejected != 1 {
		t.Fatalf("snapshot = %+v, want 1 in flight after a double release", s)
	}
	p2.Release()
	var zero bulkhead.Permit
	zero.Release()
	if s := b.Snapshot(); s.InFlight != 0 {
		t.Fatalf("snapshot = %+v", s)
	}
}

func TestQueueIsFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, bulkhead.Config{MaxConcurrent: 1, MaxQueue: 10})
		p, _ := b.Acquire(context.Background())
		var order []int
		var mu sync.Mutex
		for i := range 5 {
			go func() {
				q, err := b.Acquire(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				q.Release()
			}()
			synctest.Wait() // goroutine i is queued before i+1 starts
		}
		if s := b.Snapshot(); s.Queued != 5 {
			t.Fatalf("queued = %d", s.Queued)
		}
		p.Release()
		synctest.Wait()
		// A newcomer arriving while the others drain does not jump the
		// queue: it waits its turn.
		nc, err := b.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		nc.Release()
		synctest.Wait()
		for i, v := range order {
			if i != v {
				t.Fatalf("order = %v, want FIFO", order)
			}
		}
		if len(order) != 5 {
			t.Fatalf("order = %v", order)
		}
	})
}

func TestCancelWhileQueuedGivesUpThePlace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, bulkhead.Config{MaxConcurrent: 1, MaxQueue: 1})
		p, _ := b.Acquire(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := b.Acquire(ctx)
			errc <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		// The place is free again: another call can queue and gets the slot.
		got := make(chan error, 1)
		go func() {
			q, err := b.Acquire(context.Background())
			q.Release()
			got <- err
		}()
		synctest.Wait()
		p.Release()
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		if s := b.Snapshot(); s.InFlight != 0 || s.Queued != 0 {
			t.Fatalf("snapshot = %+v", s)
		}
	})
}

func TestDeadlineEndsWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, bulkhead.Config{MaxConcurrent: 1, MaxQueue: 1})
		p, _ := b.Acquire(context.Background())
		defer p.Release()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := b.Acquire(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
		if s := b.Snapshot(); s.Queued != 0 {
			t.Fatalf("queued = %d", s.Queued)
		}
	})
}

func TestNeverQueuesWorkThatCannotMeetItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, bulkhead.Config{MaxConcurrent: 1, MaxQueue: 4, MinTimeLeft: 100 * time.Millisecond})
		p, _ := b.Acquire(context.Background())
		defer p.Release()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := b.Acquire(ctx)
		var re *bulkhead.RejectedError
		if !errors.As(err, &re) || re.Reason != bulkhead.ReasonDeadline {
			t.Fatalf("err = %v, want a deadline rejection", err)
		}
		done, cancel2 := context.WithCancel(context.Background())
		cancel2()
		if _, err := b.Acquire(done); !errors.Is(err, context.Canceled) {
			t.Fatalf("done context: err = %v", err)
		}
		if s := b.Snapshot(); s.Queued != 0 {
			t.Fatalf("queued = %d", s.Queued)
		}
	})
}

func TestMaxWait(t *testing.T) {
	clock := rampart.NewManualClock(time.Unix(0, 0))
	b := mustNew(t, bulkhead.Config{MaxConcurrent: 1, MaxQueue: 1, MaxWait: time.Second, Clock: clock})
	p, _ := b.Acquire(context.Background())
	defer p.Release()
	errc := make(chan error, 1)
	go func() {
		_, err := b.Acquire(context.Background())
		errc <- err
	}()
	for clock.Pending() == 0 {
		runtimeGosched()
	}
	clock.Advance(time.Second)
	var re *bulkhead.RejectedError
	if err := <-errc; !errors.As(err, &re) || re.Reason != bulkhead.ReasonMaxWait {
		t.Fatalf("err = %v", err)
	}
}

func TestCriticalDisplacesSheddable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, bulkhead.Config{MaxConcurrent: 1, MaxQueue: 1})
		p, _ := b.Acquire(context.Background())
		shed := make(chan error, 1)
		go func() {
			_, err := b.Acquire(rampart.WithPriority(context.Background(), rampart.PrioritySheddable))
			shed <- err
		}()
		synctest.Wait()
		crit := make(chan error, 1)
		go func() {
			q, err := b.Acquire(rampart.WithPriority(context.Background(), rampart.PriorityCritical))
			q.Release()
			crit <- err
		}()
		synctest.Wait()
		var re *bulkhead.RejectedError
		if err := <-shed; !errors.As(err, &re) || re.Reason != bulkhead.ReasonDisplaced {
			t.Fatalf("sheddable: %v", err)
		}
		// A default call cannot displace the critical one.
		if _, err := b.Acquire(context.Background()); !errors.Is(err, bulkhead.ErrFull) {
			t.Fatalf("default: %v", err)
		}
		p.Release()
		if err := <-crit; err != nil {
			t.Fatal(err)
		}
	})
}

func TestInFlightNeverExceedsLimit(t *testing.T) {
	const limit = 3
	b := mustNew(t, bulkhead.Config{MaxConcurrent: limit, MaxQueue: 8})
	var in, peak, ok, rejected atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				ctx := context.Background()
				var cancel context.CancelFunc
				if i%7 == 0 { // some callers give up while queued
					ctx, cancel = context.WithCancel(ctx)
					go cancel()
				}
				err := b.Do(ctx, func(context.Context) error {
					n := in.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					in.Add(-1)
					return nil
				})
				if cancel != nil {
					cancel()
				}
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, bulkhead.ErrFull), errors.Is(err, context.Canceled):
					rejected.Add(1)
				default:
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > limit {
		t.Fatalf("peak in flight %d > limit %d", p, limit)
	}
	if s := b.Snapshot(); s.InFlight != 0 || s.Queued != 0 {
		t.Fatalf("after the storm: %+v", s)
	}
	if ok.Load() == 0 {
		t.Fatal("nothing ran")
	}
}

func TestPanicReleasesTheSlot(t *testing.T) {
	b := mustNew(t, bulkhead.Config{MaxConcurrent: 1})
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		_ = b.Do(context.Background(), func(context.Context) error { panic("boom") })
	}()
	if s := b.Snapshot(); s.InFlight != 0 {
		t.Fatalf("slot held after a panic: %+v", s)
	}
}
