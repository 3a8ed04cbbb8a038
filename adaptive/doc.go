// Package adaptive is an adaptive concurrency limiter: it lets a bounded
// number of calls run at once and moves that bound with the latency and the
// drops it measures, so a service takes what it can serve and refuses the
// rest cheaply, instead of queueing work until every call times out.
//
// # Use
//
// Build a [Limiter] with [New] and run calls through it as a
// [rampart.Policy] (Execute, Do), or in two steps with [Limiter.Acquire]
// and [Permit.Release]. On a server, the limiter is the admission policy:
// a request whose caller has already gone (its context is done) is dropped
// before it runs, and a rejection is one compare-and-swap and a shared
// error value, matching [ErrLimited] and [rampart.ErrRejected], with a
// retry-after hint ([rampart.RetryAfter]) that server middleware turns into
// a 503 with Retry-After.
//
// # Algorithms
//
// The limit moves once per window (Config.Window, at least
// Config.MinSamples samples) by one of three algorithms, from the defaults
// Netflix's concurrency-limits publishes:
//
//   - Gradient2 (default): limit × min(1, 1.5 × baseline / latency), at
//     most halving per window, plus a headroom of 4 while there is no
//     queueing; a rise is smoothed by 0.2, a fall is not; limits 20..200.
//   - Vegas: keeps the estimated queue, limit × (1 − baseline / latency),
//     between 3·log10(limit) and 6·log10(limit); limits 1..1000.
//   - AIMD: one more per window while the limit is used, × 0.9 after a
//     drop or a call slower than 5 s; limits 20..200.
//
// # Pitfalls designed out
//
// The baseline (the latency without queueing: the least latency of a
// window for Vegas, the mean for Gradient2) falls as soon as a window
// measures less, and rises only from windows in which the limiter did not
// bind and nothing was dropped. So:
//
//   - a long incident cannot drag the baseline up to its own latency and
//     leave the limit high while the service is still sick
//     (failsafe-go#127; concurrency-limits #137, #165): after ten minutes
//     of overload the limit is back within 10 % of its healthy value in
//     under 5 s (TestLimitDoesNotDriftInLongOverload);
//   - the baseline is never re-measured by pinning the limit to a small
//     value for a while, which caused bursts of rejections (envoy#8337);
//   - Gradient2 adds its headroom only while the gradient is 1, so a mild
//     sustained overload, with the gradient just under 1, cannot creep the
//     limit upward (concurrency-limits PR#134); a drop halves the gradient.
//   - Gradient2 lowers the limit at once when the latency rises, where
//     Netflix's smooths the fall too: smoothed, a limit with a healthy
//     service's headroom falls by a tenth a window and takes over a second
//     to come down, admitting calls that wait behind busy workers past
//     their callers' deadlines (TestGradient2FallsFastOnLatencyStep; in
//     the simulator, a 50-ms latency spike went from 81–84 % of the
//     degraded capacity served to 95–97 %).
//
// The price: a service that becomes slower for good while the limiter
// binds keeps a lower limit until the load falls below it. MinLimit is the
// floor: set it to the concurrency the service surely handles.
//
// # Queue
//
// With Config.MaxQueue, a call that finds the limit reached waits for a
// slot instead of being refused at once. The queue is bounded, and:
//
//   - deadline-aware: a call whose context's deadline leaves less time
//     than the limiter's estimate of a call's latency is refused at once,
//     and a waiter is never admitted once it could no longer finish in time
//     ([ErrDeadline]);
//   - CoDel-style: a call waits at most QueueInterval (100 ms) while the
//     queue has been empty within that interval, only QueueTarget (5 ms)
//     once it has stayed non-empty longer ([ErrQueueTimeout]);
//   - LIFO under overload: while the queue has not emptied for
//     QueueTarget, the newest waiter is served first, since its caller is
//     the likeliest to still be waiting (Config.FIFO turns this off).
//
// # Priorities
//
// A call's priority is [rampart.PriorityFrom] of its context. Sheddable
// calls are admitted up to 90 % of the limit, default ones up to the limit,
// critical ones up to 10 % above it; in the queue, critical waiters are
// served first, and a full queue pushes out its least critical waiter for
// a more critical arrival ([ErrShed]).
//
// # Cost
//
// Acquire and Release take no lock and allocate nothing. On the real clock
// a busy limiter reads the clock for a random sample of calls only (at
// least one in 64), since a clock read costs more than the rest of the
// path; with Config.Clock set every call is measured, so runs in virtual
// time replay exactly. Waiting in the queue takes a lock and allocates.
package adaptive
