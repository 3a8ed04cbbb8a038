// Package window holds the sliding windows that policies count outcomes in:
// [Count], over the last N calls, and [Time], over buckets of a period.
//
// # Concurrency
//
// Both windows are safe for concurrent use without locks on the recording
// path. Counts read while calls are being recorded may be off by the calls in
// flight; once recording stops they are exact.
//
// # Flags
//
// A call is recorded as a set of [Flags]: [Failed] and [Slow]. A call with
// neither is a plain success.
package window

// Flags describe one recorded call.
type Flags uint32

const (
	// Failed marks a call that failed.
	Failed Flags = 1 << iota
	// Slow marks a call that took longer than its policy's threshold.
	Slow
)

// Counts are a window's totals.
type Counts struct {
	Calls    int64 // calls recorded in the window
	Failures int64 // of which failed
	Slow     int64 // of which were slow (failed or not)
}
