// Package ratelimit limits the rate of calls: a [Limiter] for one stream of
// calls and a [Keyed] limiter with one limit per key (per tenant, per
// client address).
//
// Both use GCRA, the generic cell rate algorithm: a token bucket of Burst
// tokens refilled at Rate per second, kept as a single time, the theoretical
// arrival time of the next call. Over any window of length w, a limiter lets
// at most Rate×w + Burst calls through.
//
//	lim, err := ratelimit.New(ratelimit.Config{Rate: 100, Burst: 20})
//	...
//	err = lim.Do(ctx, func(ctx context.Context) error { return callInventory(ctx) })
//	if errors.Is(err, ratelimit.ErrLimited) { ... rampart.RetryAfter(err) says when to come back ... }
//
// # One verb per intent
//
// Allow and AllowN drop: they take tokens if available and report whether
// they did. Reserve schedules: it always takes the tokens and says how long
// to wait for them; Cancel gives them back. Wait blocks until the token is
// due, returning at once with an error when that would be after the
// context's deadline. Execute (the [rampart.Policy] method) and Do run a
// function if a token is available, or, with Config.MaxWait, once one is
// due within that wait; otherwise they return a [*LimitedError] matching
// [ErrLimited] and [rampart.ErrRejected], carrying the time until the next
// token as a retry-after hint.
//
// # Bursty and smooth
//
// In Bursty mode (the default) up to Burst calls go at once after an idle
// spell. In Smooth mode no two calls go less than 1/Rate apart, as with
// uber-go/ratelimit: for a downstream that cannot take bursts.
//
// # Time and cost
//
// A decision is a load, a comparison and a compare-and-swap on one padded
// int64, about 5–7 ns; reading the clock costs more than that. So every
// decision has two forms: one that reads the limiter's clock (Allow,
// Reserve, Execute) and one that takes a time the caller already holds
// (AllowAt, AllowN, ReserveN), as x/time/rate's AllowN(t, n) does: a server
// that stamps each request's arrival passes that stamp and pays no clock
// read.
//
// The default clock (Config.Clock nil) is [time.Since] from the limiter's
// creation: it reads only the monotonic clock, one vDSO call, about half the
// cost of [time.Now], and it follows a testing/synctest bubble's fake time.
// On the 2-core development machine, quiet, time.Since cost 31–33 ns and
// time.Now 57–60 ns, where AllowAt cost 13–15 ns: so Allow costs the clock
// read plus AllowAt, and the read, not the decision, is its floor (see
// BenchmarkClock, BenchmarkAllow and BenchmarkAllowAt). Cheaper sources were
// measured and rejected: runtime.nanotime through linkname cost 27–32 ns,
// no real gain, and ignores synctest's fake time; the bubble-aware
// time.runtimeNano cannot be linked to; a coarse clock refreshed by a
// background goroutine breaks the rule that no goroutine outlives its call,
// and a stale reading lets a limiter run over its limit by the staleness
// times the rate. A refusal is judged again at a fresh reading, since a
// goroutine descheduled between reading the clock and deciding holds a
// stale time, which GCRA judges strictly. A [rampart.ManualClock] works
// too, for tests and simulations.
//
// # Keyed limits
//
// [Keyed] holds one GCRA time per key in sharded maps with bounded memory:
// at most MaxKeys keys, idle keys (whose bucket has refilled, so they carry
// no information) dropped, and the least recently used key forgotten when a
// shard is full. Its AllowKey(key) returns whether the call may go and, if
// not, how long until it may. See [Keyed] for what happens when full.
//
// # Observability
//
// Every refusal emits [rampart.EventRejected] (Reason "rate_limited", Delay
// the time until the next token) to the configured observers and counts in
// the Snapshot. Calls let through emit nothing and count nothing: the
// success path pays nothing for being observable.
package ratelimit
