package striped_test

import (
	"fmt"
	"sync"

	"github.com/rampart-go/rampart/internal/striped"
)

// Many goroutines count into one Counter; a reader sums it.
func ExampleCounter() {
	var rejected striped.Counter
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 250 {
				rejected.Add(1)
			}
		})
	}
	wg.Wait()
	fmt.Println(rejected.Load())
	// Output: 1000
}
