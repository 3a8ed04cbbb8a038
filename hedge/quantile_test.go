package hedge

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestBucketBoundsHoldEveryValue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []uint64{0, 1, 7, 8, 9, 15, 16, 17, 1000, 1 << 40, math.MaxInt64, math.MaxUint64}
	for range 10000 {
		values = append(values, r.Uint64()>>r.IntN(64))
	}
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= buckets {
			t.Fatalf("bucketOf(%d) = %d, out of range", v, i)
		}
		if upperBound(i) < v || (i > 0 && upperBound(i-1) >= v) {
			t.Fatalf("v %d in bucket %d with bounds (%d, %d]", v, i, upperBound(i-1), upperBound(i))
		}
		if v >= 64 && float64(upperBound(i)-v) > 0.125*float64(v) {
			t.Fatalf("bucket %d's bound %d is more than 12.5%% above %d", i, upperBound(i), v)
		}
	}
}

func TestEstimatorUnderConcurrency(t *testing.T) {
	// Under -race: many goroutines observe while windows turn; the
	// estimate stays within the range of what was observed.
	e := newEstimator(0.95, 100, 50)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				e.observe(time.Duration(1+(g*2000+i)%20) * time.Millisecond)
			}
		})
	}
	wg.Wait()
	d, ok := e.current()
	if !ok || d < 15*time.Millisecond || d > 23*time.Millisecond {
		t.Fatalf("p95 of 1..20ms = %v, %v", d, ok)
	}
}
