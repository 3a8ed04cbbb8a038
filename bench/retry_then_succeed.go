package bench

import (
	"context"

	"github.com/cenkalti/backoff/v5"
	"github.com/eapache/go-resiliency/retrier"
	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/retrypolicy"

	"github.com/rampart-go/rampart/retry"
)

// RetryThenSucceed class: a retry wrapper whose first attempt fails and
// whose second succeeds, with no wait between them, so the figure is the
// cost of the retry machinery itself: judging the failure, deciding, and
// starting the next attempt. Every row allows MaxAttempts attempts, waits
// zero between them and retries every error.
//
// Where the libraries differ:
//   - rampart keeps its retry budget (a token bucket, on by default), with
//     TokenRatio 1 so that each success earns back the token its call's
//     failure spent and the budget never refuses in a long loop; the row
//     pays for the budget's bookkeeping, which no peer does. Each retry's
//     context carries the attempt number (rampart.AttemptFrom).
//   - backoff: ZeroBackOff with WithMaxTries; Retry still arms its timer
//     for the zero wait and selects on it.
//   - failsafe-go: a RetryPolicy with no delay (its default), built once
//     and called through an Executor; the caller's context is not passed.
//   - eapache: ConstantBackoff of zero; the retrier still makes a timer
//     for each wait.

// RetryThenSucceedSubjects lists the RetryThenSucceed class's rows.
func RetryThenSucceedSubjects() []Subject {
	return []Subject{
		{Lib: "rampart", New: func() Instance {
			p := must(retry.New(retry.Config{
				MaxAttempts:  MaxAttempts,
				Strategy:     retry.Constant(0),
				BudgetConfig: retry.TokenBucketConfig{TokenRatio: 1},
			}))
			return Instance{Call: p.Do}
		}},
		{Lib: "backoff", New: func() Instance {
			return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
				_, err := backoff.Retry(ctx, func() (struct{}, error) { return struct{}{}, fn(ctx) },
					backoff.WithBackOff(&backoff.ZeroBackOff{}), backoff.WithMaxTries(MaxAttempts))
				return err
			}}
		}},
		{Lib: "failsafe-go", New: func() Instance {
			exec := failsafe.With[any](retrypolicy.NewBuilder[any]().
				WithMaxAttempts(MaxAttempts).
				ReturnLastFailure().
				Build())
			return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
				return exec.Run(func() error { return fn(ctx) })
			}}
		}},
		{Lib: "eapache", New: func() Instance {
			r := retrier.New(retrier.ConstantBackoff(MaxAttempts-1, 0), nil)
			return Instance{Call: r.RunCtx}
		}},
	}
}

// FailEveryOther returns a protected function that fails its first call,
// succeeds its second, fails its third, and so on: through a retry, every
// call's first attempt fails and its second succeeds. It is not safe for
// concurrent use.
func FailEveryOther() func(context.Context) error {
	n := 0
	return func(context.Context) error {
		n++
		if n%2 == 1 {
			return ErrFail
		}
		return nil
	}
}
