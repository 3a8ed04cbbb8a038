// Package hedge sends hedged requests: when an attempt has not answered
// after a delay, another starts beside it, and the first answer wins ("The
// Tail at Scale", Dean and Barroso, 2013). A replica that is slow for a
// moment then costs a call the delay plus a normal answer, not the whole
// stall.
//
//	p, err := hedge.New(hedge.Config{}) // one hedge after the p95 of recent latencies
//	v, err := rampart.Get(ctx, p, func(ctx context.Context) (Reply, error) { return client.Call(ctx) })
//
// # Delay
//
// The delay is fixed ([Config.Delay]) or, by default, a quantile of the
// latencies of recent first attempts (p95: only the slowest 5% of calls
// are hedged). Latencies go to a lock-free log-bucketed histogram (8
// buckets per power of two) in two halves of [Config.Window] samples that
// take turns, so the estimate follows a change within about two windows;
// the quantile is recomputed every eighth of a window and read from one
// atomic word. A first attempt that loses to a hedge counts with the time
// it ran, so hedging does not hide the slow tail it is estimating.
//
// # Failures
//
// Each attempt's outcome is judged by the classifier: a success, or an
// ignored outcome such as the caller's own cancellation, is the answer; a
// failure is fatal or not ([Config.NonFatal], as gRPC's
// nonFatalStatusCodes). A fatal failure ends the call at once and is
// returned. A non-fatal one lets the next hedge start at once, without
// waiting for the delay; when every attempt has failed and no more may
// start, the last failure is returned.
//
// # Budget
//
// A hedge is extra load, and a destination that slows down as a whole
// would see every call hedged: twice its load when it can least take it.
// So hedges spend from a retry budget ([retry.Budget]; share the retry
// policy's with [Config.Budget]): each hedge asks TryRetry and counts the
// attempt it hedges as a failure, and each successful call earns back a
// little. With the default token bucket, hedges add at most about 10% to
// the load in the long run, after a burst of 50.
//
// # Execution and goroutines
//
// The first attempt runs on the caller's goroutine. Its context is the
// policy's own, which arms the hedge timer only when the attempt first asks
// for Done, that is, when it starts to wait: a call that answers at once
// costs one allocation and no timer, no goroutine, no lock. The delay
// counts from the call's start in quantile mode, and from that first Done
// in fixed mode, which for a network call is the same moment.
//
// The calls of a policy on the real clock share one timer: a list of the
// calls waiting, ordered by the time their hedge is due, and one runtime
// timer set to the earliest, which starts the hedges that are due. A call
// that waits costs a second allocation (its Done channel), a clock read
// and two short holds of that list's lock, and no timer of its own. Under
// a caller's context that can be cancelled, watching that context costs
// three allocations more (package context's AfterFunc). In a
// testing/synctest bubble, and on a [Config.Clock], each call has a timer
// of its own instead, so that no timer is touched from outside the bubble
// it belongs to: one policy can serve bubbles and the code outside them at
// once.
//
// Each hedge runs in a goroutine of its own on a fork of the call's result
// slot ([rampart.Next.Fork]), so no two attempts write the same result;
// the winner's is adopted. Each attempt's context carries its
// [rampart.Attempt]: Number 2 and up with Hedge set for hedges.
//
// Execute returns only when every attempt has returned. The losers are
// cancelled the moment an answer arrives, so a function that watches its
// context ends at once and no goroutine outlives the call; one that
// ignores its context holds the call until it returns, and gains nothing
// from hedging. (failsafe-go returns without waiting for the losers; we
// wait, as context-aware Go code expects a call to leave nothing running
// behind.) A panic in an attempt cancels the others, waits for them, and is
// raised again in the caller's goroutine.
//
// # In a pipeline
//
// Put the hedge inside the retry policy and outside the circuit breaker and
// the per-attempt timeout:
//
//	fallback → overall timeout → retry → hedge → circuit breaker → per-attempt timeout → call
//
// so every hedged attempt asks the breaker and gets its own timeout, a
// retry follows a call whose attempts all failed, and the two share one
// budget ([Config.Budget] set to the retry policy's [retry.Policy.Budget]).
//
// # Events and counters
//
// Observers receive [rampart.EventHedge] (a hedge started, with its delay
// and reason), [rampart.EventHedgeWon] (a hedge answered first) and
// [rampart.EventBudgetExhausted]. [Policy.Snapshot] counts hedges, wins,
// refusals and panics, and reports the delay in force. Calls that answer
// before the delay are not counted, so they stay free.
//
// # Simulation
//
// [Call] holds one call's decisions so that a simulator can drive the
// policy in virtual time; package sim's straggler experiment does (rampart
// sim -compare stragglers).
package hedge
