// Package chaos injects trouble into calls on purpose, to test that the
// rest of a pipeline (retries, breakers, fallbacks, timeouts, the callers
// themselves) copes: a fault (an error in place of the call), an outcome (a
// result in place of the call), latency (a delay before it), or a behaviour
// (any function run before it). Polly v8's chaos strategies are the model.
//
//	p, err := chaos.New(chaos.Config{Rate: 0.05, Fault: errUnavailable})
//	...
//	pipeline := rampart.Pipeline(retryPolicy, breaker, p)
//	p.Enable() // from an admin endpoint, a flag, a test
//
// # The switch
//
// A policy is off when built unless Config.Enabled says otherwise, and
// [Policy.Enable], [Policy.Disable] and [Policy.SetEnabled] flip it at run
// time from any goroutine. Disabled, a policy costs one atomic load on top
// of running the call (about a nanosecond; see BenchmarkDisabled), so it can
// stay in production pipelines. Config.EnabledFunc narrows an enabled
// policy call by call, such as to requests that carry a test header.
//
// # Rates and replay
//
// Each enabled call is injected into with probability Config.Rate. With
// Config.Seed set, the draws come from a seeded generator: a run that makes
// the same calls in the same order injects into the same ones, so a failing
// test or simulation replays exactly. Without it they come from the
// runtime's generator. Either way a draw takes no lock.
//
// # What each kind does
//
// Fault returns the configured error, unchanged, without running the call,
// so classifiers, retries and breakers see exactly what a real failure of
// that kind would show; an Outcome function that returns (nil, err) gives a
// different fault each time. Outcome replaces the call: its value becomes
// the result of a [rampart.Get], its error the call's. Latency waits on
// Config.Clock, virtual or real, then runs the call; if the context is done
// first the call does not run. Behavior runs a function before the call,
// and an error from it stops the call.
//
// # Observability
//
// Every injection emits [rampart.EventInjected] (Reason the kind, Delay the
// latency, Err the fault) before it takes effect, and counts in the
// [Snapshot] beside the calls considered.
package chaos
