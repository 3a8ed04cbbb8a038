package window_test

import (
	"fmt"

	"github.com/rampart-go/rampart/internal/window"
)

// The last four calls: older calls leave as new ones arrive.
func ExampleCount() {
	w := window.NewCount(4)
	w.Record(window.Failed)
	w.Record(window.Failed | window.Slow)
	for range 3 {
		w.Success()
	}
	fmt.Printf("%+v\n", w.Counts())
	// Output: {Calls:4 Failures:1 Slow:1}
}

// Ten one-second buckets: a call leaves the window ten seconds after it
// was recorded, a bucket at a time.
func ExampleTime() {
	const second = int64(1e9)
	w := window.NewTime(second, 10)
	w.Record(0, window.Failed)
	w.Record(5*second, 0)
	fmt.Printf("%+v\n", w.Counts(9*second))
	fmt.Printf("%+v\n", w.Counts(12*second))
	// Output:
	// {Calls:2 Failures:1 Slow:0}
	// {Calls:1 Failures:0 Slow:0}
}
