package bulkhead_test

import "runtime"

func runtimeGosched() { runtime.Gosched() }
