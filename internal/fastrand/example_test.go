package fastrand_test

import (
	"fmt"

	"github.com/rampart-go/rampart/internal/fastrand"
)

// Two sources with one seed draw the same sequence.
func Example() {
	a, b := fastrand.New(7), fastrand.New(7)
	same := true
	for range 1000 {
		if a.Uint64() != b.Uint64() {
			same = false
		}
	}
	u := fastrand.Float64(a.Uint64())
	fmt.Println(same, u >= 0 && u < 1)
	// Output: true true
}
