package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// simRun runs rampart sim with args and returns its output.
func simRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runSim(args, &out, &errOut)
	return out.String(), err
}

var summaryFields = []string{
	"scenario", "policy", "requests", "attempts", "amplification", "amplification_after_fault",
	"peak_amplification_after_fault", "goodput", "baseline_goodput", "p99_ms", "recovery_seconds", "metastable",
}

func TestSimJSONPrintsOneObjectPerPolicyWithExactlyTheFields(t *testing.T) {
	out, err := simRun(t, "-json", "-compare", "-duration", "20s", "capacity-drop")
	if err != nil {
		t.Fatal(err)
	}
	var policies []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := slices.Clone(summaryFields)
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("fields %v, want exactly %v", keys, want)
		}
		var scen, pol string
		json.Unmarshal(m["scenario"], &scen)
		json.Unmarshal(m["policy"], &pol)
		if scen != "capacity-drop" {
			t.Errorf("scenario = %q", scen)
		}
		policies = append(policies, pol)
		if r := string(m["recovery_seconds"]); r != "null" {
			var f float64
			if err := json.Unmarshal(m["recovery_seconds"], &f); err != nil {
				t.Errorf("recovery_seconds = %s, want a number or null", r)
			}
		}
	}
	if want := simPolicyNames(); !slices.Equal(policies, want) {
		t.Errorf("policies %v, want %v", policies, want)
	}
}

func TestSimJSONRecoveryIsNullWhenNeverRecovered(t *testing.T) {
	// The fault lasts to the end of the run: no recovery.
	path := filepath.Join(t.TempDir(), "forever.json")
	os.WriteFile(path, []byte(`{"name":"forever","duration":"10s","seed":1,
		"faults":[{"kind":"capacity-drop","start":"2s","end":"10s","factor":3}]}`), 0o644)
	out, err := simRun(t, "-json", "-policy", "none", "-scenario", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"recovery_seconds":null`) || !strings.Contains(out, `"scenario":"forever"`) {
		t.Errorf("output %s: want recovery_seconds null for scenario forever", out)
	}
}

func TestSimTableListsEveryPolicy(t *testing.T) {
	out, err := simRun(t, "-compare", "-duration", "20s")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "scenario capacity-drop") {
		t.Errorf("no scenario line in\n%s", out)
	}
	for _, p := range simPolicyNames() {
		if !strings.Contains(out, p) {
			t.Errorf("policy %s missing from\n%s", p, out)
		}
	}
}

func TestSimFlagsMayFollowTheScenarioName(t *testing.T) {
	out, err := simRun(t, "load-spike", "-policy", "none", "-json", "-duration", "12s", "-clients", "3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, `{"scenario":"load-spike","policy":"none"`) {
		t.Errorf("output %s", out)
	}
}

func TestSimSeedChangesTheRun(t *testing.T) {
	a, _ := simRun(t, "-json", "-policy", "none", "-duration", "12s", "-seed", "1")
	b, _ := simRun(t, "-json", "-policy", "none", "-duration", "12s", "-seed", "1")
	c, _ := simRun(t, "-json", "-policy", "none", "-duration", "12s", "-seed", "2")
	if a != b {
		t.Errorf("one seed, two outputs:\n%s%s", a, b)
	}
	if a == c {
		t.Errorf("seeds 1 and 2 gave one output: %s", a)
	}
}

func TestSimSVGWritesAChart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chart.svg")
	if _, err := simRun(t, "-compare", "-duration", "20s", "-svg", path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "<svg ") || !strings.HasSuffix(strings.TrimSpace(s), "</svg>") {
		t.Fatalf("not an SVG document: %.80s…", s)
	}
	if n, want := strings.Count(s, "<polyline"), 3*len(simPolicyNames()); n != want {
		t.Errorf("%d lines, want %d (3 panels × policies)", n, want)
	}
	if !strings.Contains(s, `fill="#f4cccc"`) {
		t.Error("fault window not shaded")
	}
}

func TestSimPoliciesFromAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mine.json")
	os.WriteFile(path, []byte(`[{"name":"mine"},{"name":"yours"}]`), 0o644)
	out, err := simRun(t, "-json", "-duration", "12s", "-policies", path, "-policy", "yours,none")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"policy":"yours"`) || !strings.Contains(lines[1], `"policy":"none"`) {
		t.Errorf("output:\n%s", out)
	}
}

func TestSimRejectsBadUsage(t *testing.T) {
	cases := [][]string{
		{"no-such-scenario"},
		{"-policy", "no-such-policy"},
		{"-compare", "-policy", "none"},
		{"capacity-drop", "load-spike"},
		{"-clients", "-3"},
		{"-scenario", "x.json", "capacity-drop"},
	}
	for _, args := range cases {
		if _, err := simRun(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
}

func TestSimRejectsABadScenarioFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(path, []byte(`{"workers":-2}`), 0o644)
	_, err := simRun(t, "-scenario", path)
	if err == nil || !strings.Contains(err.Error(), "bad.json: invalid config: workers must be") {
		t.Errorf("err = %v, want one naming the file and workers", err)
	}
}

func TestSimListNamesScenariosAndPolicies(t *testing.T) {
	out, err := simRun(t, "-list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append([]string{"capacity-drop", "latency-spike", "error-spike", "load-spike"}, simPolicyNames()...) {
		if !strings.Contains(out, want) {
			t.Errorf("-list output lacks %s:\n%s", want, out)
		}
	}
}

func TestSimHelpIsNotAnError(t *testing.T) {
	var out, errOut bytes.Buffer
	err := runSim([]string{"-h"}, &out, &errOut)
	if !errors.Is(err, flagErrHelp) || !strings.Contains(errOut.String(), "-compare") {
		t.Errorf("err = %v, usage:\n%s", err, errOut.String())
	}
}
