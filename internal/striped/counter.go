package striped

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// lineSize is the span a core's prefetcher pulls in: two cache lines.
const lineSize = 128

// maxLines caps how many lines a Set spreads over, however many cores the
// machine has.
const maxLines = 32

// Counter is an int64 counter that costs 16 bytes until goroutines are
// seen adding to it at the same time; from then on it is spread over lines
// (see [Set]). The zero value is a counter at zero, ready to use; a Counter
// must not be copied after first use.
type Counter struct {
	n      atomic.Int64
	spread atomic.Pointer[cells]
}

// Add adds d to the counter.
func (c *Counter) Add(d int64) {
	if s := c.spread.Load(); s != nil {
		s.add(0, d)
		return
	}
	// As in Set.Add.
	if c.n.Load()+d != c.n.Add(d) {
		c.spread.CompareAndSwap(nil, newCells(1))
	}
}

// Load returns the counter's value. Adds that run at the same time may or
// may not be counted; once they stop it is exact.
func (c *Counter) Load() int64 {
	n := c.n.Load()
	if s := c.spread.Load(); s != nil {
		n += s.load(0)
	}
	return n
}

// Reset sets the counter to zero. Adds that run at the same time may be
// lost or kept.
func (c *Counter) Reset() {
	c.n.Store(0)
	if s := c.spread.Load(); s != nil {
		s.reset(0)
	}
}

// Spread reports whether the counter has been spread over lines.
func (c *Counter) Spread() bool { return c.spread.Load() != nil }

// Set is a fixed number of int64 counters, numbered from 0, that costs 8
// bytes a counter until goroutines are seen adding to the same counter at
// the same time. Then it spreads: each of GOMAXPROCS×4 lines (rounded up to
// a power of two, at most 32) holds a copy of every counter, and a
// goroutine adds to the line picked by a hash of its stack address, which
// stays in its core's cache. Load sums the lines.
//
// The spread is allocated once and kept: a Set that saw contention keeps
// its lines, so the cost is paid once, not per state change.
type Set struct {
	base   []atomic.Int64
	spread atomic.Pointer[cells]
}

// NewSet returns a set of n counters at zero.
func NewSet(n int) *Set { return &Set{base: make([]atomic.Int64, n)} }

// Init makes s a set of n counters at zero, for a Set embedded in another
// value.
func (s *Set) Init(n int) { s.base = make([]atomic.Int64, n) }

// Add adds d to counter i.
func (s *Set) Add(i int, d int64) {
	if c := s.spread.Load(); c != nil {
		c.add(i, d)
		return
	}
	// Another add landing between this load and this add means
	// goroutines contend for the line: spread for the adds that follow.
	if n := &s.base[i]; n.Load()+d != n.Add(d) {
		s.spread.CompareAndSwap(nil, newCells(len(s.base)))
	}
}

// Load returns counter i: see [Counter.Load].
func (s *Set) Load(i int) int64 {
	n := s.base[i].Load()
	if c := s.spread.Load(); c != nil {
		n += c.load(i)
	}
	return n
}

// Reset sets counter i to zero: see [Counter.Reset].
func (s *Set) Reset(i int) {
	s.base[i].Store(0)
	if c := s.spread.Load(); c != nil {
		c.reset(i)
	}
}

// Spread reports whether the set has been spread over lines.
func (s *Set) Spread() bool { return s.spread.Load() != nil }

// cells is the spread form: lines of stride counters each, every line
// starting on a lineSize boundary of its own.
type cells struct {
	bits   uint
	stride int
	c      []atomic.Int64
}

func newCells(n int) *cells {
	lines, bits := 1, uint(0)
	for lines < 4*runtime.GOMAXPROCS(0) && lines < maxLines {
		lines *= 2
		bits++
	}
	const perLine = lineSize / 8
	stride := (n + perLine - 1) / perLine * perLine
	return &cells{bits: bits, stride: stride, c: make([]atomic.Int64, lines*stride)}
}

func (c *cells) add(i int, d int64) { c.c[index(c.bits)*c.stride+i].Add(d) }

func (c *cells) load(i int) int64 {
	var n int64
	for j := i; j < len(c.c); j += c.stride {
		n += c.c[j].Load()
	}
	return n
}

func (c *cells) reset(i int) {
	for j := i; j < len(c.c); j += c.stride {
		c.c[j].Store(0)
	}
}

// index picks the line for the calling goroutine from the address of a
// variable on its stack (a goroutine's stack moves only when it grows, and
// then the line merely changes). Fibonacci hashing spreads stacks a few
// kilobytes apart over the lines. With bits 0 it is line 0.
func index(bits uint) int {
	var x byte
	a := uint64(uintptr(unsafe.Pointer(&x)))
	return int((a >> 10 * 0x9E3779B97F4A7C15) >> (64 - bits))
}
