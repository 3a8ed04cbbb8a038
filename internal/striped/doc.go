// Package striped holds [Counter], an int64 counter split over cache lines
// for counts that goroutines on many cores add to at once and that are read
// rarely: a breaker's calls per time bucket, its rejections.
//
// A single atomic counter written from several cores moves its cache line
// from core to core on every add; that transfer, not the add, is the cost.
// A Counter gives each goroutine a line of its own most of the time, picked
// by a hash of the goroutine's stack address, so a goroutine keeps writing
// the line already in its core's cache. Reading sums the lines.
package striped
