// Package demo is the storefront demo behind "rampart demo": a shop that
// keeps selling while a surge of shoppers overloads its recommendations
// service, and while that service slows down, fails and recovers.
//
// # Services
//
// Three HTTP services run on free loopback ports:
//
//   - a catalog (the core journey: product details and bestsellers), healthy
//     throughout;
//   - a recommendations service that follows a scripted [Timeline]: healthy,
//     then healthy under a surge of [SurgeFactor] times the shoppers, then
//     slow (answers take ten times the storefront's per-attempt timeout),
//     then failing outright (HTTP 503, every third answer with a
//     Retry-After), then healthy again. It has a fixed number of workers,
//     sized for the usual shoppers, so past them requests queue and every
//     answer slows; load shedding in front (ramparthttp.Shed with a
//     bulkhead: as many at once as there are workers, as many more waiting
//     a few milliseconds) refuses the excess at once with 503 and
//     Retry-After, so the requests it admits stay fast;
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
// section accordingly. The breaker counts a 503 with Retry-After, a
// request shed, as no fault: during the surge it stays closed, and the
// storefront keeps the fresh answers the service still gives.
//
// # Load and reporting
//
// A fixed number of simulated shoppers browse product pages until the
// timeline ends. Every tick (one second on the default 40-second timeline)
// a line reports the pages served, their success rate, where their
// recommendations came from, the breaker's state, and the requests per
// second that reached the recommendations service and that it shed.
//
// # Claims
//
// [Demo.Run] returns a [Summary] that states and checks the claims: the
// core journey stayed available and fast (page success rate, p99 latency),
// the recommendations service shed load during the surge while the
// latency of what it admitted stayed flat (its p99 within a few times the
// healthy one), the breaker shed load (attempts per page during the
// outage stayed far below one), and the recommendations were fresh again
// soon after the service recovered. The summary gives the figures of each
// phase as well. Every duration scales with the timeline, so a
// compressed run of a few seconds checks the same claims.
package demo
