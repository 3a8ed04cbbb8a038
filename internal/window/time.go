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
// Recording is an atomic add on the current bucket's call counter (more for
// a failed or slow call). The call counters form a [striped.Set]: plain
// words until goroutines on different cores are seen recording at once,
// spread over lines from then on. A bucket is recycled, under a lock, the
// first time a call lands in it after its period has passed, so the lock is
// taken once per bucket width at most.
//
// # Time that goes backwards
//
// A call recorded with a time before the newest bucket (a clock set
// backwards, or a writer delayed by a whole bucket) is counted in the
// newest bucket, and [Time.Counts] judges a window that ends no earlier
// than the newest bucket: a clock that steps back never stops the window
// counting.
//
// The zero value is not usable; use [NewTime].
type Time struct {
	width   int64
	n       int64
	cur     atomic.Pointer[bucket] // the newest bucket: the next call most likely lands there too
	mu      sync.Mutex             // serialises recycling
	buckets []bucket
	calls   striped.Set // calls per bucket, by bucket position

	// Calls and failures of the buckets recycled or reset since NewTime,
	// for Totals. Written under mu.
	pastCalls, pastFailures atomic.Int64
}

type bucket struct {
	idx      atomic.Int64 // the bucket number held, floor(t/width); unused when empty
	failures atomic.Int64
	slow     atomic.Int64
	pos      int // position in Time.buckets and Time.calls
}

const unused = -1 << 63

// NewTime returns an empty window of n buckets of width nanoseconds each;
// both must be positive.
func NewTime(width int64, n int) *Time {
	w := &Time{width: width, n: int64(n), buckets: make([]bucket, n)}
	w.calls.Init(n)
	for i := range w.buckets {
		w.buckets[i].idx.Store(unused)
		w.buckets[i].pos = i
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
			w.add(b, f)
			return
		}
	}
	w.recordSlow(now, f)
}

func (w *Time) recordSlow(now int64, f Flags) {
	k := floorDiv(now, w.width)
	if c := w.cur.Load(); c != nil && c.idx.Load() > k {
		// Behind the newest bucket: count it there.
		w.add(c, f)
		return
	}
	b := &w.buckets[floorMod(k, w.n)]
	if b.idx.Load() != k && !w.recycle(b, k) {
		return
	}
	w.add(b, f)
	if c := w.cur.Load(); c == nil || c.idx.Load() < k {
		w.cur.Store(b)
	}
}

func (w *Time) add(b *bucket, f Flags) {
	w.calls.Add(b.pos, 1)
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
		w.clearLocked(b)
		b.idx.Store(k)
	}
	return true
}

// clearLocked empties b, keeping its counts in the lifetime totals. A
// writer that sees b's new idx counts after the clear.
func (w *Time) clearLocked(b *bucket) {
	if b.idx.Load() != unused {
		w.pastCalls.Add(w.calls.Load(b.pos))
		w.pastFailures.Add(b.failures.Load())
	}
	w.calls.Reset(b.pos)
	b.failures.Store(0)
	b.slow.Store(0)
}

// Reset empties the window, keeping its counts in [Time.Totals] and its
// memory (spread call counters included) for reuse. Calls recorded while
// it runs may be counted in the emptied window or not at all.
func (w *Time) Reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cur.Store(nil)
	for i := range w.buckets {
		b := &w.buckets[i]
		w.clearLocked(b)
		b.idx.Store(unused)
	}
}

// Counts returns the totals of the buckets in the window that ends at now,
// or at the newest bucket if now is before it.
func (w *Time) Counts(now int64) Counts {
	k := floorDiv(now, w.width)
	if c := w.cur.Load(); c != nil {
		k = max(k, c.idx.Load())
	}
	var c Counts
	for i := range w.buckets {
		b := &w.buckets[i]
		if idx := b.idx.Load(); idx <= k && idx > k-w.n {
			c.Calls += w.calls.Load(i)
			c.Failures += b.failures.Load()
			c.Slow += b.slow.Load()
		}
	}
	return c
}

// Totals returns the calls and failures recorded since NewTime, in the
// window or not (Slow is not kept).
func (w *Time) Totals() Counts {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := Counts{Calls: w.pastCalls.Load(), Failures: w.pastFailures.Load()}
	for i := range w.buckets {
		b := &w.buckets[i]
		if b.idx.Load() != unused {
			c.Calls += w.calls.Load(i)
			c.Failures += b.failures.Load()
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
