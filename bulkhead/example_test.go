package bulkhead_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/bulkhead"
)

func Example() {
	b, err := bulkhead.New(bulkhead.Config{MaxConcurrent: 1})
	if err != nil {
		panic(err)
	}
	held, _ := b.Acquire(context.Background())
	// Every slot is taken and there is no queue: the call is rejected.
	err = b.Do(context.Background(), func(context.Context) error { return nil })
	fmt.Println(errors.Is(err, bulkhead.ErrFull), errors.Is(err, rampart.ErrRejected))
	held.Release()
	err = b.Do(context.Background(), func(context.Context) error { return nil })
	fmt.Println(err)
	// Output:
	// true true
	// <nil>
}

func ExampleBulkhead_Acquire() {
	b, _ := bulkhead.New(bulkhead.Config{MaxConcurrent: 4, MaxQueue: 16})
	p, err := b.Acquire(context.Background())
	if err != nil {
		return // rejected: shed the work
	}
	defer p.Release()
	fmt.Println(b.Snapshot().InFlight)
	// Output: 1
}
