package main

import (
	"os"
	"strings"
	"testing"
)

func parseTestdata(t *testing.T) *Results { return parseFile(t, "testdata/stat.csv") }

func parseFile(t *testing.T, name string) *Results {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ParseCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestParseCSVGroupsRowsByBenchmarkAndConvertsSecondsToNanoseconds(t *testing.T) {
	res := parseTestdata(t)
	if got := strings.Join(res.Benchmarks, ","); got != "Breaker,BreakerParallel,RateLimit" {
		t.Fatalf("benchmarks %q", got)
	}
	if res.Procs != "2" {
		t.Fatalf("procs %q, want 2", res.Procs)
	}
	fs := find(res.Rows["Breaker"], "failsafe-go")
	if fs == nil {
		t.Fatal("no failsafe-go row: the -2 suffix was not stripped from a name that has a dash of its own")
	}
	if ns := fs.Metrics["ns/op"]; ns.Value != 900 || ns.CI != "3%" {
		t.Fatalf("failsafe-go ns/op = %+v, want 900 ±3%%", ns)
	}
	if fs.Metrics["B/op"].Value != 464 || fs.Metrics["allocs/op"].Value != 15 {
		t.Fatalf("failsafe-go memory = %+v", fs.Metrics)
	}
}

func TestParseCSVRejectsInputWithoutBenchmarks(t *testing.T) {
	if _, err := ParseCSV(strings.NewReader("goos: linux\n")); err == nil {
		t.Fatal("want an error for input with no rows")
	}
}

func TestSplitNameWithoutProcsSuffix(t *testing.T) {
	b, lib, procs, ok := splitName("Retry/lib=backoff")
	if !ok || b != "Retry" || lib != "backoff" || procs != "" {
		t.Fatalf("got %q %q %q %v", b, lib, procs, ok)
	}
	if _, _, _, ok := splitName("BenchmarkOther"); ok {
		t.Fatal("a name without lib= must be skipped")
	}
}

// render renders res with a fixed header, and checks the report holds each
// of want.
func render(t *testing.T, res *Results, want ...string) string {
	t.Helper()
	var b strings.Builder
	m := Meta{Date: "2026-01-02", GoVersion: "go1.26.8", CPU: "Test CPU", Procs: "2", Command: "go test -bench ."}
	if err := Render(&b, res, m, ""); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q\n%s", w, out)
		}
	}
	return out
}

func TestRenderShowsSpeedUpsAndMarksClassesWithoutRampart(t *testing.T) {
	render(t, parseTestdata(t),
		"- Date: 2026-01-02",
		"- Go: go1.26.8",
		"- CPU: Test CPU",
		"| Breaker | 12.0 | 0 | 12× vs gobreaker, 75× vs failsafe-go | 30× vs gobreaker |",
		"| RateLimit | no rampart row yet | | | |",
		"| **rampart** | 12.0 | ±2% | 0 | 0 | — |",
		"| failsafe-go | 900 | ±3% | 464 | 15 | 75× |",
		"| xrate | 130 | ±1% | 0 | 0 | — |",
	)
}

func TestRatioKeepsTwoDigitsWhenRampartIsSlower(t *testing.T) {
	r := &Row{Lib: "rampart", Metrics: map[string]Metric{"ns/op": {Value: 150}}}
	p := &Row{Lib: "eapache", Metrics: map[string]Metric{"ns/op": {Value: 6}}}
	if got := ratio(r, p); got != "0.04×" {
		t.Fatalf("got %q, want 0.04×", got)
	}
}

func TestCPUInfoReadsModelName(t *testing.T) {
	in := "processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\nflags\t: x\n"
	if got := CPUInfo(strings.NewReader(in)); got != "Some CPU @ 2.0GHz" {
		t.Fatalf("got %q", got)
	}
}

func TestParseEnvReadsGoTestHeader(t *testing.T) {
	in := "goos: linux\ngoarch: amd64\npkg: x\ncpu: AMD EPYC\nBenchmarkX-2 1 1 ns/op\n"
	e := ParseEnv(strings.NewReader(in))
	if e.GOOS != "linux" || e.GOARCH != "amd64" || e.CPU != "AMD EPYC" {
		t.Fatalf("got %+v", e)
	}
}

func TestRenderShowsTheClockTheMemoryTableAndEapachesNote(t *testing.T) {
	out := render(t, parseFile(t, "testdata/memory.csv"),
		"- One read of the clock, `time.Now`: 52.0 ns",
		"## Memory: bytes per breaker and per open → closed cycle",
		"| consecutive failures | **rampart** | 528 | 2 | 64 | 1 |",
		"| consecutive failures | eapache † | 80 | 1 | 113 | 2 |",
		"| time window (10 s, 10 buckets) | **rampart** | 1040 | 5 | — | — |",
		"| eapache † | 2.70 |",
		"† eapache's breaker is not a consecutive-failure breaker",
	)
	for _, unwanted := range []string{"## Clock", "## MemoryNew", "| MemoryCycleConsecutive |"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("report shows %q as a class\n%s", unwanted, out)
		}
	}
}

func TestRenderShowsOverheadClassesByTheirOverhead(t *testing.T) {
	out := render(t, parseFile(t, "testdata/overhead.csv"),
		"| GRPCUnaryOverhead | — | 5 over a plain call | CPU over a plain call: rampart 7.3 %, grpc 1.9 %, failsafe-go 5.6 %, go-grpc-middleware -0.5 %, grpc-a6-options 7.7 % | — |",
		"| library | CPU over a plain call | ± | CPU per call (ns) | extra allocs/call | extra B/call |",
		"| **rampart** | 7.3 % | ? | 42267 | 5 | 512 |",
		"| failsafe-go | 5.6 % | ±89% | 32056 | 16 | 768 |",
		"| grpc | 1.9 % | ? | 39403 | 0 | 0 |",
	)
	if strings.Contains(out, "speed-up") && strings.Contains(out, "| grpc | 0 |") {
		t.Errorf("an overhead class rendered by ns/op\n%s", out)
	}
}
