package bulkhead

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
)

// Bulkhead limits how many calls run at once, with a bounded first-come,
// first-served queue for the calls that find every slot taken. It is safe
// for concurrent use.
type Bulkhead struct {
	// state holds the calls in flight in its low 32 bits and the calls
	// waiting in its high 32 bits, so one compare-and-swap takes or frees
	// a slot while no one waits, with no lock.
	state atomic.Uint64
	_     [56]byte // keep state alone on its cache line

	max, maxQueue uint64
	maxWait       time.Duration
	minTimeLeft   time.Duration
	name          string
	clock         rampart.Clock
	observers     []rampart.Observer
	errFull       error

	mu    sync.Mutex // guards the queue; never held while calling user code
	head  *waiter
	tail  *waiter
	count int // waiters in the list; equals the high half of state under mu

	rejected atomic.Uint64
}

const waitOne = 1 << 32

// New returns a bulkhead, or an error naming the first invalid field.
func New(c Config) (*Bulkhead, error) {
	c, err := c.validate()
	if err != nil {
		return nil, err
	}
	return &Bulkhead{
		max: uint64(c.MaxConcurrent), maxQueue: uint64(c.MaxQueue),
		maxWait: c.MaxWait, minTimeLeft: c.MinTimeLeft,
		name: c.Name, clock: c.Clock, observers: c.Observers,
		errFull: &RejectedError{Policy: c.Name, Reason: ReasonFull},
	}, nil
}

// Name returns the bulkhead's name.
func (b *Bulkhead) Name() string { return b.name }

// Permit is a slot of the bulkhead, held from [Bulkhead.Acquire] until
// [Permit.Release]. It is a small value; acquiring and releasing one
// allocates nothing unless the call waits.
type Permit struct {
	b *Bulkhead
}

// Release gives the slot back, to the first waiting call if any. Release
// clears the permit it is called on, so a second Release through the same
// variable does nothing. Copies of a permit are not tracked: release each
// slot once, through one variable. The zero Permit's Release does nothing.
func (p *Permit) Release() {
	b := p.b
	if b == nil {
		return
	}
	p.b = nil
	b.release()
}

// Acquire takes a slot, waiting in the queue if every slot is taken. It
// returns an error matching [ErrFull] and [rampart.ErrRejected] when the
// queue is full, when the caller's deadline leaves less than MinTimeLeft,
// or when MaxWait passes; the context's error when it ends while waiting
// (the place in the queue is given up).
//
// While no call waits, Acquire takes no lock, reads no clock and allocates
// nothing; it does not look at ctx either, so a caller whose context is
// already done may still get a free slot (one that would have to wait is
// refused with the context's error).
func (b *Bulkhead) Acquire(ctx context.Context) (Permit, error) {
	s := b.state.Load()
	if s < b.max && b.state.CompareAndSwap(s, s+1) { // no waiter, a free slot
		return Permit{b: b}, nil
	}
	return b.acquireSlow(ctx)
}

func (b *Bulkhead) release() {
	for {
		s := b.state.Load()
		if s>>32 != 0 {
			b.handOff()
			return
		}
		if b.state.CompareAndSwap(s, s-1) {
			return
		}
	}
}

// Execute implements [rampart.Policy]: it runs next in a slot.
func (b *Bulkhead) Execute(ctx context.Context, next rampart.Next) error {
	p, err := b.Acquire(ctx)
	if err != nil {
		return err
	}
	defer p.Release() // runs on a panic too
	return next.Run(ctx)
}

// Do runs fn in a slot; see [rampart.Do].
func (b *Bulkhead) Do(ctx context.Context, fn func(context.Context) error) error {
	return rampart.Do(ctx, b, fn)
}

// Snapshot is a bulkhead's counts at one moment.
type Snapshot struct {
	Name          string
	MaxConcurrent int
	InFlight      int    // calls holding a slot
	Queued        int    // calls waiting for one
	Rejected      uint64 // calls rejected since the bulkhead was built
}

// Snapshot returns the bulkhead's counts. It takes no lock.
func (b *Bulkhead) Snapshot() Snapshot {
	s := b.state.Load()
	return Snapshot{
		Name: b.name, MaxConcurrent: int(b.max),
		InFlight: int(uint32(s)), Queued: int(s >> 32),
		Rejected: b.rejected.Load(),
	}
}
