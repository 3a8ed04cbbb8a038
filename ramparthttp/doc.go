// Package ramparthttp applies rampart's policies to net/http: a
// [http.RoundTripper] for clients and middleware for servers. It uses the
// standard library only.
//
// # Client
//
// [NewTransport] wraps a base transport with a policy ([WithPolicy]), or
// with one policy per host built on first use ([WithHostPolicies]), so a
// failing host trips its own breaker and spends its own retry budget. Each
// attempt is judged by [IsFailure] (or [WithFailure]): network errors, 408,
// 429 and 5xx other than 501 are failures; the caller's own cancellation is
// ignored. A failed response reaches the policies as a [*StatusError]; the
// caller of RoundTrip gets the response itself when the policy gives up,
// as net/http would.
//
// # Replaying requests
//
// Only a request that is safe to send twice is retried or hedged: GET,
// HEAD, OPTIONS and TRACE, a request with an Idempotency-Key or
// X-Idempotency-Key header (net/http's own rule), or one whose context
// comes from [WithReplay]. Any other request is sent once: its failure is
// returned marked [rampart.Permanent]. A body is replayed through the
// request's GetBody, byte for byte; a body without GetBody is sent once,
// unless [WithBodyBuffer] allows buffering it up to a stated size. A body
// is never buffered whole: a longer one streams, once.
//
// # Retry-After
//
// A 429 or 503 response's Retry-After, in either form (delta-seconds or an
// HTTP-date, see [ParseRetryAfter]), is attached to the failure with
// [rampart.WithRetryAfter], so a retry policy waits that long instead of
// its own backoff and a circuit breaker stays open as long. The retry
// policy caps it: a hint longer than its MaxRetryAfter, or one that would
// end past the context's deadline, ends the call at once instead of
// waiting.
//
// # Connections and timeouts
//
// A failed attempt's response body is drained (up to [WithDrainLimit]) and
// closed before the next attempt, so its connection is reused. A policy's
// per-attempt timeout (rampart's timeout package, inside the retry)
// bounds the attempt until the response's headers arrive; the request runs
// on the caller's context, so cancelling the attempt's context when the
// attempt returns does not cut off the body the caller goes on to read.
// The body's Close releases that context.
//
// # Rejections
//
// A call refused by a breaker, limiter or budget sends no request, and
// RoundTrip returns the policy's error, which matches
// [rampart.ErrRejected].
//
// # Server
//
// [Shed] admits requests through an admission policy (a bulkhead, an
// adaptive limiter) and answers what it refuses with 503 and Retry-After,
// dropping requests whose client has gone before their handler runs and
// reading a priority from the [PriorityHeader] header. [RateLimit] limits
// each client, by a key of the caller's choosing, through a
// [KeyedLimiter], answering 429 with Retry-After. [Timeout] bounds a
// handler's time without racing it.
package ramparthttp
