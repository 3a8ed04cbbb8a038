package fastrand

import (
	"math/rand/v2"
	"sync/atomic"
)

// Source is a seeded, lock-free generator: SplitMix64 driven by an atomic
// counter. Each call advances the counter by one atomic add and mixes the
// result, so concurrent callers never block one another and never draw the
// same value; a single goroutine drawing from a Source seeded with s always
// sees the same sequence, which is what a simulation needs to replay.
//
// The zero value is a valid Source seeded with 0.
type Source struct {
	state atomic.Uint64
}

// New returns a Source seeded with seed.
func New(seed uint64) *Source {
	s := &Source{}
	s.state.Store(seed)
	return s
}

// golden is 2^64 divided by the golden ratio, SplitMix64's increment.
const golden = 0x9e3779b97f4a7c15

// Uint64 returns the next pseudo-random value.
func (s *Source) Uint64() uint64 {
	return mix(s.state.Add(golden))
}

// mix is SplitMix64's finaliser (Steele, Lea and Flood, 2014).
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Runtime is the runtime's own per-thread generator ([rand.Uint64] from
// math/rand/v2): unseeded, lock-free and safe for concurrent use. Its zero
// value is ready to use.
type Runtime struct{}

// Uint64 returns a random value from the runtime's generator.
func (Runtime) Uint64() uint64 { return rand.Uint64() }

// Float64 maps u to a float64 in [0, 1) using its top 53 bits.
func Float64(u uint64) float64 {
	return float64(u>>11) / (1 << 53)
}
