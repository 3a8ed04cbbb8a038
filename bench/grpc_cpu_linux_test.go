//go:build linux

package bench_test

import (
	"syscall"
	"time"
	"unsafe"
)

// processCPU returns the CPU time the process has used so far, user and
// system, every goroutine included (the loopback server's too). The
// kernel brings a thread's count up to date when it stops running or at a
// clock tick, so a reading can miss up to a tick of a thread running on
// another core: fine over a benchmark run, coarse over a few calls.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// threadCPU returns the CPU time the calling OS thread has used so far,
// to the nanosecond; a caller that locks its goroutine to its thread
// (runtime.LockOSThread) reads the goroutine's.
func threadCPU() (time.Duration, bool) {
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
