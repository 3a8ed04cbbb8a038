package bulkhead

import (
	"errors"

	"github.com/rampart-go/rampart"
)

// ErrFull matches, with [errors.Is], every rejection by a bulkhead. Such
// errors match [rampart.ErrRejected] too.
var ErrFull = errors.New("bulkhead: full")

// Reasons a call is rejected, in [RejectedError.Reason] and the event's
// Reason.
const (
	ReasonFull      = "full"      // every slot taken and no room in the queue
	ReasonDeadline  = "deadline"  // the caller's deadline leaves too little time to wait
	ReasonMaxWait   = "max_wait"  // the call waited MaxWait without getting a slot
	ReasonDisplaced = "displaced" // a call of higher priority took its place in the queue
)

// RejectedError is returned by a bulkhead that refuses a call. It matches
// [ErrFull] and [rampart.ErrRejected].
type RejectedError struct {
	Policy string // the bulkhead's name
	Reason string // one of the Reason constants
}

// Error says why the bulkhead refused: "bulkhead: full", with the reason.
func (e *RejectedError) Error() string {
	s := "bulkhead: "
	if e.Policy != "" && e.Policy != pkg {
		s += e.Policy + ": "
	}
	switch e.Reason {
	case ReasonDeadline:
		return s + "full, and the caller's deadline leaves no time to wait"
	case ReasonMaxWait:
		return s + "full, no slot within the maximum wait"
	case ReasonDisplaced:
		return s + "full, queue place taken by a call of higher priority"
	}
	return s + "full"
}

// Is matches [ErrFull] and [rampart.ErrRejected].
func (e *RejectedError) Is(target error) bool {
	return target == ErrFull || target == rampart.ErrRejected
}

// reject counts and reports a rejection. A plain "full" rejection returns
// the bulkhead's one prebuilt error, so rejecting allocates nothing.
func (b *Bulkhead) reject(reason string) error {
	var err error
	switch reason {
	case ReasonFull:
		err = b.errFull
	default:
		err = &RejectedError{Policy: b.name, Reason: reason}
	}
	b.rejected.Add(1)
	if len(b.observers) != 0 {
		rampart.Emit(b.observers, rampart.Event{
			Kind: rampart.EventRejected, Policy: b.name, Time: rampart.Now(b.clock),
			Reason: reason, Err: err,
		})
	}
	return err
}
