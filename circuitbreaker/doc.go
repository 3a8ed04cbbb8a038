// Package circuitbreaker stops calls to a dependency that keeps failing, so
// it gets time to recover and callers fail fast instead of queueing behind
// it.
//
// A [Breaker] is closed while calls go well. When failures cross a
// configured condition it opens and rejects calls with an error matching
// [ErrOpen] that says, through RetryAfter, when to come back. After the open
// period the next call moves it to half-open, where a few probe calls at a
// time test the dependency: enough successes close it, a failure opens it
// again. Build one with [New] and share it; it is safe for concurrent use.
//
//	cb, err := circuitbreaker.New(circuitbreaker.Config{
//		FailureRateThreshold: 0.5,
//		WindowDuration:       time.Minute,
//	})
//	...
//	err = cb.Do(ctx, func(ctx context.Context) error { return callInventory(ctx) })
//	if errors.Is(err, circuitbreaker.ErrOpen) { ... serve something else ... }
//
// # Trip conditions
//
// Any combination of: consecutive failures; the failure rate over a sliding
// window of the last N calls or of a period of time (in buckets); the rate of
// slow calls; a custom function of the window's counts. Rates are judged
// once the window holds a minimum number of calls. Conditions are checked
// when a failure or a slow call is recorded, never on a plain success.
// Config{} opens after 5 consecutive failures.
//
// # Open and half-open
//
// The open period is fixed, or grows with each consecutive opening up to a
// cap and starts afresh after the breaker has stayed closed for a while. A
// retry-after hint on the failure that trips the breaker (see
// [rampart.RetryAfter]) lengthens it, up to the cap; with
// Config.MinOpenDuration, a shorter hint shortens it, to no less than
// MinOpenDuration, so a breaker tripped by a destination's short
// load-shedding answers comes back when the destination says. The move to half-open
// happens on the first call after the period. On the real clock a timer
// (one per breaker, reused) marks the period's end, so rejecting a call
// reads no clock; with a Config.Clock, or inside a testing/synctest bubble,
// each rejection reads the clock instead (see Config.Clock).
//
// In half-open at most HalfOpenMaxProbes probes run at once; others are
// rejected with an error matching [ErrTooManyProbes] (and [ErrOpen]).
// HalfOpenSuccesses successful probes close the breaker; a failed probe,
// or optionally a failure rate among probes, opens it again; so does
// staying half-open longer than HalfOpenMaxDuration (default 1 minute),
// which writes off the probes still in flight: they hold no slot in the
// next half-open period and their outcomes count for nothing, so a hung
// probe or a permit never reported cannot pin the breaker half-open.
//
// # Outcomes and generations
//
// Each outcome is judged success, failure or ignored by Config.Classifier,
// by default [rampart.Classify]: the caller's own cancellation counts for
// nothing. Every state change starts a new generation (the first is 1); an
// outcome that arrives after the state changed, from a call admitted in an
// older one, is dropped. A panic in the protected function is a failure: its
// probe slot is freed and the panic continues up the caller's goroutine. A
// panic in the classifier, or in a method of the error it judges (Is,
// Unwrap, RetryAfter), frees the probe slot too and continues the same way.
//
// # Two-step use
//
// [Breaker.Allow] returns a [Permit]; report the outcome with [Permit.Done]
// or [Permit.DoneContext]. This form allocates nothing and suits hot paths,
// manual instrumentation and simulators that drive the breaker in virtual
// time. [Breaker.Do] and [Breaker.Execute] (the [rampart.Policy] method) do
// the same around a function. Done and DoneContext clear the permit: a
// second report through the same variable does nothing.
//
// # Manual control and modes
//
// [Breaker.Open], [Breaker.Close], [Breaker.Isolate] (forced open until
// closed), [Breaker.Reset], [Breaker.Disable] (everything passes, nothing is
// recorded) and [Breaker.MetricsOnly] (everything passes, outcomes are
// recorded and [Snapshot] says whether it would have tripped). Config.Mode
// chooses the state to start in.
//
// # Observability
//
// State changes (with from, to, reason and counts), rejections and panics
// are emitted as [rampart.Event]s to Config.Observers, never with a lock
// held, so an observer may call back into the breaker. Events of concurrent
// calls may reach observers in a different order than the changes were
// made; each event's From and To are exact. Counts are pulled with
// [Breaker.Snapshot]: the window's counts, whether a probe is due, and
// [Totals] since New (failures and rejections always; successes for free
// with a time window, at an atomic add per call with
// Config.CountSuccesses otherwise, since the closed success path of the
// other windows writes nothing).
//
// # Clocks that go backwards
//
// A custom clock may step back. A time-based window then counts calls in
// its newest bucket, and judges the window that ends there, so it never
// stops counting; the open period and the half-open bound are measured
// from the times the breaker read, so a clock that steps back lengthens
// them by the step.
//
// # Performance
//
// In closed state, with a consecutive-failures or count-based window, a
// successful call takes no lock, reads no clock and allocates nothing: two
// atomic loads while the window holds only successes. A time-based window
// costs one clock read per call, and slow-call detection two. An open
// breaker on the real clock rejects a call with two loads and a count, no
// clock read and no allocation: each opening makes one [*OpenError] (the
// only allocation of a state change, kept immutable because callers may
// keep it), returned to every call it rejects, which works out the time to
// the next probe when asked. The state is one atomic pointer to the
// current state's epoch; each state has one epoch, made on first use and
// reused, and the window is emptied and reused, so a breaker that trips
// and recovers allocates nothing else.
package circuitbreaker
