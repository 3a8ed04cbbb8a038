// Package rampart is the core of a toolkit for fault tolerance: it defines
// what a policy is, how policies compose, how outcomes are judged, and how
// policies report what they do.
//
// The policies live in their own packages: circuitbreaker, retry, timeout
// and fallback. Each is a plain, non-generic value, safe for concurrent use,
// built once from a Config and reused for every call and every result type.
//
// # Running a call
//
// [Do] runs a function that returns only an error; [Get] runs one that
// returns a value. Both take the context first, and both work with a single
// policy or a [Pipeline]:
//
//	err := rampart.Do(ctx, breaker, func(ctx context.Context) error { ... })
//	recs, err := rampart.Get(ctx, pipeline, func(ctx context.Context) ([]Item, error) { ... })
//
// Every policy also has a Do method of its own.
//
// # Composition
//
// [Pipeline] composes policies, the first wrapping all the others. The
// recommended order is fallback → overall timeout → retry → circuit breaker
// → bulkhead or rate limit → per-attempt timeout → call; [Pipeline]'s
// documentation says why.
//
// # Outcomes
//
// Every policy judges a call's end as [Success], [Failure] or [Ignored]. By
// default nil is success, a cancellation caused by the caller's own context
// is ignored, and anything else is a failure ([Classify]); each policy takes
// a [Classifier] to override it. Whether a failure may be retried is a
// separate question: [Permanent] errors never are, and an error carrying a
// server's hint ([WithRetryAfter], or any error with a RetryAfter method) is
// waited on instead of the computed backoff.
//
// # Attempts
//
// The protected function learns from its context which attempt it is and
// whether it is a retry or a hedge: see [AttemptFrom].
//
// # Time
//
// Every time-dependent policy takes a [Clock]; nil means the real clock.
// [ManualClock] moves only when told to, for tests and the simulator. Tests
// can equally run the real clock inside a testing/synctest bubble.
//
// # Observability
//
// Policies emit [Event]s for things that happen (a state change, a
// rejection, a retry, a fallback) to the [Observer]s in their config, never
// while holding a lock; [SlogObserver] writes them to log/slog. Counts are
// pulled from each policy's Snapshot, so the success path pays nothing for
// being observable.
//
// # Panics
//
// A panic in the protected function is recorded as a failure, every permit,
// probe slot and goroutine the policies hold is released, and the panic is
// raised again in the caller's goroutine.
//
// # Writing a policy
//
// A policy implements [Policy.Execute], calling [Next.Run] to run the rest of
// the call. A policy that runs attempts concurrently runs each on a
// [Next.Fork] and keeps the winner's result with [Next.Adopt], so no two
// attempts write the same result. A policy that fills in something the
// caller reads after the call, such as a fallback's report, writes it with
// [Publish]: on a fork the write waits for the fork's adoption, so an
// attempt that was abandoned or lost never writes after the caller has
// moved on.
//
// A call with a nil function returns [ErrNilFunc] before any policy runs.
package rampart
