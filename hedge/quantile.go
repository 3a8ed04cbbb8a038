package hedge

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Latencies are kept in a log-bucketed histogram: eight buckets per power
// of two, so a bucket's bounds are within 12.5% of each other, over the
// whole range of a time.Duration. Recording is two atomic adds; no lock.
const (
	subBits = 3
	subs    = 1 << subBits
	buckets = (64-subBits)*subs + subs
)

// bucketOf returns the bucket of a latency of v nanoseconds.
func bucketOf(v uint64) int {
	if v < subs {
		return int(v)
	}
	e := bits.Len64(v) - 1 // ≥ subBits
	m := (v >> (e - subBits)) & (subs - 1)
	return (e-subBits+1)*subs + int(m)
}

// upperBound returns the largest latency, in nanoseconds, that falls in
// bucket i.
func upperBound(i int) uint64 {
	if i < subs {
		return uint64(i)
	}
	e := i/subs + subBits - 1
	m := uint64(i % subs)
	lo := (subs + m) << (e - subBits)
	return lo + (1 << (e - subBits)) - 1
}

// estimator tracks a quantile of recent latencies. It holds two halves of
// Window samples each: samples go to the current half; when it is full the
// other half is cleared and becomes current, so the estimate always covers
// the last Window to 2×Window samples and forgets older ones.
//
// The quantile is recomputed by the goroutine whose sample completes each
// eighth of a half, and published in one atomic word that every call
// reads: a scan of the histogram costs about a microsecond, amortized to a
// few nanoseconds a call. Races between a rotation and samples recorded at
// that moment can misplace a handful of samples, which a quantile over a
// thousand does not notice.
type estimator struct {
	q          float64
	window     uint64
	step       uint64 // recompute every step samples
	minSamples uint64
	gen        atomic.Uint64 // the current half is gen&1
	delay      atomic.Int64  // the published quantile, ns; 0 while too few samples
	halves     [2]half
}

type half struct {
	n      atomic.Uint64
	counts [buckets]atomic.Uint32
}

func newEstimator(q float64, window, minSamples int) *estimator {
	return &estimator{
		q:          q,
		window:     uint64(window),
		step:       max(uint64(window)/8, 1),
		minSamples: uint64(minSamples),
	}
}

// observe records a latency.
func (e *estimator) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	g := e.gen.Load()
	h := &e.halves[g&1]
	h.counts[bucketOf(uint64(d))].Add(1)
	n := h.n.Add(1)
	switch {
	case n == e.window:
		other := &e.halves[(g+1)&1]
		for i := range other.counts {
			other.counts[i].Store(0)
		}
		other.n.Store(0)
		e.gen.Add(1)
		e.publish()
	case n%e.step == 0:
		e.publish()
	}
}

// publish recomputes the quantile over both halves.
func (e *estimator) publish() {
	a, b := &e.halves[0], &e.halves[1]
	var total uint64
	var sum [buckets]uint32
	for i := range sum {
		sum[i] = a.counts[i].Load() + b.counts[i].Load()
		total += uint64(sum[i])
	}
	if total < e.minSamples || total == 0 {
		return
	}
	rank := uint64(math.Ceil(e.q * float64(total)))
	var seen uint64
	for i, c := range sum {
		seen += uint64(c)
		if seen >= rank {
			v := upperBound(i)
			if v > math.MaxInt64 {
				v = math.MaxInt64
			}
			e.delay.Store(max(int64(v), 1))
			return
		}
	}
}

// current returns the published quantile; ok is false until enough
// samples have been seen.
func (e *estimator) current() (time.Duration, bool) {
	d := e.delay.Load()
	return time.Duration(d), d > 0
}
