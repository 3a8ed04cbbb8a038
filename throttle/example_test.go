package throttle_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/rampart-go/rampart/throttle"
)

func Example() {
	group, err := throttle.NewGroup(throttle.Config{})
	if err != nil {
		panic(err)
	}
	search := group.For("search.internal")
	err = search.Do(context.Background(), func(ctx context.Context) error {
		return nil // call the destination
	})
	fmt.Println(err, search.Probability())
	// Output: <nil> 0
}

// The two-step form: ask, then say whether the destination accepted.
func ExampleThrottle_Allow() {
	t, _ := throttle.New(throttle.Config{})
	if !t.Allow() {
		fmt.Println("refused locally")
		return
	}
	err := errors.New("503 overloaded") // the destination's answer
	t.Record(err == nil)
	fmt.Println("accepted:", err == nil)
	// Output: accepted: false
}
