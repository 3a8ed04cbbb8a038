// Package sim is a deterministic discrete-event simulator of retry storms:
// open-loop clients calling an overloaded server, each client running the
// real rampart policies — the same backoff, budget and breaker decisions
// the library makes at run time — in simulated time.
//
// It exists to show, with numbers anyone can reproduce, what a client
// policy does to a struggling server: whether a brief fault stays brief, or
// whether retries keep the server overloaded long after the fault is gone
// (a metastable failure).
//
// # Model
//
// Time is virtual: a heap of events, processed in order of time (ties in
// order of scheduling), with a [rampart.ManualClock] moved by the event
// loop as the clock the policies read. A 120-second scenario runs in a
// fraction of a second.
//
// The server has Workers workers and a FIFO queue. Each attempt takes a
// service time drawn from a distribution (exponential, constant or
// lognormal). By default the server serves queued work even after its
// client has stopped waiting, as most servers do; [Scenario].CancelAbandoned
// makes it drop such work instead.
//
// Clients are open-loop Poisson sources: new requests arrive at their rate
// whatever happens to earlier ones, as they do from users. Each client has
// its own instance of the policy (its own retry budget, its own breaker),
// as separate processes would. Each attempt has a timeout; a request may
// also have an overall deadline.
//
// Faults act over a window of time: a capacity drop multiplies service
// times, a latency spike adds to them, an error spike fails a fraction of
// attempts fast (at a small cost to the worker), a load spike multiplies
// the clients' request rate.
//
// # Randomness
//
// Every random draw comes from math/rand/v2 PCG sources seeded from
// [Scenario].Seed, one stream per purpose (each client's arrivals, each
// client's jitter, service times, faults), so one seed gives one run bit
// for bit, and two policies run under one seed see the same arrivals.
//
// # Metrics
//
// Per window of [WindowSize]: requests arriving, attempts sent (the load on
// the server), requests that succeeded within their deadline (counted in the
// window they arrived in), the mean queue length, and p50/p99 of request
// latency (from histograms, within 1 %, so memory does not grow with the
// request rate). The [Summary] gives amplification (attempts ÷ requests)
// overall, after the fault and at its peak over any [PeakSpan] after it,
// goodput (successes ÷ requests) overall and in the healthy baseline before
// the fault, p99 latency, and two verdicts judged on the windows up to the
// end of the arrivals (the last requests, served late into an emptying
// server, would flatter a storm):
//
//   - recovery: the time from the end of the fault until a [PeakSpan] of
//     healthy windows starts, their goodput within noise of the baseline's,
//     their amplification and queue near the baseline's;
//   - metastable: amplification or backlog sustained over the last
//     [PeakSpan] with the fault gone, although the healthy server has
//     capacity to spare.
//
// # Policies
//
// [Policies] lists the built-in client policies, from no retry at all to
// rampart's defaults; a [Policy] may also be read from JSON with
// [ParsePolicies], using the policies' own config structs. [Scenarios]
// lists the built-in scenarios; [ParseScenario] reads one from JSON.
//
// The command rampart sim (package cmd/rampart) runs scenarios from the
// terminal, prints a table or JSON, and draws an SVG chart with [WriteSVG].
//
// # Stragglers
//
// [RunStragglers] is a second, smaller model for hedged requests: requests
// spread at random over replicas, each of which is 10× slower 1% of the
// time, and clients running package hedge's decisions ([hedge.Call]) in
// virtual time. [Stragglers] is the built-in experiment and
// [StragglerPolicies] its policies (no hedging, a fixed 10ms delay, the
// p95); rampart sim -compare stragglers runs them and reports p99.9 as
// p999_ms. A whole-service slowdown ([StragglerScenario].Slowdown) shows
// the retry budget keeping hedging from doubling the load.
package sim
