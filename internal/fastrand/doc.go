// Package fastrand holds cheap random sources for policies that need
// randomness on their own paths (jitter, sampling).
//
// # Sources
//
// [Source] is seeded and lock-free: a simulation or a test that draws from it
// on one goroutine replays exactly. [Runtime] wraps the runtime's generator:
// unseeded, no lock, the default. Neither takes a global lock, so jitter
// never serialises callers.
package fastrand
