package bench

import (
	"context"
	"errors"

	fsbulkhead "github.com/failsafe-go/failsafe-go/bulkhead"
	"github.com/rampart-go/rampart/bulkhead"
)

// Bulkhead class: a call through a bulkhead of BulkheadLimit slots that
// has room, so the call takes a slot, runs and gives the slot back.
//
// Where the libraries differ:
//   - rampart: Acquire (non-blocking while a slot is free) and Release on
//     the permit; rampart's bulkhead also has a FIFO queue, not used here.
//   - failsafe-go: TryAcquirePermit and ReleasePermit, its non-blocking
//     pair. Going through an Executor would add its per-call cost.

// BulkheadLimit is the bulkhead's concurrency limit: far above the
// benchmark's goroutines, so no call waits or is refused.
const BulkheadLimit = 64

// ErrBulkheadFull is what a failsafe-go row returns when its bulkhead
// refuses; rampart's rows return bulkhead.ErrFull.
var ErrBulkheadFull = errors.New("bench: bulkhead full")

// BulkheadSubjects lists the Bulkhead class's rows.
func BulkheadSubjects() []Subject {
	return []Subject{
		{Lib: "rampart", New: rampartBulkhead},
		{Lib: "failsafe-go", New: failsafeBulkhead},
	}
}

func rampartBulkhead() Instance {
	b := must(bulkhead.New(bulkhead.Config{MaxConcurrent: BulkheadLimit}))
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		p, err := b.Acquire(ctx)
		if err != nil {
			return err
		}
		err = fn(ctx)
		p.Release()
		return err
	}}
}

func failsafeBulkhead() Instance {
	b := fsbulkhead.New[any](BulkheadLimit)
	return Instance{Call: func(ctx context.Context, fn func(context.Context) error) error {
		if !b.TryAcquirePermit() {
			return ErrBulkheadFull
		}
		err := fn(ctx)
		b.ReleasePermit()
		return err
	}}
}
