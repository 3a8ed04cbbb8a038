package bubble

import (
	"testing"
	"testing/synctest"
)

func TestInTellsABubble(t *testing.T) {
	if In() {
		t.Fatal("In() outside any bubble")
	}
	if _, outside := Now(); !outside {
		t.Fatal("Now says bubble outside any")
	}
	synctest.Test(t, func(t *testing.T) {
		if !In() {
			t.Fatal("In() is false in a bubble")
		}
		if _, outside := Now(); outside {
			t.Fatal("Now says outside in a bubble")
		}
	})
}
