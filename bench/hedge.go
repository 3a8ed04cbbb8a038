package bench

import (
	"context"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/hedgepolicy"
	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/hedge"
)

// Hedge class: a hedging policy whose first attempt answers before the
// delay, so no hedge fires. Every row hedges once (MaxHedges) after a fixed
// HedgeDelay, cancels the loser, and has no budget.
//
// Where the libraries differ:
//   - rampart runs the first attempt on the caller's goroutine and arms the
//     hedge only when the attempt asks for its context's Done channel, on
//     one timer the policy's calls share (no timer per call); a call waits
//     for its losers to return before it returns.
//   - failsafe-go runs every attempt, the first included, in a goroutine of
//     its own with a timer per attempt, and returns as soon as a result is
//     accepted, while the cancelled losers may still run. The function gets
//     its context from the execution (Execution.Context), as its users
//     write it.
//   - Polly v8 (.NET, 395 ns here) has no Go row.
//
// The class runs with bench.SucceedWatching: a function that looks at its
// context as a network call does, which is what arms rampart's timer.

// HedgeSubjects lists the Hedge class's rows.
func HedgeSubjects() []Subject {
	return []Subject{
		{Lib: "rampart", New: rampartHedge},
		{Lib: "failsafe-go", New: failsafeHedge},
	}
}

// HedgeSubjectsWithDelay builds the rows with delay d, for the correctness
// tests that make the delay pass.
func HedgeSubjectsWithDelay(d time.Duration) []Subject {
	return []Subject{
		{Lib: "rampart", New: func() Instance { return newRampartHedge(d) }},
		{Lib: "failsafe-go", New: func() Instance { return newFailsafeHedge(d) }},
	}
}

func rampartHedge() Instance { return newRampartHedge(HedgeDelay) }

func newRampartHedge(d time.Duration) Instance {
	p, err := hedge.New(hedge.Config{Delay: d, MaxHedges: MaxHedges, DisableBudget: true})
	if err != nil {
		panic(err)
	}
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		return rampart.Do(ctx, p, fn)
	}}
}

func failsafeHedge() Instance { return newFailsafeHedge(HedgeDelay) }

func newFailsafeHedge(d time.Duration) Instance {
	hp := hedgepolicy.NewBuilderWithDelay[any](d).WithMaxHedges(MaxHedges).Build()
	exec := failsafe.With[any](hp)
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		return exec.WithContext(ctx).RunWithExecution(func(e failsafe.Execution[any]) error {
			return fn(e.Context())
		})
	}}
}
