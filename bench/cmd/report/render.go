package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Class describes one operation class of the benchmarks.
type Class struct {
	Name, Title, About string
}

// Classes are the benchmark classes in the order the report shows them.
var Classes = []Class{
	{"Breaker", "Circuit breaker, consecutive-failure window",
		"A call through a closed breaker that trips after 5 consecutive failures; the call succeeds. " +
			"hystrix-go has no count window and appears under the time window."},
	{"BreakerTimeWindow", "Circuit breaker, time window",
		"A call through a closed breaker with a 10 s rolling window that trips at ≥ 50 % failures over ≥ 20 calls; the call succeeds."},
	{"BreakerOpen", "Circuit breaker, open (rejection path)",
		"A call refused by a tripped breaker: the cost of saying no. rampart-allow is rampart's two-step form, Allow then Done."},
	{"Retry", "Retry, first attempt succeeds",
		"3 attempts at most, exponential backoff from 100 ms, ×2, capped at 10 s, jittered; the first attempt succeeds."},
	{"Pipeline", "Pipeline: fallback + retry + breaker + per-attempt timeout",
		"The four together, outermost first, each configured as above with a 1 s per-attempt timeout; the call succeeds. " +
			"Libraries that lack a part are composed the way their users do (see bench/pipeline.go)."},
	{"PipelineOpen/Do", "Pipeline with the breaker open, Do",
		"The Pipeline class's four policies during an incident: the breaker is open, the retry does not retry its rejection, " +
			"the fallback answers. The call returns only an error (see bench/pipeline_open.go)."},
	{"PipelineOpen/Get", "Pipeline with the breaker open, Get and report",
		"The same, through a call that returns a value, with the caller told that the fallback answered " +
			"(rampart: a fallback.Report made per call; peers: the nearest each has, see bench/pipeline_open.go)."},
	{"RetryThenSucceed", "Retry, first attempt fails, second succeeds",
		"3 attempts at most, no wait between them; every call's first attempt fails and its second succeeds. " +
			"rampart keeps its retry budget on (see bench/retry_then_succeed.go)."},
	{"RateLimit", "Rate limiter decision",
		"The decision on a call the limiter lets through (rate 10⁹/s, far above what the loop reaches, burst 10⁶), then the call. " +
			"uber-go/ratelimit has no non-blocking form: its Take waits for the call's slot instead of refusing."},
	{"Bulkhead", "Bulkhead, uncontended acquire and release",
		"A call through a bulkhead of 64 slots with room: take a slot, run the call, give the slot back."},
	{"HTTPClient", "HTTP client, loopback round trip with no failures",
		"A GET to a loopback server answering 200, body read and closed, through each library's retrying client " +
			"(3 attempts at most); nethttp is a plain http.Client, the floor. rampart's overhead is its ns/op minus nethttp's."},
	{"HTTPClientOverhead", "HTTP client, its own cost per request (no network)",
		"The HTTPClient rows around a base RoundTripper that answers at once in memory: each row minus nethttp's is what the library adds to a request, free of loopback noise."},
	{"GRPCUnary", "gRPC client, loopback unary call with no failures",
		"A unary call to a loopback gRPC server echoing a short message, through each library's retrying client interceptor " +
			"(3 attempts at most, UNAVAILABLE retried); grpc is the plain call, the floor. rampart's overhead is its ns/op minus grpc's."},
	{"GRPCInterceptor", "gRPC client interceptor alone",
		"The GRPCUnary rows' interceptors around an invoker that answers at once: what each adds to a call, without the loopback noise. " +
			"go-grpc-middleware's retry only loops; rampart also asks its budget and sets call options to see commit and pushback."},
	{"GRPCUnaryOverhead", "gRPC client, loopback unary call, CPU over a plain call",
		"Blocks of 16 calls through each row alternate with plain calls on the same loopback server; the calling goroutine's own CPU time " +
			"(locked to its thread) gives overhead-% over the plain calls, with allocations and bytes per call and the extra over plain. " +
			"grpc is a plain-against-plain control (the noise); grpc-a6-options is a plain call given only the header and trailer call options " +
			"that gRFC A6's commit and pushback need, whose metadata copies are gRPC's own cost."},
	{"Hedge", "Hedged request, no hedge fired",
		"One hedge at most after a fixed 1 s delay, no budget; the first attempt looks at its context and answers at once."},
	{"ChaosDisabled", "Chaos injection, switched off",
		"A call through a fault-injection policy that is switched off: the cost of leaving it in a production pipeline. No peer offers one."},
	{"AdaptiveLimiter", "Adaptive concurrency limiter, acquire + release",
		"A permit from an adaptive limiter (limit 20 within 20..200, far above the calls in flight), the call, the permit released with its latency."},
	{"Throttle", "Client-side adaptive throttle decision",
		"The throttle's decision on a call to a healthy destination, the call, and the report of its success (see bench/overload.go)."},
}

// Meta is what the report says about the run.
type Meta struct {
	Date, GoVersion, CPU, OS, Procs, Command string
	// Load is the load average when the run began, if known.
	Load string
}

const ratioNote = "Speed-up is the peer's ns/op divided by rampart's, from benchstat's medians: " +
	"above 1× rampart is faster. ± is benchstat's 95 % confidence interval of the median."

// Render writes the markdown report.
func Render(w io.Writer, res *Results, m Meta, text string) error {
	var b strings.Builder
	b.WriteString("# Benchmarks: rampart beside its peers\n\n")
	b.WriteString("Generated by `make bench` (bench/run.sh); do not edit by hand. ")
	b.WriteString("The benchmarks, the configuration of each library and where the configurations differ are in ")
	b.WriteString("[bench/](../bench/); a test there checks that every configuration trips, rejects and recovers as claimed, ")
	b.WriteString("so no row measures a no-op.\n\n")
	fmt.Fprintf(&b, "- Date: %s\n", m.Date)
	fmt.Fprintf(&b, "- Go: %s\n", m.GoVersion)
	fmt.Fprintf(&b, "- CPU: %s\n", m.CPU)
	if m.OS != "" {
		fmt.Fprintf(&b, "- OS/arch: %s\n", m.OS)
	}
	if m.Procs != "" {
		fmt.Fprintf(&b, "- GOMAXPROCS: %s (the Parallel tables run that many goroutines at once)\n", m.Procs)
	}
	if m.Load != "" {
		fmt.Fprintf(&b, "- Load average when the run began: %s (other work on the machine widens the ± and blurs the ratios)\n", m.Load)
	}
	if r := find(res.Rows["Clock"], "time"); r != nil {
		fmt.Fprintf(&b, "- One read of the clock, `time.Now`: %s ns (`BenchmarkClock`, same run). "+
			"Ratios that hinge on it: gobreaker reads it twice per call, "+
			"every time-window breaker once per call\n", num(r, "ns/op"))
	}
	fmt.Fprintf(&b, "- Command: `%s`, summarised with benchstat\n\n", m.Command)
	b.WriteString("Figures drift between machines; ratios measured in one run hold better. ")
	b.WriteString(ratioNote + "\n\n")

	renderSummary(&b, res)

	for _, c := range orderedClasses(res) {
		serial, parallel := res.Rows[c.Name], res.Rows[c.Name+"Parallel"]
		if len(serial) == 0 && len(parallel) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", c.Title, c.About)
		if len(serial) > 0 {
			fmt.Fprintf(&b, "Serial (`Benchmark%s`):\n\n", c.Name)
			renderTable(&b, serial)
		}
		if len(parallel) > 0 {
			fmt.Fprintf(&b, "Parallel (`Benchmark%sParallel`, b.RunParallel):\n\n", c.Name)
			renderTable(&b, parallel)
		}
	}

	renderMemory(&b, res)

	if text != "" {
		b.WriteString("## benchstat output\n\n<details><summary>The summary this report was made from</summary>\n\n```\n")
		b.WriteString(strings.TrimRight(text, "\n"))
		b.WriteString("\n```\n\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// orderedClasses returns the known classes, then any other benchmark
// (without its Parallel twin) in the order seen.
func orderedClasses(res *Results) []Class {
	out := slices.Clone(Classes)
	for _, name := range res.Benchmarks {
		if special(name) {
			continue
		}
		base := strings.TrimSuffix(name, "Parallel")
		if !slices.ContainsFunc(out, func(c Class) bool { return c.Name == base }) {
			out = append(out, Class{Name: base, Title: base})
		}
	}
	return out
}

func renderSummary(b *strings.Builder, res *Results) {
	b.WriteString("## Summary\n\n")
	b.WriteString("| class | rampart ns/op | rampart allocs/op | speed-up, serial | speed-up, parallel |\n")
	b.WriteString("|---|---:|---:|---|---|\n")
	for _, c := range orderedClasses(res) {
		serial, parallel := res.Rows[c.Name], res.Rows[c.Name+"Parallel"]
		if len(serial) == 0 && len(parallel) == 0 {
			continue
		}
		r := find(serial, "rampart")
		if r == nil {
			fmt.Fprintf(b, "| %s | no rampart row yet | | | |\n", c.Name)
			continue
		}
		if _, ok := r.Metrics[overheadUnit]; ok {
			fmt.Fprintf(b, "| %s | — | %s over a plain call | %s | — |\n", c.Name,
				num(r, "extra-allocs/call"), overheads(serial))
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", c.Name,
			num(r, "ns/op"), num(r, "allocs/op"), speedups(serial), speedups(parallel))
	}
	b.WriteString("\n")
}

// speedups lists rampart's speed-up over each peer in rows.
func speedups(rows []*Row) string {
	r := find(rows, "rampart")
	if r == nil {
		return "—"
	}
	var parts []string
	for _, p := range rows {
		if p.Lib == "rampart" {
			continue
		}
		if s := ratio(r, p); s != "" {
			parts = append(parts, s+" vs "+p.Lib)
		}
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

// overheadUnit is the metric of a class that measures each row against a
// plain call in the same run (GRPCUnaryOverhead): the row's CPU per call
// over the plain call's, in percent. Such a class is shown by that figure
// and its extra allocations, not by ns/op, which mixes in the plain calls.
const overheadUnit = "overhead-%"

// overheads lists each row's overhead over a plain call, rampart first.
func overheads(rows []*Row) string {
	var parts []string
	for _, p := range rows {
		if m, ok := p.Metrics[overheadUnit]; ok {
			s := p.Lib + " " + strconv.FormatFloat(m.Value, 'f', 1, 64) + " %"
			if p.Lib == "rampart" {
				parts = append([]string{s}, parts...)
			} else {
				parts = append(parts, s)
			}
		}
	}
	if len(parts) == 0 {
		return "—"
	}
	return "CPU over a plain call: " + strings.Join(parts, ", ")
}

// renderOverheadTable writes a class measured against a plain call.
func renderOverheadTable(b *strings.Builder, rows []*Row) {
	b.WriteString("| library | CPU over a plain call | ± | CPU per call (ns) | extra allocs/call | extra B/call |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, row := range rows {
		name := row.Lib
		if name == "rampart" {
			name = "**rampart**"
		}
		m := row.Metrics[overheadUnit]
		ci := m.CI
		if ci != "" && ci != "∞" && ci != "?" {
			ci = "±" + ci
		}
		fmt.Fprintf(b, "| %s | %s %% | %s | %s | %s | %s |\n", name,
			strconv.FormatFloat(m.Value, 'f', 1, 64), ci, num(row, "cpu-ns/call"),
			num(row, "extra-allocs/call"), num(row, "extra-B/call"))
	}
	b.WriteString("\n")
}

func renderTable(b *strings.Builder, rows []*Row) {
	if r := find(rows, "rampart"); r != nil {
		if _, ok := r.Metrics[overheadUnit]; ok {
			renderOverheadTable(b, rows)
			return
		}
	}
	r := find(rows, "rampart")
	var noted []string
	b.WriteString("| library | ns/op | ± | B/op | allocs/op | rampart speed-up |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, row := range rows {
		sp := "—"
		if r != nil && row != r {
			if s := ratio(r, row); s != "" {
				sp = s
			}
		}
		name := row.Lib
		if row == r {
			name = "**rampart**"
		}
		if _, ok := libNotes[row.Lib]; ok {
			name += " †"
			noted = append(noted, row.Lib)
		}
		ci := row.Metrics["ns/op"].CI
		if ci != "" && ci != "∞" {
			ci = "±" + ci
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", name,
			num(row, "ns/op"), ci, num(row, "B/op"), num(row, "allocs/op"), sp)
	}
	b.WriteString("\n")
	renderNotes(b, noted)
}

// libNotes say, beside a library's rows, where it does not do what the
// class's title says.
var libNotes = map[string]string{
	"eapache": "eapache's breaker is not a consecutive-failure breaker: it opens after 5 errors with no " +
		"error-free gap of its timeout between them (successes in between do not reset the count), " +
		"and half-open it lets every call through rather than one probe.",
}

func renderNotes(b *strings.Builder, libs []string) {
	for _, lib := range libs {
		fmt.Fprintf(b, "† %s\n\n", libNotes[lib])
	}
}

// special reports whether a benchmark is shown outside the class tables:
// the clock row (in the header) and the memory classes.
func special(name string) bool {
	return name == "Clock" || strings.HasPrefix(name, "MemoryNew") || strings.HasPrefix(name, "MemoryCycle")
}

// memoryKinds are the breaker kinds of the memory classes, in report order.
var memoryKinds = []struct{ Name, Title string }{
	{"Consecutive", "consecutive failures"},
	{"CountWindow", "count window (100 calls)"},
	{"TimeWindow", "time window (10 s, 10 buckets)"},
}

// renderMemory writes the memory table: per breaker kind and library, the
// bytes one breaker takes (MemoryNew) and what one open → closed cycle
// allocates (MemoryCycle).
func renderMemory(b *strings.Builder, res *Results) {
	var lines []string
	var noted []string
	for _, k := range memoryKinds {
		for _, n := range res.Rows["MemoryNew"+k.Name] {
			c := find(res.Rows["MemoryCycle"+k.Name], n.Lib)
			cycleB, cycleAllocs := "—", "—"
			if c != nil {
				cycleB, cycleAllocs = num(c, "B/op"), num(c, "allocs/op")
			}
			name := n.Lib
			if n.Lib == "rampart" {
				name = "**rampart**"
			}
			if _, ok := libNotes[n.Lib]; ok {
				name += " †"
				if !slices.Contains(noted, n.Lib) {
					noted = append(noted, n.Lib)
				}
			}
			lines = append(lines, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", k.Title, name,
				num(n, "B/op"), num(n, "allocs/op"), cycleB, cycleAllocs))
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("## Memory: bytes per breaker and per open → closed cycle\n\n")
	b.WriteString("What a service with a breaker per destination pays. Bytes per breaker: allocated to build one " +
		"(`BenchmarkMemoryNew<kind>`). Per cycle: allocated while the breaker trips on failing calls and a probe " +
		"closes it again (`BenchmarkMemoryCycle<kind>`), the calls included. hystrix-go is left out: its circuits " +
		"live in a package-level registry with background collectors. See bench/memory.go.\n\n")
	b.WriteString("| kind | library | B per breaker | allocs | B per cycle | allocs per cycle |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|\n")
	b.WriteString(strings.Join(lines, "\n") + "\n\n")
	renderNotes(b, noted)
}

func find(rows []*Row, lib string) *Row {
	for _, r := range rows {
		if r.Lib == lib {
			return r
		}
	}
	return nil
}

// ratio is peer ns/op ÷ rampart ns/op, formatted, or "" if either is
// missing.
func ratio(rampart, peer *Row) string {
	rv, ok1 := rampart.Metrics["ns/op"]
	pv, ok2 := peer.Metrics["ns/op"]
	if !ok1 || !ok2 || rv.Value <= 0 {
		return ""
	}
	x := pv.Value / rv.Value
	switch {
	case x >= 10:
		return strconv.FormatFloat(x, 'f', 0, 64) + "×"
	case x >= 1:
		return strconv.FormatFloat(x, 'f', 1, 64) + "×"
	default:
		return strconv.FormatFloat(x, 'g', 2, 64) + "×" // rampart slower: keep two digits
	}
}

// num formats a metric for a table cell.
func num(r *Row, unit string) string {
	m, ok := r.Metrics[unit]
	if !ok {
		return "—"
	}
	v := m.Value
	if v < 0 && v > -0.5 && unit != overheadUnit {
		v = 0 // not "-0"
	}
	switch {
	case unit != "ns/op" || v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}
