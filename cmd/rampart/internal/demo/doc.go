// Package demo is the storefront demo behind "rampart demo": a shop that
// keeps selling while its recommendations service slows down, fails and
// recovers.
//
// # Services
//
// Three HTTP services run on free loopback ports:
//
//   - a catalog (the core journey: product details and bestsellers), healthy
//     throughout;
//   - a recommendations service that follows a scripted [Timeline]: healthy,
//     then slow (answers take ten times the storefront's per-attempt
//     timeout), then failing outright (HTTP 503, every third answer with a
//     Retry-After), then healthy again;
//   - a storefront serving product pages, which calls both.
//
// A product page fails only if the catalog does. The recommendations call is
// protected by a rampart pipeline,
//
//	popular items → last-good cache → overall timeout → retry (with budget) → circuit breaker → per-attempt timeout → HTTP
//
// so the section degrades from fresh to the cached answer for the same
// product (no older than a staleness bound), to the bestsellers of the
// product's category, to hidden (gift cards have no bestsellers). A
// fallback.Report tells the page which one served, and the page labels the
// section accordingly.
//
// # Load and reporting
//
// A fixed number of simulated shoppers browse product pages until the
// timeline ends. Every tick (one second on the default 40-second timeline)
// a line reports the pages served, their success rate, where their
// recommendations came from, the breaker's state and the attempts per
// second that reached the recommendations service.
//
// # Claims
//
// [Demo.Run] returns a [Summary] that states and checks the claims: the
// core journey stayed available and fast (page success rate, p99 latency),
// the breaker shed load (attempts per page during the outage stayed far
// below one), and the recommendations were fresh again soon after the
// service recovered. Every duration scales with the timeline, so a
// compressed run of a few seconds checks the same claims.
package demo
