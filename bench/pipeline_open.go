package bench

import (
	"context"

	"github.com/cenkalti/backoff/v5"
	"github.com/eapache/go-resiliency/breaker"
	"github.com/failsafe-go/failsafe-go"
	fscircuitbreaker "github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/fallback"
	"github.com/failsafe-go/failsafe-go/timeout"
	"github.com/sony/gobreaker/v2"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	rfallback "github.com/rampart-go/rampart/fallback"
)

// PipelineOpen class: the Pipeline class's pipeline (fallback → retry →
// breaker → per-attempt timeout, each row composed as in pipeline.go) with
// its breaker open, as during an incident: the breaker rejects, the retry
// does not retry the rejection, the fallback answers. Two sub-benchmarks:
//
//   - Do: the call returns only an error, which the fallback turns into nil.
//   - Get: the call returns a value, Fallback when the fallback answered,
//     and tells the caller that it did: rampart through a fallback.Report
//     made for the call (fallback.NewReport), failsafe-go through a value
//     its fallback function sets in the call's context (the nearest it has:
//     its fallback listeners are per policy, not per call), gobreaker and
//     eapache through the caller's own if, which costs nothing.
//
// Each row's breaker is tripped before the benchmark by ConsecutiveFailures
// failing calls of its own, so the loop measures only the open path.
// hystrix-go is left out: its open circuit is global state shared by every
// row of the process.

// Fallback is the value the Get rows' fallbacks answer with.
const Fallback = 42

// GetCall runs fn under one library's pipeline and returns its result,
// whether a fallback answered, and the error left.
type GetCall func(ctx context.Context, fn func(context.Context) (int, error)) (v int, fellBack bool, err error)

// GetSubject is one row of a Get class.
type GetSubject struct {
	Lib string
	New func() GetCall
}

// PipelineOpenSubjects lists the PipelineOpen/Do rows.
func PipelineOpenSubjects() []Subject {
	return []Subject{
		{Lib: "rampart", New: func() Instance {
			return Instance{Call: rampartComposed(trippedRampart(), struct{}{}).Do}
		}},
		{Lib: "failsafe-go", New: func() Instance { return failsafeComposed(trippedFailsafe[any]()) }},
		{Lib: "eapache", New: func() Instance { return eapacheComposed(trippedEapache()) }},
		{Lib: "gobreaker", New: func() Instance { return gobreakerComposed(trippedGobreaker()) }},
	}
}

// PipelineOpenGetSubjects lists the PipelineOpen/Get rows.
func PipelineOpenGetSubjects() []GetSubject {
	return []GetSubject{
		{Lib: "rampart", New: rampartOpenGet},
		{Lib: "failsafe-go", New: failsafeOpenGet},
		{Lib: "eapache", New: eapacheOpenGet},
		{Lib: "gobreaker", New: gobreakerOpenGet},
	}
}

func trippedRampart() *circuitbreaker.Breaker {
	cb := rampartConsecutive()
	for range ConsecutiveFailures {
		_ = cb.Do(context.Background(), Fail)
	}
	return cb
}

func trippedEapache() *breaker.Breaker {
	b := breaker.New(ConsecutiveFailures, 1, OpenFor)
	for range ConsecutiveFailures {
		_ = b.Run(func() error { return ErrFail })
	}
	return b
}

func trippedGobreaker() *gobreaker.CircuitBreaker[struct{}] {
	cb := gobreakerPipelineBreaker()
	for range ConsecutiveFailures {
		_, _ = cb.Execute(func() (struct{}, error) { return struct{}{}, ErrFail })
	}
	return cb
}

func rampartOpenGet() GetCall {
	p := rampartComposed(trippedRampart(), Fallback)
	return func(ctx context.Context, fn func(context.Context) (int, error)) (int, bool, error) {
		ctx, rep := rfallback.NewReport(ctx)
		v, err := rampart.Get(ctx, p, fn)
		return v, rep.Used, err
	}
}

type fellBackKey struct{}

func failsafeOpenGet() GetCall {
	exec := failsafe.With[int](
		fallback.NewWithFunc(func(e failsafe.Execution[int]) (int, error) {
			if used, ok := e.Context().Value(fellBackKey{}).(*bool); ok {
				*used = true
			}
			return Fallback, nil
		}),
		failsafePipelineRetry[int](),
		trippedFailsafe[int](),
		timeout.New[int](AttemptTimeout),
	)
	return func(ctx context.Context, fn func(context.Context) (int, error)) (int, bool, error) {
		used := false
		v, err := exec.WithContext(context.WithValue(ctx, fellBackKey{}, &used)).
			GetWithExecution(func(e failsafe.Execution[int]) (int, error) { return fn(e.Context()) })
		return v, used, err
	}
}

func eapacheOpenGet() GetCall {
	b := trippedEapache()
	r := eapachePipelineRetrier()
	return func(ctx context.Context, fn func(context.Context) (int, error)) (int, bool, error) {
		var v int
		err := r.RunCtx(ctx, func(ctx context.Context) error {
			return b.Run(func() error {
				actx, cancel := context.WithTimeout(ctx, AttemptTimeout)
				defer cancel()
				var err error
				v, err = fn(actx)
				return err
			})
		})
		if err != nil {
			return Fallback, true, nil
		}
		return v, false, nil
	}
}

func gobreakerOpenGet() GetCall {
	cb := trippedGobreaker()
	return func(ctx context.Context, fn func(context.Context) (int, error)) (int, bool, error) {
		var v int
		_, err := backoff.Retry(ctx, func() (struct{}, error) {
			return gobreakerAttempt(ctx, cb, func(ctx context.Context) error {
				var err error
				v, err = fn(ctx)
				return err
			})
		}, backoffOptions()...)
		if err != nil {
			return Fallback, true, nil
		}
		return v, false, nil
	}
}

// trippedFailsafe returns the pipeline's failsafe-go breaker, typed R
// (failsafe-go's policies are typed by result), tripped.
func trippedFailsafe[R any]() fscircuitbreaker.CircuitBreaker[R] {
	cb := failsafePipelineBreaker[R]()
	exec := failsafe.With[R](cb)
	for range ConsecutiveFailures {
		_ = exec.Run(func() error { return ErrFail })
	}
	return cb
}
