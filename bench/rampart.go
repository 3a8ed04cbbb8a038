package bench

import (
	"github.com/rampart-go/rampart/retry"
)

// rampart's rows. rampart is configured like the peers; where it does more
// by default (a retry budget), it keeps doing it, so its rows never measure
// less work than the peers'.

func rampartBreakerSubjects() []Subject           { return nil }
func rampartBreakerTimeWindowSubjects() []Subject { return nil }
func rampartBreakerOpenSubjects() []Subject       { return nil }
func rampartPipelineSubjects() []Subject          { return nil }

// rampartRateLimitSubjects is empty until rampart has a rate limiter.
func rampartRateLimitSubjects() []Subject { return nil }

func rampartRetrySubjects() []Subject {
	return []Subject{{Lib: "rampart", New: rampartRetry}}
}

// rampartRetryPolicy is the Retry class's configuration. rampart has no
// ±fraction jitter: equal jitter draws from [½·delay, delay], the same
// lower bound as the peers' ±50 % and a narrower range. The retry budget
// stays on (the default): the success path pays its cost.
func rampartRetryPolicy() *retry.Policy {
	p, err := retry.New(retry.Config{
		MaxAttempts: MaxAttempts,
		Backoff: retry.BackoffConfig{
			Base:       BaseDelay,
			Multiplier: Multiplier,
			Max:        MaxDelay,
			Jitter:     retry.JitterEqual,
		},
	})
	if err != nil {
		panic(err)
	}
	return p
}

func rampartRetry() Instance {
	return Instance{Call: rampartRetryPolicy().Do}
}
