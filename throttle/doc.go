// Package throttle is client-side adaptive throttling, the scheme of the
// Google SRE book's chapter "Handling Overload": a client that sees its
// destination reject more and more of its requests starts refusing
// requests itself, before they cost the destination anything.
//
// # The rule
//
// Over the last Window (250 ms by default, exponentially weighted), the
// throttle counts requests (every request the application made, its own
// refusals included, as the book does; a request it let through is counted
// when its outcome is recorded) and accepts (requests the destination
// accepted), and refuses each new request with probability
//
//	max(0, (requests − K × accepts) / (requests + 1))
//
// With K = 2 (the default) it refuses nothing while the destination
// accepts at least half of the requests; beyond that it lets through about
// K times what the destination accepts.
//
// # Low request rates
//
// A process that sends a few requests a second sees too few outcomes to
// judge its destination: the book's rule, with a window short enough to
// act within a fault, refuses on thin evidence and then, since each
// refusal counts as a request and few requests go out to show the
// destination has recovered, stays stuck refusing. The simulator's sweep
// measured 12–88 s of needless refusals with 200 clients at 3.5 requests a
// second each. So the throttle always lets MinSent requests a Window
// through (8 by default): the refusal probability is capped at
// 1 − MinSent/requests, and below MinSent requests a Window it never
// refuses. Share one throttle per destination among all of a process's
// callers ([Group]) so that it sees their combined rate, and leave a
// destination called a few times a second to a circuit breaker.
//
// # Cost
//
// [Throttle.Allow] is one atomic load while the destination accepts
// enough: no lock, no clock read, no random draw, no write;
// [Throttle.Record] is two atomic adds. The counts are folded (one clock
// read) about 32 times a Window, fewer calls apart at low rates.
package throttle
