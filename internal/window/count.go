package window

import "sync/atomic"

// Count is a sliding window over the last Size calls: a ring of slots
// written with atomics, so recording takes no lock.
//
// A success recorded while every slot holds a plain success changes nothing
// (the window stays all successes), so [Count.Success] then costs one atomic
// load and writes nothing: concurrent successes on a healthy window do not
// contend. Only while the window holds an empty slot, a failure or a slow
// call do successes advance the ring, to push those out.
//
// The zero value is not usable; use [NewCount].
type Count struct {
	// debt counts the slots that are empty or hold a failed or slow call.
	// It is read by every success and written only while it is non-zero,
	// so it sits on a cache line of its own.
	_    [64]byte
	debt atomic.Int64
	_    [56]byte

	cursor   atomic.Uint64 // calls recorded since the window was made
	failures atomic.Int64
	slow     atomic.Int64
	size     uint64
	slots    []atomic.Uint32 // 0 = empty, else filled|flags
}

const filled = 1 << 7

// NewCount returns an empty window over the last size calls; size must be
// positive.
func NewCount(size int) *Count {
	w := &Count{size: uint64(size), slots: make([]atomic.Uint32, size)}
	w.debt.Store(int64(size))
	return w
}

// Success records a plain success. It is small enough to inline: the healthy
// case is one load.
func (w *Count) Success() {
	if w.debt.Load() != 0 {
		w.Record(0)
	}
}

// Healthy reports whether every slot holds a plain success, in which case
// recording a success would change nothing.
func (w *Count) Healthy() bool { return w.debt.Load() == 0 }

// Debt returns the counter that Healthy tests against zero, for a caller
// that folds the test into a check of its own. Only read it.
func (w *Count) Debt() *atomic.Int64 { return &w.debt }

// Record records one call.
func (w *Count) Record(f Flags) {
	pos := w.cursor.Add(1) - 1
	v := uint32(f) | filled
	old := w.slots[pos%w.size].Swap(v)
	if old != v {
		w.replace(old, v)
	}
}

// replace adjusts the totals for a slot that went from old to v.
func (w *Count) replace(old, v uint32) {
	if d := bad(v) - bad(old); d != 0 {
		w.debt.Add(d)
	}
	if d := bit(v, Failed) - bit(old, Failed); d != 0 {
		w.failures.Add(d)
	}
	if d := bit(v, Slow) - bit(old, Slow); d != 0 {
		w.slow.Add(d)
	}
}

func bad(v uint32) int64 {
	if v != filled {
		return 1
	}
	return 0
}

func bit(v uint32, f Flags) int64 {
	if v&uint32(f) != 0 {
		return 1
	}
	return 0
}

// Reset empties the window, keeping its memory. Each slot is emptied the
// way Record fills one, with the totals adjusted for what it held, so a
// call recorded while Reset runs leaves the totals matching the slots;
// such a call may be counted in the emptied window or not at all.
func (w *Count) Reset() {
	for i := range w.slots {
		if old := w.slots[i].Swap(0); old != 0 {
			w.replace(old, 0)
		}
	}
	w.cursor.Store(0)
}

// Size returns the number of calls the window holds when full.
func (w *Count) Size() int { return int(w.size) }

// Counts returns the window's totals.
func (w *Count) Counts() Counts {
	calls := w.cursor.Load()
	if calls > w.size {
		calls = w.size
	}
	return Counts{Calls: int64(calls), Failures: w.failures.Load(), Slow: w.slow.Load()}
}
