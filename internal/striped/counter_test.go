package striped_test

import (
	"runtime"
	"sync"
	"testing"
	"unsafe"

	"github.com/rampart-go/rampart/internal/striped"
)

func TestCounterLosesNoAddsUnderConcurrency(t *testing.T) {
	var c striped.Counter
	const goroutines, adds = 16, 5000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for range adds {
				c.Add(int64(g%3) + 1)
			}
		})
	}
	wg.Wait()
	want := int64(0)
	for g := range goroutines {
		want += int64(g%3+1) * adds
	}
	if got := c.Load(); got != want {
		t.Fatalf("Load() = %d, want %d", got, want)
	}
}

func TestCounterResetsToZero(t *testing.T) {
	var c striped.Counter
	c.Add(7)
	c.Add(-2)
	if got := c.Load(); got != 5 {
		t.Fatalf("Load() = %d, want 5", got)
	}
	c.Reset()
	if got := c.Load(); got != 0 {
		t.Fatalf("after Reset, Load() = %d, want 0", got)
	}
}

func TestCounterCostsTwoWordsUntilContended(t *testing.T) {
	var c striped.Counter
	if got := unsafe.Sizeof(c); got != 16 {
		t.Fatalf("Sizeof(Counter) = %d, want 16", got)
	}
	for range 1000 {
		c.Add(1)
	}
	if c.Spread() {
		t.Fatal("a counter added to by one goroutine spread over lines")
	}
}

func TestSetSpreadsUnderContentionAndKeepsEveryCount(t *testing.T) {
	s := striped.NewSet(3)
	var wg sync.WaitGroup
	const goroutines, adds = 8, 20000
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range adds {
				s.Add((g+i)%3, 1)
			}
		})
	}
	close(start)
	wg.Wait()
	var total int64
	for i := range 3 {
		total += s.Load(i)
	}
	if total != goroutines*adds {
		t.Fatalf("sum of counters = %d, want %d", total, goroutines*adds)
	}
	if !s.Spread() {
		// Eight goroutines adding 160 000 times to three words: on a
		// machine with one core they may never overlap.
		t.Logf("no contention seen (GOMAXPROCS=%d)", runtime.GOMAXPROCS(0))
	}
	for i := range 3 {
		s.Reset(i)
		if got := s.Load(i); got != 0 {
			t.Fatalf("after Reset(%d), Load = %d", i, got)
		}
	}
}
