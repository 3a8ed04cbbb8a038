package retry

import (
	"context"
	"errors"
	"time"

	"github.com/rampart-go/rampart"
)

// Call follows one call through the policy's decisions: how many attempts
// it made, its backoff state, its last failure. [Policy.Execute] makes one
// per call that fails; a simulator drives one by hand in virtual time (see
// "Driving the policy yourself" in the package documentation).
//
// A Call is a plain value that allocates nothing. It is not safe for
// concurrent use; the policy and budget behind it are.
type Call struct {
	p        *Policy
	attempts int
	start    time.Time
	deadline time.Time
	state    BackoffState
	last     error
}

// Decision is what the policy decided after a failed attempt.
type Decision struct {
	// Retry is true when attempt Attempt is to run after Delay.
	Retry   bool
	Attempt int
	Delay   time.Duration
	// Err is what the call returns when Retry is false: an
	// [*ExhaustedError], a [*BudgetExhaustedError], or the attempt's own
	// error when it is not to be retried.
	Err error
	// Reason says why the policy stopped when Retry is false: one of the
	// Reason constants.
	Reason string
}

// Begin starts a call at now whose caller gives up at deadline (zero for
// none), and counts it in the budget. Its first attempt is attempt 1;
// report how it ends with [Call.Succeeded] or [Call.Failed]. now matters
// only when MaxElapsed is set.
func (p *Policy) Begin(now, deadline time.Time) Call {
	if p.counter != nil {
		p.counter.OnRequest()
	}
	return Call{p: p, attempts: 1, start: now, deadline: deadline}
}

// Attempts returns the number of the current attempt: 1 until a retry is
// scheduled, then the number of the attempt scheduled.
func (c *Call) Attempts() int { return c.attempts }

// Last returns the last failure passed to [Call.Failed].
func (c *Call) Last() error { return c.last }

// Succeeded records that the current attempt succeeded.
func (c *Call) Succeeded() { c.p.succeeded() }

// Failed records that the current attempt ended with err at now and
// decides what comes next. ctx is the caller's context, used to classify
// err and to see whether the caller has gone; a simulator, whose callers
// leave by not waiting, passes [context.Background]. Its deadline is not
// read: Begin was given it. A result rejected by RetryOnResult is reported as
// [ErrRetryableResult]. A nil err is recorded as a success.
//
// The rules, in order:
//   - a caller whose context is done is not retried: the attempt's error is
//     returned as it is if it is the context's, else joined with it;
//   - an error that is not a failure per the Classifier, is a local
//     rejection ([rampart.ErrRejected], such as an open circuit breaker's)
//     or is [rampart.Permanent] is returned as it is (unless RetryAll);
//   - otherwise the failure is recorded in the budget, then the call gives
//     up with an [*ExhaustedError] if MaxAttempts attempts were made, if a
//     server hint is longer than MaxRetryAfter, or if the wait (the hint,
//     else the backoff) would end at or after the deadline or after
//     MaxElapsed; a hint of zero or less is no hint (the backoff applies),
//     so a server cannot make the policy retry at once;
//   - otherwise the budget is asked for a retry; a refusal gives a
//     [*BudgetExhaustedError];
//   - otherwise the retry is scheduled and [rampart.EventRetryScheduled]
//     emitted.
func (c *Call) Failed(ctx context.Context, err error, now time.Time) Decision {
	return c.failed(ctx, err, instant{t: now, known: true})
}

// instant is the time of a failure, read from the policy's clock only when
// a decision needs it: a deadline or MaxElapsed to check, an event to
// stamp. Errors that are not retried, and retries of a call with neither
// deadline nor observers, read no clock.
type instant struct {
	t     time.Time
	known bool
}

func (i *instant) get(clock rampart.Clock) time.Time {
	if !i.known {
		i.t, i.known = rampart.Now(clock), true
	}
	return i.t
}

// failed is Failed with the time read lazily.
func (c *Call) failed(ctx context.Context, err error, now instant) Decision {
	if err == nil {
		c.Succeeded()
		return Decision{}
	}
	c.last = err
	if reason, end := c.p.final(ctx, err, c.attempts); reason != "" {
		return Decision{Err: end, Reason: reason}
	}
	return c.decide(err, now)
}

// final applies the first two rules of [Call.Failed] to err, the error of
// attempt number attempts. When the call ends with it whatever the budget,
// backoff and deadline say, it returns why (a Reason constant) and the error
// the call returns; otherwise an empty reason. It reads no clock and
// allocates nothing, unless the caller's context ended the call.
//
// It returns the parts of a Decision rather than a Decision: on the
// rejection path, a seven-word result spilled and copied cost more than the
// rest of final together.
func (p *Policy) final(ctx context.Context, err error, attempts int) (reason string, end error) {
	if ctx != nil && ctx.Err() != nil {
		if rampart.CausedByCaller(ctx, err) {
			return ReasonCanceled, err
		}
		return ReasonCanceled, &interruptedError{attempts: attempts, ctxErr: ctx.Err(), last: err}
	}
	// ErrRetryableResult comes only from a policy with RetryOnResult.
	resultRetry := p.onResult != nil && errors.Is(err, ErrRetryableResult)
	if !p.retryAll && !resultRetry && !p.retryable(ctx, err) {
		return ReasonNotRetryable, err
	}
	return "", nil
}

// decide applies the rest of the rules of [Call.Failed] to err, a failure
// that may be retried.
func (c *Call) decide(err error, now instant) Decision {
	p := c.p
	if p.budget != nil {
		p.budget.OnFailure()
	}
	if c.attempts >= p.maxAttempts {
		return c.giveUp(err, &now, ReasonAttempts, 0)
	}
	delay, state := time.Duration(0), c.state
	if hint, ok := hintOf(err); ok {
		if hint > p.maxRetryAfter {
			return c.giveUp(err, &now, ReasonRetryAfter, hint)
		}
		delay = hint
	} else {
		delay, state = p.backoff.Delay(c.attempts, c.state, p.rand)
	}
	if !c.deadline.IsZero() || p.maxElapsed > 0 {
		end := now.get(p.clock).Add(delay)
		if !c.deadline.IsZero() && !end.Before(c.deadline) {
			return c.giveUp(err, &now, ReasonDeadline, delay)
		}
		if p.maxElapsed > 0 && end.Sub(c.start) > p.maxElapsed {
			return c.giveUp(err, &now, ReasonMaxElapsed, delay)
		}
	}
	if p.budget != nil && !p.budget.TryRetry() {
		p.refused.Add(1)
		if len(p.observers) != 0 {
			rampart.Emit(p.observers, rampart.Event{
				Kind: rampart.EventBudgetExhausted, Policy: p.name, Time: now.get(p.clock),
				Reason: ReasonBudget, Attempt: c.attempts, Err: err,
			})
		}
		return Decision{Err: &BudgetExhaustedError{Attempts: c.attempts, Err: err}, Reason: ReasonBudget}
	}
	c.state = state
	c.attempts++
	p.retries.Add(1)
	if len(p.observers) != 0 {
		rampart.Emit(p.observers, rampart.Event{
			Kind: rampart.EventRetryScheduled, Policy: p.name, Time: now.get(p.clock),
			Attempt: c.attempts, Delay: delay, Err: err,
		})
	}
	return Decision{Retry: true, Attempt: c.attempts, Delay: delay}
}

// retryable reports whether err, a failed attempt's error, may be retried
// (RetryAll aside): a failure per the Classifier, not a local rejection,
// and not Permanent. A Classifier that calls the error a success counts as
// one. final has checked that the caller's context is live, so the default
// classifier, [rampart.Classify], would call any error a failure: it is not
// run again.
func (p *Policy) retryable(ctx context.Context, err error) bool {
	if p.classifier != nil {
		if ctx == nil {
			ctx = context.Background()
		}
		switch p.classifier(ctx, err) {
		case rampart.Success:
			p.succeeded()
			return false
		case rampart.Ignored:
			return false
		}
	}
	return !errors.Is(err, rampart.ErrRejected) && !rampart.IsPermanent(err)
}

// hintOf returns the server's retry-after hint in err, if it has one that
// asks for a wait: a hint of zero or less is no hint, so the backoff
// applies rather than an immediate retry.
func hintOf(err error) (time.Duration, bool) {
	d, ok := rampart.RetryAfter(err)
	return d, ok && d > 0
}

// giveUp ends the call with an ExhaustedError. delay is the wait that did
// not fit, if any.
func (c *Call) giveUp(err error, now *instant, reason string, delay time.Duration) Decision {
	p := c.p
	p.exhausted.Add(1)
	if len(p.observers) != 0 {
		rampart.Emit(p.observers, rampart.Event{
			Kind: rampart.EventRetriesExhausted, Policy: p.name, Time: now.get(p.clock),
			Reason: reason, Attempt: c.attempts, Delay: delay, Err: err,
		})
	}
	return Decision{Err: &ExhaustedError{Attempts: c.attempts, Reason: reason, Err: err}, Reason: reason}
}

// Interrupted returns the error for a call whose wait before the scheduled
// attempt was cut short by cause, the caller's context error. It matches
// both cause and the last failure with [errors.Is].
func (c *Call) Interrupted(cause error) error {
	c.p.interrupted.Add(1)
	return &interruptedError{attempts: c.attempts - 1, ctxErr: cause, last: c.last}
}
