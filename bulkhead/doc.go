// Package bulkhead limits how many calls run at once, so that one slow
// dependency cannot take every goroutine, connection or thread of a
// service.
//
// # Slots and the queue
//
// A [Bulkhead] has MaxConcurrent slots. A call takes one with
// [Bulkhead.Acquire] and gives it back with [Permit.Release], or runs
// through [Bulkhead.Execute] as a [rampart.Policy]. A call that finds every
// slot taken waits in a queue of at most MaxQueue calls, first come, first
// served; a released slot goes straight to the first waiter, so a newcomer
// never jumps the queue. With no queue (MaxQueue zero) such a call is
// rejected at once.
//
// # Rejections
//
// A rejected call gets an error matching [ErrFull] and
// [rampart.ErrRejected], a [*RejectedError] whose Reason says why: the
// queue is full, the caller's deadline leaves less than MinTimeLeft, the
// call waited MaxWait, or a call of higher priority took its place.
//
// # Deadlines and cancellation
//
// The queue is deadline-aware: a call whose context is done is never
// queued, one whose deadline leaves less than MinTimeLeft is rejected
// rather than queued, and a call whose context ends while it waits leaves
// the queue at once, returning the context's error and taking no slot.
//
// # Priorities
//
// When the queue is full, a call of higher [rampart.Priority] (read from
// its context with [rampart.PriorityFrom]) displaces the newest waiting
// call of lower priority, which is rejected with ReasonDisplaced. Critical
// traffic is therefore shed last; within the queue, order stays first
// come, first served.
//
// # Cost
//
// While no call waits, Acquire and Release are one compare-and-swap each on
// a single word: no lock, no clock read, no allocation. Only a call that
// waits takes the queue's lock and allocates its place in the queue.
// Counts are read with [Bulkhead.Snapshot]; rejections are reported to
// Observers as [rampart.EventRejected].
package bulkhead
