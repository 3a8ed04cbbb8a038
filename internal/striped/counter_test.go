package striped_test

import (
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

func TestCounterKeepsItsLinesApart(t *testing.T) {
	// Eight lines of 128 bytes: adds on different lines never share a
	// cache line or its prefetched neighbour.
	if got := unsafe.Sizeof(striped.Counter{}); got != 8*128 {
		t.Fatalf("Sizeof(Counter) = %d, want %d", got, 8*128)
	}
}
