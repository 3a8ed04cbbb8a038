package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Metric is one summarised measure of one benchmark: benchstat's centre
// (the median) and its confidence interval as benchstat prints it.
type Metric struct {
	Value float64
	CI    string
}

// Row is one library's results in one benchmark.
type Row struct {
	Lib     string
	Metrics map[string]Metric // keyed by unit: "ns/op", "B/op", "allocs/op"
}

// Results are benchstat's summaries grouped by benchmark, in first-seen
// order.
type Results struct {
	Benchmarks []string
	Rows       map[string][]*Row
	Procs      string // the GOMAXPROCS suffix of the names, if any
}

// procsSuffix is the "-N" go test appends to a benchmark name when
// GOMAXPROCS is not 1.
var procsSuffix = regexp.MustCompile(`-(\d+)$`)

// ParseCSV reads the output of `benchstat -format csv` for a single input
// file: sections of a file header row, a unit header row (",sec/op,CI"),
// one row per benchmark and a geomean row. Config lines (goos: ...) and
// blank lines are skipped.
func ParseCSV(r io.Reader) (*Results, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	res := &Results{Rows: map[string][]*Row{}}
	unit := ""
	scale := 1.0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("report: reading benchstat csv: %w", err)
		}
		if len(rec) < 2 {
			continue // a config line such as "goos: linux"
		}
		name, val := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if name == "" {
			// A header: the file names, or the units.
			if u, s, ok := unitOf(val); ok {
				unit, scale = u, s
			}
			continue
		}
		if unit == "" || name == "geomean" {
			continue
		}
		bench, lib, procs, ok := splitName(name)
		if !ok {
			continue
		}
		if procs != "" {
			res.Procs = procs
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue // an empty cell: no value for this unit
		}
		ci := ""
		if len(rec) > 2 {
			ci = strings.TrimSpace(rec[2])
		}
		row := res.row(bench, lib)
		row.Metrics[unit] = Metric{Value: v * scale, CI: ci}
	}
	if len(res.Benchmarks) == 0 {
		return nil, fmt.Errorf("report: no benchmark rows in benchstat csv")
	}
	return res, nil
}

// unitOf maps benchstat's unit header to the unit shown and the factor
// that converts to it.
func unitOf(h string) (unit string, scale float64, ok bool) {
	switch h {
	case "sec/op":
		return "ns/op", 1e9, true
	case "B/op", "allocs/op":
		return h, 1, true
	}
	if strings.HasSuffix(h, "sec/call") { // cpu-sec/call: benchstat's seconds from a ns/call metric
		return strings.TrimSuffix(h, "sec/call") + "ns/call", 1e9, true
	}
	if h == overheadUnit {
		return h, 1, true // shown by classes that measure it (see renderOverhead)
	}
	if strings.Contains(h, "/") {
		return h, 1, true // another metric; kept, and shown only by those classes
	}
	return "", 0, false
}

// splitName splits "BreakerParallel/lib=failsafe-go-2" into the benchmark,
// the library and the GOMAXPROCS suffix. The benchmark may have
// sub-benchmarks of its own: "PipelineOpen/Do/lib=rampart" is benchmark
// "PipelineOpen/Do".
func splitName(name string) (bench, lib, procs string, ok bool) {
	if m := procsSuffix.FindStringSubmatch(name); m != nil {
		procs = m[1]
		name = strings.TrimSuffix(name, m[0])
	}
	i := strings.LastIndex(name, "/lib=")
	if i <= 0 {
		return "", "", "", false
	}
	return name[:i], name[i+len("/lib="):], procs, true
}

func (r *Results) row(bench, lib string) *Row {
	rows, seen := r.Rows[bench]
	if !seen {
		r.Benchmarks = append(r.Benchmarks, bench)
	}
	for _, row := range rows {
		if row.Lib == lib {
			return row
		}
	}
	row := &Row{Lib: lib, Metrics: map[string]Metric{}}
	r.Rows[bench] = append(rows, row)
	return row
}

// Env is what the raw `go test -bench` output says about the machine.
type Env struct {
	GOOS, GOARCH, CPU string
}

// ParseEnv reads the header lines of raw `go test -bench` output.
func ParseEnv(r io.Reader) Env {
	var e Env
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "goos":
			e.GOOS = v
		case "goarch":
			e.GOARCH = v
		case "cpu":
			if e.CPU == "" {
				e.CPU = v
			}
		}
	}
	return e
}

// CPUInfo returns the model name from /proc/cpuinfo contents.
func CPUInfo(r io.Reader) string {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
