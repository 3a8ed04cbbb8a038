// Package bubble tells whether the calling goroutine runs in a
// testing/synctest bubble, for code that keeps a timer shared by all its
// callers: a timer made in a bubble belongs to it and must not be touched
// from outside, nor one made outside from within, so such code gives each
// call in a bubble a timer of its own.
package bubble

import "time"

// Now returns time.Now, and whether the caller runs outside any bubble.
// In a bubble the runtime gives time.Now no monotonic reading, since the
// bubble's clock is fake; outside one it always has one.
func Now() (now time.Time, outside bool) {
	now = time.Now()
	return now, now != now.Round(0)
}

// In reports whether the caller runs in a testing/synctest bubble.
func In() bool {
	_, outside := Now()
	return !outside
}
