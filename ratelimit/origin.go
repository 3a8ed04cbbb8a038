package ratelimit

import (
	"time"

	"github.com/rampart-go/rampart"
)

// origin is a limiter's time: int64 nanoseconds since base, read from
// clock. Both kinds of limiter keep their state in that time.
type origin struct {
	base  time.Time     // when the limiter was built
	clock rampart.Clock // nil: the real clock
}

func newOrigin(clock rampart.Clock) origin { return origin{base: rampart.Now(clock), clock: clock} }

// now returns the limiter's current time. With the real clock this is
// [time.Since], which reads only the monotonic clock (and, in a
// testing/synctest bubble, the bubble's time).
func (o *origin) now() int64 {
	if o.clock == nil {
		return clampTime(int64(time.Since(o.base)))
	}
	return clampTime(int64(o.clock.Now().Sub(o.base)))
}

// at converts a time passed by the caller into the limiter's time.
func (o *origin) at(t time.Time) int64 { return clampTime(int64(t.Sub(o.base))) }

// time converts the limiter's time t back, for events.
func (o *origin) time(t int64) time.Time { return o.base.Add(time.Duration(t)) }

// clampTime keeps a time within ±2^60 ns (±36 years) of the limiter's
// origin: with a limit and a reservation's wait of at most maxSpan each, a
// state never passes 7×2^60, so no sum overflows.
func clampTime(t int64) int64 { return min(max(t, -(1<<60)), 1<<60) }
