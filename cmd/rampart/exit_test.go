package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs the command line args as main would, with stdout and stderr
// captured, and returns the exit status and the first line main leaves on
// stderr (the error, or the help's first line).
func cli(t *testing.T, args ...string) (code int, stdout, firstErr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	var err error
	switch {
	case len(args) > 0 && args[0] == "sim":
		err = runSim(args[1:], &out, &errOut)
	case len(args) > 0 && args[0] == "demo":
		err = runDemo(context.Background(), args[1:], &out, &errOut)
	default:
		err = dispatch(args, &errOut)
	}
	code = exitCode(err, &errOut)
	first, _, _ := strings.Cut(errOut.String(), "\n")
	return code, out.String(), first
}

func TestExitCodesAndFirstLines(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badPolicy := write("bad-policy.json", `{"name":"x","retry":{"budget":{"disabled":true}}}`)
	dupPolicy := write("dup.json", `[{"name":"x"},{"name":"x"}]`)
	builtinName := write("builtin.json", `{"name":"none"}`)
	numDuration := write("num.json", `{"duration":10}`)
	missing := filepath.Join(dir, "missing.json")
	cases := []struct {
		args  []string
		code  int
		first string // prefix of the first line on stderr
	}{
		{[]string{}, 2, "usage: rampart COMMAND [flags]"},
		{[]string{"help"}, 0, "usage: rampart COMMAND [flags]"},
		{[]string{"frobnicate"}, 2, "usage: rampart COMMAND [flags]"},
		{[]string{"sim", "-nope"}, 2, `rampart: sim: flag provided but not defined: -nope (run "rampart sim -h" for the flags)`},
		{[]string{"demo", "-nope"}, 2, `rampart: demo: flag provided but not defined: -nope (run "rampart demo -h" for the flags)`},
		{[]string{"sim", "-h"}, 0, "usage: rampart sim [flags] [SCENARIO]"},
		{[]string{"demo", "-h"}, 0, "usage: rampart demo"},
		{[]string{"sim", "-scenario", missing}, 2, `rampart: sim: no built-in scenario or file "` + missing + `"`},
		{[]string{"sim", "-policies", missing}, 2, `rampart: sim: no built-in policies or file "` + missing + `"`},
		{[]string{"sim", "-policies", badPolicy}, 1, "rampart: sim: " + badPolicy + ": invalid config: retry.budget.disabled is not a known key"},
		{[]string{"sim", "-policies", dupPolicy}, 1, "rampart: sim: " + dupPolicy + `: invalid config: [1].name "x" is already the name of policy [0]`},
		{[]string{"sim", "-policies", builtinName}, 1, "rampart: sim: " + builtinName + `: policy "none" has the name of a built-in policy`},
		{[]string{"sim", "-scenario", numDuration}, 1, "rampart: sim: " + numDuration + `: invalid config: duration must be a duration string such as "10s", got 10`},
		{[]string{"sim", "-rate", "NaN"}, 2, "rampart: sim: -rate must be a number above 0, got NaN"},
		{[]string{"sim", "-seed", "-5"}, 2, "rampart: sim: -seed must be at least 0, got -5"},
		{[]string{"sim", "-clients", "0"}, 2, "rampart: sim: -clients must be at least 1, got 0"},
		{[]string{"sim", "-rate", "1e6"}, 2, "rampart: sim: -rate must be a number in [0.001, 100000], got 1e+06"},
		{[]string{"sim", "-duration", "500ms"}, 2, "rampart: sim: -duration must be in [1s, 1h0m0s], got 500ms"},
		{[]string{"sim", "-clients", "100000000"}, 2, "rampart: sim: -clients must be in [1, 10000], got 100000000"},
		{[]string{"sim", "-policy", "none,none"}, 2, `rampart: sim: -policy names "none" twice`},
		{[]string{"demo", "-duration", "1s"}, 2, "rampart: demo: -duration must be at least 10s, got 1s"},
		{[]string{"demo", "-shoppers", "200", "-duration", "10s"}, 2, "rampart: demo: -shoppers must be in [1, 12], got 200"},
		{[]string{"demo", "extra"}, 2, `rampart: demo takes no arguments, got ["extra"]`},
	}
	for _, c := range cases {
		code, _, first := cli(t, c.args...)
		if code != c.code || !strings.HasPrefix(first, c.first) {
			t.Errorf("rampart %q: exit %d, first line %q; want %d, %q…", c.args, code, first, c.code, c.first)
		}
	}
}

func TestHelpDescribesEachCommandInOneLine(t *testing.T) {
	var errOut bytes.Buffer
	dispatch([]string{"help"}, &errOut)
	for name := range commands {
		want := "  " + name
		found := false
		for _, line := range strings.Split(errOut.String(), "\n") {
			if strings.HasPrefix(line, want+" ") && len(strings.Fields(line)) > 2 {
				found = true
			}
		}
		if !found {
			t.Errorf("help has no one-line description of %s:\n%s", name, errOut.String())
		}
	}
}

func TestSimSucceedsWithExitZeroAndATable(t *testing.T) {
	code, out, first := cli(t, "sim", "-policy", "none", "-duration", "12s")
	if line, _, _ := strings.Cut(out, "\n"); code != 0 || first != "" || !strings.HasPrefix(line, "scenario capacity-drop") {
		t.Errorf("exit %d, stderr %q, first line %q", code, first, line)
	}
}
