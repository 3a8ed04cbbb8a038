// Package rampartgrpc brings rampart's policies to gRPC: client
// interceptors that retry and hedge calls as gRFC A6 ("gRPC Retry Design")
// defines, under any rampart policy, and server interceptors and a tap
// handle that shed load through an admission policy.
//
// It is a module of its own (github.com/rampart-go/rampart/grpc), so that
// the core module stays free of gRPC.
//
// # Client
//
// A [Client] holds the policies, one for every call ([WithPolicy]) or one
// per method, built on the method's first call ([WithMethodPolicies]), and
// provides the interceptors:
//
//	budget, _ := rampartgrpc.RetryThrottling{MaxTokens: 10, TokenRatio: 0.1}.Budget()
//	rc, _ := rampartgrpc.RetryPolicy{MaxAttempts: 4, InitialBackoff: 100 * time.Millisecond,
//		MaxBackoff: time.Second, BackoffMultiplier: 2}.Config(budget)
//	r, _ := retry.New(rc)
//	br, _ := circuitbreaker.New(circuitbreaker.Config{})
//	c, _ := rampartgrpc.NewClient(rampartgrpc.WithPolicy(rampart.Pipeline(r, br)))
//	conn, _ := grpc.NewClient(target, append(c.DialOptions(), creds)...)
//
// Each attempt is one call of the invoker. Its status decides what the
// policies see ([Client.UnaryInterceptor]): UNAVAILABLE is retried by
// default ([WithRetryable]); application answers such as NOT_FOUND are
// successes to a breaker ([WithFailures]); the caller's cancellation and
// deadline are never retried nor counted.
//
// # gRFC A6
//
// What the client does of A6, and where:
//
//   - commit: an attempt after which the server sent response headers is
//     never retried; a stream commits on its first response message (or
//     headers), or when its sent messages outgrow [WithStreamBuffer];
//   - pushback: [PushbackKey] in the trailers (or a google.rpc.RetryInfo
//     status detail, as this package's tap handle sends) replaces the
//     backoff, through [rampart.WithRetryAfter]; a negative or unparsable
//     value stops retries and hedges ([rampart.Permanent]);
//   - [PreviousAttemptsKey] on every attempt after the first;
//   - backoff: A6's full jitter, uniform(0, min(initialBackoff ·
//     multiplier^(n-1), maxBackoff)), is retry's default backoff;
//     [RetryPolicy.Config] maps the service-config fields onto it, with
//     maxAttempts capped at 5;
//   - throttling: [RetryThrottling.Budget] is a retry.TokenBucket with A6's
//     rule (each failure takes a token, each success gives back
//     tokenRatio, retries and hedges only while more than maxTokens/2
//     remain). Give the same bucket to the retry and hedge policies of a
//     destination, and to its HTTP clients if it has any;
//   - hedging: [HedgingPolicy.Config] gives a hedge.Config with
//     hedgingDelay, maxAttempts (capped at 5) and nonFatalStatusCodes
//     ([NonFatal]); put the hedge policy in the client's pipeline. A
//     non-fatal failure starts the next hedge at once, a fatal one cancels
//     every attempt, the winner's reply is kept and the losers are
//     cancelled, and every attempt has returned before the call does.
//
// Where it differs from A6: hedges are not stopped by the first response
// headers of one attempt, only by its end (a unary call's headers and reply
// arrive together in practice); a positive pushback on a hedged attempt is
// not waited on (package hedge starts the next hedge at once after a
// non-fatal failure); and streams are retried but not hedged.
//
// # Rejections
//
// A rejection by a policy of the client (an open breaker, a throttle, a
// limiter) sends nothing and returns an [*Error]: status UNAVAILABLE with a
// message prefixed "rampart:", which also matches rampart.ErrRejected and
// the policy's own sentinel with errors.Is. Its status, not the policy's
// error, is what status.FromError and status.Code read.
//
// # Server
//
// A [Shedder] admits requests through an admission policy, such as an
// adaptive.Limiter, with a tap handle that refuses them before their
// message is read, and unary and stream interceptors; see
// [Shedder.ServerOptions]. Rejections are UNAVAILABLE (or
// RESOURCE_EXHAUSTED, [WithRejectCode]) with a pushback; priorities come
// from [PriorityKey] metadata; requests whose deadline has passed never
// reach the handler.
//
// # Cost
//
// A unary call that succeeds at once costs, on top of the plain call, the
// policy's own cost, the call's state and two call options (headers and
// trailers, to see commit and pushback): a few small allocations, against
// the dozens of a gRPC call on loopback.
package rampartgrpc
