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
// # The call's context
//
// The function's context behaves as context.WithDeadline's: it is tested
// against the standard library's own context cases and, on random
// schedules, side by side with context.WithDeadline. When the caller's
// context can be cancelled it is context.WithDeadline's. When it cannot
// (context.Background, context.WithoutCancel), or it is an enclosing
// timeout's, the context is lazy: one allocation and no timer until the
// function asks for Done (then it becomes context.WithDeadline's); until
// then Err compares the deadline with the clock, and after a few such calls
// it arms the timer, so Err in a loop costs one atomic load.
//
// Two limits of laziness, both after the fact: if a call succeeds after its
// deadline passed unwatched, the context ends with Canceled (as if the call
// had returned first), since a successful call does not read the clock. With
// a Clock of the caller's, the caller's cancellation reaches Done and
// derived contexts through a goroutine, as for any context package context
// does not know; Err sees it at once.
//
// A call that returns an error once its own deadline has passed is a
// timeout, whichever of the timers due at that moment ran first.
//
// # Panics
//
// A panic in the function is raised again in the caller's goroutine and the
// deadline's timer is released. In Abandon mode a panic that arrives after
// the call was abandoned cannot reach the caller: by default it is raised
// again, unrecovered, in the goroutine that ran the function, so the program
// crashes as it would have without the timeout; with ReportLatePanics it is
// reported to the observers as an EventPanic instead.
package timeout
