package striped

import (
	"sync/atomic"
	"unsafe"
)

// lineBits sets how many lines a Counter spans: 2^lineBits.
const (
	lineBits = 3
	lines    = 1 << lineBits
)

// Counter is an int64 counter split over 8 lines of 128 bytes (the span a
// core's prefetcher pulls in), 1 KB in all. Add is one atomic add on the
// caller's line; Load sums the lines. The zero value is a counter at zero,
// ready to use; a Counter must not be copied after first use.
type Counter struct {
	lines [lines]line
}

type line struct {
	n atomic.Int64
	_ [120]byte
}

// Add adds d to the counter.
func (c *Counter) Add(d int64) { c.lines[index()].n.Add(d) }

// Load returns the counter's value: the sum of its lines. Adds that run at
// the same time may or may not be counted; once they stop it is exact.
func (c *Counter) Load() int64 {
	var n int64
	for i := range c.lines {
		n += c.lines[i].n.Load()
	}
	return n
}

// Reset sets the counter to zero. Adds that run at the same time may be
// lost or kept.
func (c *Counter) Reset() {
	for i := range c.lines {
		c.lines[i].n.Store(0)
	}
}

// index picks the line for the calling goroutine from the address of a
// variable on its stack (a goroutine's stack moves only when it grows, and
// then the line merely changes). Fibonacci hashing spreads stacks a few
// kilobytes apart over the lines.
func index() int {
	var x byte
	a := uint64(uintptr(unsafe.Pointer(&x)))
	return int((a >> 10 * 0x9E3779B97F4A7C15) >> (64 - lineBits))
}
