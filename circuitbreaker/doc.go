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
// [rampart.RetryAfter]) lengthens it, up to the cap. The move to half-open
// happens on the first call after the period, without a background
// goroutine. In half-open at most HalfOpenMaxProbes probes run at once;
// others are rejected with an error matching [ErrTooManyProbes] (and
// [ErrOpen]). HalfOpenSuccesses successful probes close the breaker; a
// failed probe, or optionally a failure rate among probes, opens it again;
// so does staying half-open longer than HalfOpenMaxDuration, if set.
//
// # Outcomes and generations
//
// Each outcome is judged success, failure or ignored by Config.Classifier,
// by default [rampart.Classify]: the caller's own cancellation counts for
// nothing. Every state change starts a new generation; an outcome that
// arrives after the state changed, from a call admitted in an older one, is
// dropped. A panic in the protected function is a failure: its probe slot is
// freed and the panic continues up the caller's goroutine.
//
// # Two-step use
//
// [Breaker.Allow] returns a [Permit]; report the outcome with [Permit.Done]
// or [Permit.DoneContext]. This form allocates nothing and suits hot paths,
// manual instrumentation and simulators that drive the breaker in virtual
// time. [Breaker.Do] and [Breaker.Execute] (the [rampart.Policy] method) do
// the same around a function.
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
// [Breaker.Snapshot]; the success path keeps no statistics beyond the
// window.
//
// # Performance
//
// In closed state, with a consecutive-failures or count-based window, a
// successful call takes no lock, reads no clock and allocates nothing: two
// atomic loads while the window holds only successes. A time-based window
// costs one clock read per call, and slow-call detection two. An open
// breaker rejects a call with one clock read and no allocation: each opening
// makes one [*OpenError], returned to every call it rejects, which works out
// the time to the next probe when asked. The state is one atomic pointer to
// an immutable epoch, replaced on each change.
package circuitbreaker
