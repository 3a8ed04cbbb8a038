package bench_test

import (
	"testing"
	"time"

	"github.com/rampart-go/rampart/bench"
)

// A limiter that waits instead of refusing lets about Burst calls through
// at once after an idle spell, then makes each caller wait for its slot.
func TestBlockingRateLimitRowsSpaceCalls(t *testing.T) {
	for _, s := range bench.RateLimitSubjects() {
		if !s.Blocks {
			continue
		}
		t.Run(s.Lib, func(t *testing.T) {
			inBubble(t, s, func(t *testing.T, in bench.Instance) {
				c := &counter{}
				if err := do(in, c.fn); err != nil {
					t.Fatal(err)
				}
				wait(time.Millisecond) // idle: the slack fills up
				start := time.Now()
				at := 0 // calls made before time had to move
				for time.Now().Equal(start) && at <= 3*bench.Burst {
					if err := do(in, c.fn); err != nil {
						t.Fatal(err)
					}
					at++
				}
				t.Logf("%d calls went at once", at-1)
				// The last call is the one that waited.
				if at-1 < 1 || at-1 > bench.Burst+1 {
					t.Fatalf("%d calls went at once, want 1 to %d", at-1, bench.Burst+1)
				}
				// Then one slot per 1/Rate: 100 more calls take 100 slots.
				start = time.Now()
				for range 100 {
					_ = do(in, c.fn)
				}
				if took := time.Since(start); took < 99*time.Duration(1e9/bench.Rate) {
					t.Fatalf("100 calls in %v, want at least 99 slots of 1/Rate", took)
				}
			})
		})
	}
}
