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
// the same for streams ([WithStreamPolicy], [WithStreamMethodPolicies]),
// and provides the interceptors:
//
//	budget, _ := rampartgrpc.RetryThrottling{MaxTokens: 10, TokenRatio: 0.1}.Budget()
//	rc, _ := rampartgrpc.RetryPolicy{MaxAttempts: 4, InitialBackoff: 100 * time.Millisecond,
//		MaxBackoff: time.Second, BackoffMultiplier: 2}.Config(budget)
//	r, _ := retry.New(rc)
//	br, _ := circuitbreaker.New(circuitbreaker.Config{})
//	c, _ := rampartgrpc.NewClient(rampartgrpc.WithPolicy(rampart.Pipeline(r, br)),
//		rampartgrpc.WithStreamPolicy(rampart.Pipeline(r, br)))
//	conn, _ := grpc.NewClient(target, append(c.DialOptions(), creds)...)
//
// Each attempt is one call of the invoker. Its status decides what the
// policies see ([Client.UnaryInterceptor]): UNAVAILABLE is retried by
// default ([WithRetryable]); application answers such as NOT_FOUND are
// successes to a breaker ([WithFailures]); the caller's cancellation and
// deadline are never retried nor counted.
//
// # Streams
//
// A stream is one call to its policy, whose attempts are streams: an
// attempt lasts from opening the stream to its final status (or the end
// of its context). A breaker records a stream's outcome when it ends, a
// limiter or a bulkhead holds its permit for the stream's life, a
// throttle admits streams; see [Client.StreamInterceptor]. The policy runs
// in a goroutine of the stream's, which ends with the stream.
//
// # gRFC A6
//
// What the client does of A6, and where:
//
//   - commit: an attempt after which the server sent response headers is
//     never retried; a stream commits to the first attempt that receives
//     headers (which precede its first message), or when its sent
//     messages outgrow [WithStreamBuffer], 256 KiB by default; until then
//     sent messages are kept and replayed byte for byte to new attempts;
//   - pushback: [PushbackKey] in the trailers (or a google.rpc.RetryInfo
//     status detail, as this package's tap handle sends) replaces the
//     backoff, through [rampart.WithRetryAfter], and holds back the
//     hedges that follow it ([WithClock]); a negative or unparsable value
//     stops retries and hedges ([rampart.Permanent]);
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
//   - hedging, of unary calls and streams: [HedgingPolicy.Config] gives a
//     hedge.Config with hedgingDelay, maxAttempts (capped at 5) and
//     nonFatalStatusCodes ([NonFatal]); put the hedge policy in the
//     client's pipeline. A non-fatal failure starts the next hedge at
//     once (after the server's pushback, if it sent one), a fatal one
//     cancels every attempt. The first attempt to receive response
//     headers commits the call: the others are cancelled at once and no
//     more hedges are sent. For unary calls, the headers are seen by a
//     stats handler that [Client.DialOptions] installs when calls may be
//     hedged; without it, a unary call commits when an attempt returns.
//
// Where it differs from A6: a negative pushback on a hedged attempt is a
// fatal failure, which also cancels the attempts in flight (A6 only stops
// further hedges); hedges that fall due during a pushback all wait for its
// end, rather than one hedgingDelay apart after it; and a hedge that falls
// due once the call has committed still asks the budget, though it sends
// nothing.
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
// A unary call whose first attempt answers costs, on top of the plain
// call and the policy's own cost, some 35 ns of the interceptor's own and
// no allocation when its policy is a retry, a circuit breaker, a bulkhead,
// a rate limiter or a pipeline of them: the call's state, which is also
// the context its attempts run under (so that the attempt function is no
// closure), is then reused by later calls. (So a classifier given to those
// policies, which receives that context, must not keep it past its return,
// as no callback should.) Under other policies, and for a call that is
// retried, the state is one allocation. Every attempt passes
// two call options (headers and trailers, to see commit and pushback),
// for which gRPC copies the response metadata: some five allocations and
// 500 bytes per call, gRPC's own, out of some 145 allocations and 8.5 KiB
// that a plain call costs on loopback. A call under a hedging policy also
// gives each attempt a context of its own, to cancel it on commit. A
// stream costs a goroutine and its state.
package rampartgrpc
