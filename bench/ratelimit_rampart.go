package bench

import (
	"context"

	"github.com/rampart-go/rampart/ratelimit"
)

// rampart's RateLimit row: a GCRA limiter of Rate per second and Burst at
// once, asked with Allow, the non-blocking decision on the limiter's own
// clock, as the peers' rows are. Allow reads the clock (time.Since, the
// monotonic clock alone) on every call, as x/time/rate's Allow reads
// time.Now; ratelimit's package benchmarks show AllowAt, which takes a time
// the caller already holds, without that read.
func rampartRateLimitSubjects() []Subject {
	return []Subject{{Lib: "rampart", New: rampartLimiter}}
}

func rampartLimiter() Instance {
	lim := must(ratelimit.New(ratelimit.Config{Rate: Rate, Burst: Burst}))
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		if !lim.Allow() {
			return ErrLimited
		}
		return fn(ctx)
	}}
}
