// Package fallback implements graceful degradation: when a call fails,
// serve something useful in place of its result.
//
// # Kinds
//
//   - [Value]: a static value, such as a list of popular items.
//   - [Func]: a function of the context and the failure, such as a read from
//     a secondary store.
//   - [LastGood]: the last successful result for the caller's key ([WithKey]),
//     as long as it is no older than a maximum staleness, in a cache bounded
//     by a maximum number of keys.
//
// Fallbacks nest: rampart.Pipeline(popular, lastGood, retry, breaker, ...)
// tries the cache first and falls back to popular items when the cache has
// nothing fresh. When none of them can serve, the caller gets the failure
// and may hide the feature.
//
// # When a fallback applies
//
// By default on every failure as the classifier judges it, rejections
// included (an open breaker, an exhausted retry, a timeout), and never on the
// caller's own cancellation: a caller that left needs no stand-in. Set
// Handle to choose otherwise.
//
// # Knowing a fallback served
//
// A [Report] passed with [WithReport] tells the caller which fallback served,
// of what kind, why, and for a cache how old the result is, so a page can
// label a section "popular items" instead of "recommended for you".
//
// # Types
//
// A fallback policy is not generic, but its value has a type: use it with
// [rampart.Get] of that type. With another type the call fails with an
// [Error] wrapping a [rampart.ResultTypeError]; with [rampart.Do] there is no
// result, and a served fallback just turns the failure into success.
package fallback
