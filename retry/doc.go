// Package retry retries failed calls with backoff and jitter, within the
// caller's deadline and a retry budget, so that a brief fault is smoothed
// over and a long one is not made worse.
//
//	p, err := retry.New(retry.Config{}) // 3 attempts, jittered exponential backoff, a budget
//	err = p.Do(ctx, func(ctx context.Context) error { return client.Call(ctx) })
//
// # Why the defaults
//
// The naive retry loop (retry every error, sleep 1, 2, 4 s, sleep once more
// after the last attempt) multiplies load on a destination that is already
// failing: with 3 attempts a full outage triples the traffic, and clients
// that failed together retry together. Most outages that outlive their
// trigger are kept alive by retries. So by default a [Policy]:
//
//   - makes at most 3 attempts in all ([Config.MaxAttempts]);
//   - waits an exponential backoff from 100ms, doubling, capped at 10s,
//     with full jitter, so retries spread out;
//   - retries only failures per the core classification
//     ([rampart.ClassifyWith]): never a [rampart.Permanent] error, never the
//     caller's own cancellation;
//   - never waits after its last attempt, and never starts a wait that
//     would end at or after the context's deadline: it returns the last
//     failure at once instead;
//   - spends from a retry budget ([TokenBucket], 10 tokens, 0.1 earned
//     per success): once about 50 failures have drained half the bucket,
//     retries stop until successes earn them back, so retries add at most
//     about 10% to the load of a struggling destination.
//
// # Backoff and jitter
//
// A [Backoff] maps a retry number to a delay: [Constant], [Linear],
// [Exponential], made random by [FullJitter] or [EqualJitter], or
// [Decorrelated] (Marc Brooker, "Exponential Backoff And Jitter", AWS
// Architecture Blog) and [SmoothDecorrelated] (Polly v8's
// DecorrelatedJitterBackoffV2, with a controlled median). Each constructor
// documents its formula. The same strategies are described as plain data
// by [BackoffConfig], which reads from JSON.
//
// Strategies that depend on the previous delay keep it in a
// [BackoffState] owned by each call, so no strategy holds shared mutable
// state. Randomness comes from a per-policy source that never takes a lock:
// the runtime's generator by default, or a lock-free seeded generator when
// [Config.Seed] is set, so that a single-threaded run replays bit for bit.
//
// # Server hints, deadlines and cancellation
//
// A failure that carries a retry-after hint ([rampart.RetryAfter], from
// HTTP Retry-After or [rampart.WithRetryAfter]) is retried after the hint
// instead of the backoff, if the hint is no longer than
// [Config.MaxRetryAfter] (default 30s) and the wait fits before the
// deadline and within [Config.MaxElapsed]; otherwise the call returns at
// once with an [*ExhaustedError]. A hint of zero or less is no hint: the
// backoff applies, so a server (or a breaker whose open period has just
// ended) cannot make the policy retry at once.
//
// A rejection by a local policy (an open circuit breaker, a full bulkhead:
// any error matching [rampart.ErrRejected]) is not retried: the downstream
// was never called, an open breaker will not probe for seconds, and the
// point of rejecting is to fail fast so an outer fallback can serve. The
// rejection is returned as it is. [Config.RetryAll] retries rejections too.
//
// Waits use [rampart.Sleep] on [Config.Clock] and stop the moment the
// context is done. The call then returns an error that matches the
// context's error (context.Canceled or context.DeadlineExceeded) and the
// last failure with errors.Is, so outer policies see the caller's
// cancellation and logs keep the cause.
//
// # Errors
//
// When it gives up on a failure it would otherwise retry, the policy
// returns an [*ExhaustedError], which matches [ErrExhausted], carries the
// number of attempts and the reason, and unwraps to the last failure: with
// errors.Is(err, io.ErrUnexpectedEOF) still true. A refusal of the budget
// returns a [*BudgetExhaustedError], which matches [ErrBudgetExhausted]
// and unwraps the same way. An error that is not to be retried (permanent,
// ignored, or judged a success by the classifier) is returned as it is.
//
// # Results
//
// [Config.RetryOnResult] retries calls made with [rampart.Get] whose
// attempt returned no error but an unwanted result (an HTTP 503 response,
// an empty page). It is asked only when set, so the error-only path costs
// nothing. When attempts run out on such a result the call returns the
// last result together with an [*ExhaustedError] (or a
// [*BudgetExhaustedError]) that wraps [ErrRetryableResult].
//
// # Retry budgets
//
// A [Budget] is shared per destination: by every policy that calls it, and
// later by hedging. [TokenBucket] follows gRPC's retry throttling (failures
// spend a token, successes earn TokenRatio, retries refused at half the
// bucket or below), with an optional cost per retry as in the AWS SDK's
// retry quota. [RatioBudget] keeps retries below a share of calls over a
// sliding window, with a small floor of retries per second, as Finagle
// does. The first attempt is never refused. Both are lock-free; a
// [TokenBucket] that is full is only read by a success, so the success
// path costs a load and a compare.
//
// [Config.Budget] nil gives each policy a token bucket of its own, which is
// per destination when, as usual, a policy guards one destination. To
// share a budget, pass the same [Budget] to several policies, or use
// [Budgets] to hand out one bucket per destination name.
//
// # Driving the policy yourself
//
// The decisions of [Policy.Execute] are exported so that a discrete-event
// simulator, or any caller that cannot block, makes exactly the decisions
// the library makes at run time, in virtual time and on one thread.
// Execute makes every decision after a failure through the same [Call];
// its success path does what Begin and Succeeded do, inline:
//
//	c := p.Begin(now, deadline) // counts the call in the budget
//	// ... run attempt 1; when it ends at time now:
//	if err == nil {
//		c.Succeeded()
//	} else if d := c.Failed(context.Background(), err, now); d.Retry {
//		// schedule attempt d.Attempt at now + d.Delay
//		// (if the caller gives up first: return c.Interrupted(context.Canceled))
//	} else {
//		// the call ends with d.Err; d.Reason says why
//	}
//
// [Call.Failed] classifies the error, records it in the budget, picks the
// delay (hint or backoff), checks attempts, deadline and MaxElapsed, asks
// the budget, and emits the events, exactly as Execute does. A [Budget] may
// also be driven directly: OnRequest, OnSuccess, OnFailure, TryRetry. Set
// [Config.Seed] so a run replays, and pass a [rampart.ManualClock] (or
// none) as the budget's and policy's clock; Call takes the time as an
// argument and reads no clock.
//
// For comparisons the naive loop is a config too:
//
//	retry.Config{
//		RetryAll:      true, // every error, timeouts and permanent ones included
//		DisableBudget: true,
//		Backoff:       retry.BackoffConfig{Base: time.Second, Max: time.Hour, Jitter: retry.JitterNone},
//	}
//
// It still never sleeps after its last attempt, and still respects the
// deadline.
//
// # Events
//
// Observers in [Config.Observers] receive [rampart.EventRetryScheduled]
// (the attempt about to run, its delay, the failure that caused it),
// [rampart.EventRetriesExhausted] (attempts made, reason, last failure),
// and [rampart.EventBudgetExhausted]. Successful calls
// emit nothing; [Policy.Snapshot] holds counters of retries and of calls
// that gave up.
//
// # Panics
//
// A panic in the protected function goes on up to the caller untouched and
// is not retried. The policy holds nothing while an attempt runs (no
// permit, no goroutine), so there is nothing to release. Nor is the panic
// charged to the budget: a budget measures the destination's health, a
// panic is a bug on the calling side, and recording it would need a
// deferred call that doubles the cost of every successful call. Policies
// that hold resources (breakers, bulkheads) record panics and emit
// [rampart.EventPanic].
//
// # Cost
//
// When the first attempt succeeds, Execute reads no clock (unless
// MaxElapsed is set), makes no context and allocates nothing; with the
// default budget it reads one shared word and writes none. Retries cost a
// context value per attempt (for [rampart.AttemptFrom]), a clock read per
// failure and a timer per wait.
package retry
