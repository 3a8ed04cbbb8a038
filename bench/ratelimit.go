package bench

import (
	"context"
	"errors"
	"time"

	"github.com/failsafe-go/failsafe-go/ratelimiter"
	uberratelimit "go.uber.org/ratelimit"
	"golang.org/x/time/rate"
)

// RateLimit class: the limiter's decision on a call it lets through, then
// the call. The permitted rate is Rate per second, far above what a
// benchmark reaches, so every decision is "yes".
//
// Where the libraries differ:
//   - xrate: a token bucket of Burst tokens refilled at Rate; Allow.
//   - failsafe-go: a smooth limiter (one permit every 1/Rate, no burst),
//     asked with TryAcquirePermit, the non-blocking decision. Going
//     through an Executor would add its per-call cost.
//   - uber: go.uber.org/ratelimit's lock-free limiter with a slack of Burst
//     calls, asked with Take. It has no non-blocking form: Take sleeps
//     until the call's slot instead of refusing, which at Rate never
//     happens in the benchmark loop. It reads the clock inside its CAS
//     loop, so a contended call may read it more than once.
//   - rampart: see rampart's row (ratelimit_rampart.go).

// ErrLimited is what a rate-limit row returns when its limiter refuses.
var ErrLimited = errors.New("bench: rate limited")

// RateLimitSubjects lists the RateLimit class's rows.
func RateLimitSubjects() []Subject {
	return append(rampartRateLimitSubjects(), []Subject{
		{Lib: "xrate", New: xrateLimiter},
		{Lib: "failsafe-go", New: failsafeLimiter},
		{Lib: "uber", New: uberLimiter, Blocks: true},
	}...)
}

func xrateLimiter() Instance {
	lim := rate.NewLimiter(Rate, Burst)
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		if !lim.Allow() {
			return ErrLimited
		}
		return fn(ctx)
	}}
}

func failsafeLimiter() Instance {
	rl := ratelimiter.NewSmooth[any](uint(Rate), time.Second)
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		if !rl.TryAcquirePermit() {
			return ErrLimited
		}
		return fn(ctx)
	}}
}

func uberLimiter() Instance {
	rl := uberratelimit.New(int(Rate), uberratelimit.WithSlack(Burst))
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		rl.Take()
		return fn(ctx)
	}}
}
