package main

import "testing"

func TestSplitNameKeepsSubBenchmarksInTheClass(t *testing.T) {
	for _, c := range []struct{ name, bench, lib, procs string }{
		{"PipelineOpen/Do/lib=rampart-2", "PipelineOpen/Do", "rampart", "2"},
		{"PipelineOpen/Get/lib=failsafe-go", "PipelineOpen/Get", "failsafe-go", ""},
		{"BreakerParallel/lib=gobreaker-8", "BreakerParallel", "gobreaker", "8"},
	} {
		b, lib, procs, ok := splitName(c.name)
		if !ok || b != c.bench || lib != c.lib || procs != c.procs {
			t.Errorf("splitName(%q) = %q, %q, %q, %v; want %q, %q, %q", c.name, b, lib, procs, ok, c.bench, c.lib, c.procs)
		}
	}
	for _, name := range []string{"lib=x", "/lib=x", "PipelineOpen/Do"} {
		if _, _, _, ok := splitName(name); ok {
			t.Errorf("splitName(%q) accepted a name with no benchmark or no lib", name)
		}
	}
}
