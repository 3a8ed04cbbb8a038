// Command report turns benchstat's CSV summary of the peer benchmarks into
// docs/benchmarks.md: per class, a table of ns/op, B/op and allocs/op per
// library and rampart's speed-up over each peer, with the Go version, CPU
// and date of the run.
//
// Usage:
//
//	report -csv stat.csv -raw bench.txt [-text stat.txt] [-go go1.26.8] [-date 2026-01-02] [-load "0.5 0.4 0.3"] [-o docs/benchmarks.md]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	csvPath := flag.String("csv", "", "benchstat -format csv output (required)")
	rawPath := flag.String("raw", "", "raw go test -bench output, for the machine header")
	textPath := flag.String("text", "", "benchstat's text output, embedded in the report")
	goVersion := flag.String("go", runtime.Version(), "Go version to report")
	date := flag.String("date", time.Now().UTC().Format("2006-01-02"), "date to report")
	command := flag.String("cmd", "go test -run '^$' -bench . -benchmem -count=6", "the command that ran the benchmarks")
	load := flag.String("load", "", "load average when the run began")
	out := flag.String("o", "", "output file (default stdout)")
	flag.Parse()
	if *csvPath == "" {
		return fmt.Errorf("report: -csv is required")
	}

	f, err := os.Open(*csvPath)
	if err != nil {
		return err
	}
	res, err := ParseCSV(f)
	f.Close()
	if err != nil {
		return err
	}

	m := Meta{Date: *date, GoVersion: *goVersion, Procs: res.Procs, Command: *command, Load: *load}
	if *rawPath != "" {
		raw, err := os.ReadFile(*rawPath)
		if err != nil {
			return err
		}
		env := ParseEnv(bytes.NewReader(raw))
		m.CPU = env.CPU
		if env.GOOS != "" {
			m.OS = env.GOOS + "/" + env.GOARCH
		}
	}
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		// The model name is fuller than go test's header on some machines.
		if model := CPUInfo(bytes.NewReader(info)); model != "" && !strings.Contains(m.CPU, model) {
			if m.CPU == "" {
				m.CPU = model
			} else {
				m.CPU += " (" + model + ")"
			}
		}
	}
	if m.CPU == "" {
		m.CPU = "unknown"
	}
	var text string
	if *textPath != "" {
		t, err := os.ReadFile(*textPath)
		if err != nil {
			return err
		}
		text = string(t)
	}

	var buf bytes.Buffer
	if err := Render(&buf, res, m, text); err != nil {
		return err
	}
	if *out == "" {
		_, err = os.Stdout.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}
