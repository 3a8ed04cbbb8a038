package retry

import (
	"errors"
	"strconv"
)

const pkg = "retry"

var (
	// ErrExhausted matches every [*ExhaustedError]: the policy gave up on
	// a failure it would otherwise have retried, because attempts ran out
	// or the next wait would not fit in the time left.
	ErrExhausted = errors.New("retry: retries exhausted")

	// ErrBudgetExhausted matches every [*BudgetExhaustedError]: the retry
	// budget refused a retry.
	ErrBudgetExhausted = errors.New("retry: retry budget exhausted")

	// ErrRetryableResult is the failure behind an [*ExhaustedError] or a
	// [*BudgetExhaustedError] when the last attempt returned no error but
	// a result that [Config.RetryOnResult] asked to retry. The call's
	// result is that last result.
	ErrRetryableResult = errors.New("retry: result matched RetryOnResult")
)

// Reasons the policy stops, found in [ExhaustedError.Reason],
// [Decision.Reason] and the Reason of the events it emits.
const (
	ReasonAttempts     = "attempts"      // MaxAttempts attempts were made
	ReasonDeadline     = "deadline"      // the next wait would end after the context's deadline
	ReasonMaxElapsed   = "max_elapsed"   // the next wait would end after MaxElapsed
	ReasonRetryAfter   = "retry_after"   // the server's hint is longer than MaxRetryAfter
	ReasonBudget       = "budget"        // the retry budget refused
	ReasonNotRetryable = "not_retryable" // the error is not to be retried (permanent, not a failure)
	ReasonCanceled     = "canceled"      // the caller's context is done
)

// ExhaustedError is returned when the policy gives up on a failure it would
// otherwise retry. It matches [ErrExhausted] and unwraps to the last
// failure, so errors.Is(err, io.ErrUnexpectedEOF) still works on it.
type ExhaustedError struct {
	// Attempts is how many attempts were made.
	Attempts int
	// Reason is why the policy stopped: ReasonAttempts, ReasonDeadline,
	// ReasonMaxElapsed or ReasonRetryAfter.
	Reason string
	// Err is the last failure.
	Err error
}

// Error returns "retry: gave up after N attempts", the reason when it is
// not the attempts, and the last failure.
func (e *ExhaustedError) Error() string {
	s := "retry: gave up after " + attempts(e.Attempts)
	if e.Reason != ReasonAttempts && e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s + ": " + errString(e.Err)
}

// Is makes e match [ErrExhausted].
func (e *ExhaustedError) Is(target error) bool { return target == ErrExhausted }

// Unwrap returns the last failure.
func (e *ExhaustedError) Unwrap() error { return e.Err }

// BudgetExhaustedError is returned when the retry budget refuses a retry.
// It matches [ErrBudgetExhausted] and unwraps to the last failure.
type BudgetExhaustedError struct {
	// Attempts is how many attempts were made.
	Attempts int
	// Err is the last failure.
	Err error
}

// Error says the budget refused a retry, after how many attempts, and
// the last failure.
func (e *BudgetExhaustedError) Error() string {
	return "retry: budget refused a retry after " + attempts(e.Attempts) + ": " + errString(e.Err)
}

// Is makes e match [ErrBudgetExhausted].
func (e *BudgetExhaustedError) Is(target error) bool { return target == ErrBudgetExhausted }

// Unwrap returns the last failure.
func (e *BudgetExhaustedError) Unwrap() error { return e.Err }

// interruptedError is returned when the caller's context ends the loop,
// during a wait between attempts or just as an attempt failed. It matches
// the context's error and the last failure.
type interruptedError struct {
	attempts int
	ctxErr   error
	last     error
}

func (e *interruptedError) Error() string {
	return "retry: stopped by " + errString(e.ctxErr) + " after " + attempts(e.attempts) + ": " + errString(e.last)
}

func (e *interruptedError) Unwrap() []error { return []error{e.ctxErr, e.last} }

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
