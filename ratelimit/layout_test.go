package ratelimit

import (
	"testing"
	"unsafe"
)

// The state and what a decision reads share the limiter's first cache line,
// and the limiter's size is a whole number of lines, so that the allocator's
// size classes keep that line from being shared with another object.
func TestLimiterHotLineLayout(t *testing.T) {
	var l Limiter
	if off := unsafe.Offsetof(l.tat); off != 0 {
		t.Fatalf("tat at offset %d, want 0", off)
	}
	if end := unsafe.Offsetof(l.origin) + unsafe.Sizeof(l.origin); end > 64 {
		t.Fatalf("hot fields end at byte %d, want within the first 64", end)
	}
	if size := unsafe.Sizeof(l); size%64 != 0 {
		t.Fatalf("Limiter is %d bytes, want a multiple of 64", size)
	}
}
