package demo

import (
	"errors"
	"strconv"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/retry"
	"github.com/rampart-go/rampart/timeout"
)

// describe says in a few words why the recommendations were not fresh,
// for the page.
func describe(err error) string {
	var open *circuitbreaker.OpenError
	var exhausted *retry.ExhaustedError
	var budget *retry.BudgetExhaustedError
	var status *statusError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &open):
		return "circuit breaker open, so the service is not called; next probe in " + open.RetryAfter().Round(time.Millisecond).String()
	case errors.Is(err, circuitbreaker.ErrTooManyProbes):
		return "circuit breaker half-open, and its probe is already in flight"
	case errors.As(err, &budget):
		return describe(budget.Err) + "; retry budget spent, no retry"
	case errors.As(err, &exhausted):
		why := ""
		switch exhausted.Reason {
		case retry.ReasonDeadline:
			why = ", no time left for another"
		case retry.ReasonRetryAfter:
			why = ", the service asked for more time than the page has"
		}
		return describe(exhausted.Err) + " (" + strconv.Itoa(exhausted.Attempts) + " attempts" + why + ")"
	case errors.Is(err, timeout.ErrTimeout):
		return "no answer within the per-attempt timeout"
	case errors.As(err, &status):
		if d, ok := rampart.RetryAfter(err); ok {
			return "the service answered HTTP " + strconv.Itoa(status.code) + " with Retry-After " + d.String()
		}
		return "the service answered HTTP " + strconv.Itoa(status.code)
	}
	return err.Error()
}
