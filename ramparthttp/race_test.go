//go:build race

package ramparthttp_test

// raceEnabled is true when the tests run under the race detector, which
// slows byte-pushing loops about tenfold.
const raceEnabled = true
