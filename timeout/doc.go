// Package timeout bounds how long a call may take.
//
// # Modes
//
// A timeout derives a deadline from the caller's context: the earlier of the
// caller's own deadline and now + Timeout. In [Cooperative] mode, the
// default, the call's context is cancelled at the deadline and the policy
// waits for the function to return; nothing runs in the background, and the
// function must watch its context (every net/http and database/sql call
// does). In [Abandon] mode the function runs in its own goroutine and the
// policy returns at the deadline whatever the function is doing; the
// function's context is cancelled too, its late result is discarded, and its
// goroutine lives on until it returns. Abandoning costs a goroutine, a
// channel and a separate result slot per call: use it only for functions
// that ignore their context.
//
// # Errors
//
// When this policy's deadline passes first, the error matches [ErrTimeout]
// and unwraps to what the function returned (or to
// [context.DeadlineExceeded]). When the caller's own deadline or
// cancellation comes first, the caller's context error is returned instead,
// so a caller that left is never mistaken for a slow downstream.
//
// # Placement
//
// As a per-attempt timeout, put it inside the retry and the circuit breaker
// (see [rampart.Pipeline]): each attempt gets its own deadline and a timed
// out attempt counts as a failure. As an overall timeout, put it outside the
// retry, so it bounds the attempts and the waits between them.
//
// # Panics
//
// A panic in the function is raised again in the caller's goroutine and the
// deadline's timer is released. In Abandon mode a panic that arrives after
// the call was abandoned cannot reach the caller; it is reported to the
// observers as an EventPanic.
package timeout
