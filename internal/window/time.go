package window

import (
	"sync"
	"sync/atomic"

	"github.com/rampart-go/rampart/internal/striped"
)

// Time is a sliding window over a period, split into buckets: a call is
// counted in the bucket of the moment it is recorded, and the window holds
// the current bucket and the ones before it, back to the period's length.
// Times are int64 nanoseconds on any fixed origin.
//
// Recording is an atomic add on the current bucket (more for a failed or
// slow call). The calls counter is a [striped.Counter], so goroutines
// recording at once on different cores rarely write the same cache line. A
// bucket is recycled, under a lock, the first time a call lands in it after
// its period has passed, so the lock is taken once per bucket width at most.
//
// A call recorded with a time older than the oldest bucket still held (a
// writer delayed by a whole period, or a clock set backwards) is dropped.
//
// The zero value is not usable; use [NewTime].
type Time struct {
	width   int64
	n       int64
	cur     atomic.Pointer[bucket] // the bucket last recorded in: the next call most likely lands there too
	mu      sync.Mutex             // serialises recycling
	buckets []bucket
}

type bucket struct {
	idx      atomic.Int64 // the bucket number held, floor(t/width); minInt64 when unused
	failures atomic.Int64
	slow     atomic.Int64
	_        [104]byte       // idx is read by every call: keep the calls' lines off its line
	calls    striped.Counter // added to by every call, from any core
}

const unused = -1 << 63

// NewTime returns an empty window of n buckets of width nanoseconds each;
// both must be positive.
func NewTime(width int64, n int) *Time {
	w := &Time{width: width, n: int64(n), buckets: make([]bucket, n)}
	for i := range w.buckets {
		w.buckets[i].idx.Store(unused)
	}
	return w
}

// Record records one call at time now.
//
// A call in the same bucket as the one before finds it without a division:
// a load of the current bucket and a range check.
func (w *Time) Record(now int64, f Flags) {
	if b := w.cur.Load(); b != nil {
		if start := b.idx.Load() * w.width; now >= start && now-start < w.width {
			b.add(f)
			return
		}
	}
	w.recordSlow(now, f)
}

func (w *Time) recordSlow(now int64, f Flags) {
	k := floorDiv(now, w.width)
	b := &w.buckets[floorMod(k, w.n)]
	if b.idx.Load() != k && !w.recycle(b, k) {
		return
	}
	b.add(f)
	if c := w.cur.Load(); c == nil || c.idx.Load() < k {
		w.cur.Store(b)
	}
}

func (b *bucket) add(f Flags) {
	b.calls.Add(1)
	if f&Failed != 0 {
		b.failures.Add(1)
	}
	if f&Slow != 0 {
		b.slow.Add(1)
	}
}

// recycle makes b hold bucket k, unless it already holds a newer one, and
// reports whether a call for k may be counted in it.
func (w *Time) recycle(b *bucket, k int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur := b.idx.Load()
	if cur > k {
		return false
	}
	if cur < k {
		// Clear, then publish: a writer that sees idx == k counts after
		// the clear.
		b.calls.Reset()
		b.failures.Store(0)
		b.slow.Store(0)
		b.idx.Store(k)
	}
	return true
}

// Counts returns the totals of the buckets in the window that ends at now.
func (w *Time) Counts(now int64) Counts {
	k := floorDiv(now, w.width)
	var c Counts
	for i := range w.buckets {
		b := &w.buckets[i]
		if idx := b.idx.Load(); idx <= k && idx > k-w.n {
			c.Calls += b.calls.Load()
			c.Failures += b.failures.Load()
			c.Slow += b.slow.Load()
		}
	}
	return c
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
