// Package striped holds counters for counts that goroutines on many cores
// may add to at once and that are read rarely: a breaker's rejections, the
// calls in each bucket of a time window.
//
// # Cost
//
// A single atomic counter written from several cores moves its cache line
// from core to core on every add; that transfer, not the add, is the cost.
// Spreading the counter over lines, one per goroutine most of the time,
// removes the transfer but costs memory: a line of 128 bytes per core. So a
// [Counter] or a [Set] starts as plain atomic words and spreads only once
// an add sees another add land at the same moment, sizing the spread to the
// machine (GOMAXPROCS). Counters that are never contended never pay for
// lines.
//
// # Reading
//
// Load sums the base word and the lines. Adds that run during a Load may or
// may not be counted; once they stop the sum is exact.
package striped
