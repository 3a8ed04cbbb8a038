//go:build !linux

package bench_test

import "time"

// processCPU and threadCPU are read on Linux only: elsewhere the
// benchmarks report no CPU figures.
func processCPU() (time.Duration, bool) { return 0, false }
func threadCPU() (time.Duration, bool)  { return 0, false }
