// Package bench holds rampart's side-by-side benchmarks against peer
// libraries: sony/gobreaker v2, failsafe-go, afex/hystrix-go,
// eapache/go-resiliency, cenkalti/backoff v5, golang.org/x/time/rate,
// go.uber.org/ratelimit, hashicorp/go-retryablehttp and, for gRPC,
// failsafe-go's failsafegrpc and grpc-ecosystem/go-grpc-middleware's retry.
//
// # Classes
//
// Each operation class is one benchmark with a sub-benchmark per library,
// named Benchmark<Class>/lib=<name>, and a contended twin
// Benchmark<Class>Parallel/lib=<name> that runs under b.RunParallel:
//
//   - Breaker: a breaker-guarded call on the success path, consecutive or
//     count window.
//   - BreakerTimeWindow: the same with a time-based (rolling) window.
//   - BreakerOpen: the rejection path of an open breaker.
//   - Retry: a retry wrapper whose first attempt succeeds.
//   - Pipeline: fallback + retry + breaker + per-attempt timeout, success
//     path.
//   - PipelineOpen: the same pipeline with its breaker open, through Do
//     (BenchmarkPipelineOpen/Do) and through Get with the caller told that
//     the fallback answered (BenchmarkPipelineOpen/Get); serial only.
//   - RetryThenSucceed: a retry whose first attempt fails and whose second
//     succeeds, with no wait between them; serial only.
//   - RateLimit: the limiter's decision on a call it lets through.
//   - Hedge: a hedging policy whose first attempt answers before the
//     delay, so no hedge fires.
//   - ChaosDisabled: a call through a chaos policy that is switched off.
//   - AdaptiveLimiter: an adaptive concurrency limiter's acquire and
//     release around a call it admits.
//   - Throttle: a client-side adaptive throttle's decision on a call to a
//     healthy destination and the report of its outcome.
//   - Bulkhead: a bulkhead's acquire and release around a call it admits.
//   - HTTPClient: a GET to a loopback server through each library's
//     retrying client, beside a plain http.Client (serial only);
//     HTTPClientOverhead: the same around a base transport that answers in
//     memory, so each row minus the plain client's is the library's cost.
//   - GRPCUnary: a unary call to a loopback gRPC server through each
//     library's client interceptor, beside a plain call; GRPCInterceptor:
//     the interceptors alone around an invoker that answers at once.
//
// Beside the classes: BenchmarkMemory* (bytes per breaker and per open →
// closed cycle, the report's memory table) and BenchmarkClock (the cost of
// one time.Now, in the report's header).
//
// # Fairness
//
// Every library is configured as close to the others as its API allows, from
// shared constants (see config.go); each class's file says where a library
// cannot follow. Each benchmarked configuration is built by the same
// constructor the correctness tests use, and those tests check that it trips,
// rejects and recovers as claimed, so no row measures a no-op. Every
// benchmark checks each call's error, so a misconfigured row fails instead
// of reporting a fast number.
//
// # Running
//
// From the repository root, `make bench` runs every benchmark six times,
// summarises them with benchstat and writes docs/benchmarks.md (see run.sh
// and cmd/report).
package bench
