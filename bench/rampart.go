package bench

import (
	"context"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/fallback"
	"github.com/rampart-go/rampart/retry"
	"github.com/rampart-go/rampart/timeout"
)

// rampart's rows, configured like the peers'. Where rampart does more by
// default (a retry budget), it keeps doing it, so its rows never measure
// less work than the peers'.

func rampartBreakerSubjects() []Subject {
	return []Subject{{Lib: "rampart", New: func() Instance { return Instance{Call: rampartConsecutive().Do} }}}
}

func rampartBreakerTimeWindowSubjects() []Subject {
	return []Subject{{Lib: "rampart", New: func() Instance { return Instance{Call: rampartTimeWindow().Do} }}}
}

// rampartBreakerOpenSubjects has two rows: Do, as every library is called,
// and the two-step Allow, for callers that hold the permit themselves.
func rampartBreakerOpenSubjects() []Subject {
	return []Subject{
		{Lib: "rampart", New: tripped(func() Instance {
			return Instance{Call: rampartConsecutive().Do}
		}, ConsecutiveFailures)},
		{Lib: "rampart-allow", New: tripped(func() Instance {
			return Instance{Call: allowCall(rampartConsecutive())}
		}, ConsecutiveFailures)},
	}
}

// allowCall calls fn through cb's two-step form: Allow, then Done.
func allowCall(cb *circuitbreaker.Breaker) Call {
	return func(ctx context.Context, fn func(context.Context) error) error {
		p, err := cb.Allow()
		if err != nil {
			return err
		}
		err = fn(ctx)
		p.DoneContext(ctx, err)
		return err
	}
}

func rampartRetrySubjects() []Subject {
	return []Subject{{Lib: "rampart", New: func() Instance { return Instance{Call: rampartRetryPolicy().Do} }}}
}

func rampartPipelineSubjects() []Subject {
	return []Subject{{Lib: "rampart", New: rampartPipeline}}
}

// must returns v, or panics on a configuration error: the configurations
// here are constants, so an error is a bug in this file.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// rampartConsecutive is the Breaker class's configuration: ConsecutiveFailures
// in a row trip it, it stays open OpenFor, one probe closes it (the
// defaults for probes).
func rampartConsecutive() *circuitbreaker.Breaker {
	return must(circuitbreaker.New(circuitbreaker.Config{
		ConsecutiveFailures: ConsecutiveFailures,
		OpenDuration:        OpenFor,
	}))
}

// rampartTimeWindow is the BreakerTimeWindow class's configuration.
func rampartTimeWindow() *circuitbreaker.Breaker {
	return must(circuitbreaker.New(circuitbreaker.Config{
		FailureRateThreshold: FailureRate,
		MinimumCalls:         MinCalls,
		WindowDuration:       Window,
		WindowBuckets:        int(Window / WindowBucket),
		OpenDuration:         OpenFor,
	}))
}

// rampartRetryPolicy is the Retry class's configuration. rampart has no
// ±fraction jitter: equal jitter draws from [½·delay, delay], the same
// lower bound as the peers' ±50 % and a narrower range. The retry budget
// stays on (the default): the success path pays its cost.
func rampartRetryPolicy() *retry.Policy {
	return must(retry.New(retry.Config{
		MaxAttempts: MaxAttempts,
		Backoff: retry.BackoffConfig{
			Base:       BaseDelay,
			Multiplier: Multiplier,
			Max:        MaxDelay,
			Jitter:     retry.JitterEqual,
		},
	}))
}

// rampartPipeline is the Pipeline class's configuration: a fallback that
// turns any failure into success, the Retry class's retry, the Breaker
// class's breaker and a cooperative per-attempt timeout of AttemptTimeout.
// The retry does not wait out the open breaker (OpenFor is longer than its
// MaxRetryAfter), so once the breaker trips a call returns at once.
func rampartPipeline() Instance {
	return Instance{Call: rampartComposed(rampartConsecutive(), struct{}{}).Do}
}

// rampartComposed is the Pipeline class's pipeline around cb, with a
// fallback value of v.
func rampartComposed[T any](cb *circuitbreaker.Breaker, v T) *rampart.Chain {
	return rampart.Pipeline(
		must(fallback.Value(v, fallback.Config{})),
		rampartRetryPolicy(),
		cb,
		must(timeout.New(timeout.Config{Timeout: AttemptTimeout})),
	)
}
