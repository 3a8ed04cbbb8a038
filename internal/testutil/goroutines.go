package testutil

import (
	"runtime"
	"testing"
	"time"
)

// CheckGoroutines fails t if goroutines started during the test are still
// running once it has cleaned up: it notes the count now and, in a cleanup,
// yields until the count is back (for at most 10 s) before reporting every
// goroutine's stack. Call it first in the test, since cleanups run last
// first and servers closed by later cleanups must be gone before it looks.
func CheckGoroutines(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("%d goroutines left after the test (before: %d):\n%s", n-before, before, buf)
		}
	})
}
