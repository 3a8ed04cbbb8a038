package testutil_test

import (
	"fmt"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/testutil"
)

func ExampleRecorder() {
	var rec testutil.Recorder
	observers := []rampart.Observer{&rec}
	rampart.Emit(observers, rampart.Event{Kind: rampart.EventStateChange, From: "closed", To: "open"})
	fmt.Println(rec.Kinds(), rec.Of(rampart.EventStateChange)[0].To)
	// Output: [state_change] open
}
