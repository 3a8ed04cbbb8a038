package rampart

import (
	"context"
	"log/slog"
	"strconv"
	"time"
)

// EventKind says what an [Event] reports.
type EventKind uint8

const (
	// EventStateChange: a circuit breaker moved From one state To
	// another, for Reason, with the window's counts at that moment.
	EventStateChange EventKind = iota + 1
	// EventRejected: a policy refused a call without running it (an open
	// breaker, a full bulkhead, a rate or concurrency limit, a throttle).
	// Reason says why where the policy has more than one; Delay says when
	// to come back, if known.
	EventRejected
	// EventRetryScheduled: a retry policy will run attempt Attempt after
	// waiting Delay, because of Err.
	EventRetryScheduled
	// EventRetriesExhausted: a retry policy gave up after Attempt attempts;
	// Err is the last failure.
	EventRetriesExhausted
	// EventBudgetExhausted: a retry budget refused a retry; Err is the
	// failure that would have been retried.
	EventBudgetExhausted
	// EventFallbackUsed: a fallback replaced the result of a call that
	// failed with Err. Reason names the fallback's source.
	EventFallbackUsed
	// EventTimeout: a timeout of Delay fired before the call returned.
	EventTimeout
	// EventPanic: the protected function panicked with Err wrapping
	// [ErrPanic]; the policy released what it held and re-raised it.
	EventPanic
	// EventHedge: a hedging policy started attempt Attempt while earlier
	// ones still ran, Delay after the previous one, for Reason ("delay",
	// or "failure" when a non-fatal failure Err let it start at once).
	EventHedge
	// EventHedgeWon: attempt Attempt, a hedge, answered first; the
	// others were cancelled.
	EventHedgeWon
	// EventInjected: a chaos policy injected a fault, an outcome, latency
	// or a behaviour into a call. Reason names which ("fault", "outcome",
	// "latency", "behavior"); Delay is the latency, Err the fault.
	EventInjected
)

var eventKindNames = [...]string{
	EventStateChange:      "state_change",
	EventRejected:         "rejected",
	EventRetryScheduled:   "retry_scheduled",
	EventRetriesExhausted: "retries_exhausted",
	EventBudgetExhausted:  "budget_exhausted",
	EventFallbackUsed:     "fallback_used",
	EventTimeout:          "timeout",
	EventPanic:            "panic",
	EventHedge:            "hedge",
	EventHedgeWon:         "hedge_won",
	EventInjected:         "injected",
}

// String returns the kind's name in snake case, e.g. "state_change".
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && eventKindNames[k] != "" {
		return eventKindNames[k]
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Event is something that happened in a policy: a transition, a rejection,
// a retry. Successful calls emit no events; counts are read from each
// policy's Snapshot instead, so the success path pays nothing for being
// observable.
//
// Fields that do not apply to an event's Kind are zero.
type Event struct {
	Kind   EventKind
	Policy string    // the emitting policy's Name
	Time   time.Time // when it happened, on the policy's clock

	From, To string        // EventStateChange: the states, e.g. "closed", "open"
	Reason   string        // why: "failure_rate", "consecutive_failures", "probe_failed", ...
	Attempt  int           // retry events: the attempt number
	Delay    time.Duration // the retry delay, the time until a breaker probes, the timeout
	Err      error         // the failure behind the event, if any

	// Counts of the breaker's window at a state change.
	Calls, Failures, Slow int64
}

// Observer receives [Event]s. Policies never call an observer while holding
// a lock, so an observer may call back into the policy that emitted the
// event. Observers are called synchronously from the goroutine of the call
// that caused the event: keep them quick.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to [Observer].
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// Emit passes e to each observer in turn. With no observers it costs a
// length check.
func Emit(observers []Observer, e Event) {
	for _, o := range observers {
		o.Observe(e)
	}
}

// SlogObserver returns an [Observer] that writes each event as a structured
// log record to l (nil means [slog.Default]): state changes, rejections,
// exhausted retries and budgets, timeouts and panics at Warn, retries,
// fallbacks, hedges and chaos injections at Info.
func SlogObserver(l *slog.Logger) Observer {
	return slogObserver{l: l}
}

type slogObserver struct{ l *slog.Logger }

func (o slogObserver) Observe(e Event) {
	l := o.l
	if l == nil {
		l = slog.Default()
	}
	level := slog.LevelWarn
	switch e.Kind {
	case EventRetryScheduled, EventFallbackUsed, EventHedge, EventHedgeWon, EventInjected:
		level = slog.LevelInfo
	}
	ctx := context.Background()
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("policy", e.Policy), slog.String("event", e.Kind.String()))
	if e.From != "" || e.To != "" {
		attrs = append(attrs, slog.String("from", e.From), slog.String("to", e.To))
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", e.Reason))
	}
	if e.Attempt != 0 {
		attrs = append(attrs, slog.Int("attempt", e.Attempt))
	}
	if e.Delay != 0 {
		attrs = append(attrs, slog.Duration("delay", e.Delay))
	}
	if e.Kind == EventStateChange {
		attrs = append(attrs, slog.Int64("calls", e.Calls), slog.Int64("failures", e.Failures), slog.Int64("slow", e.Slow))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	l.LogAttrs(ctx, level, "rampart "+e.Kind.String(), attrs...)
}
