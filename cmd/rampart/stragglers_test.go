package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestSimStragglersJSONHasP999(t *testing.T) {
	out, err := simRun(t, "-json", "-compare", "-duration", "3s", "stragglers")
	if err != nil {
		t.Fatal(err)
	}
	var policies []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if v, ok := m["p999_ms"].(float64); !ok || v <= 0 {
			t.Fatalf("line %q: no positive p999_ms", sc.Text())
		}
		policies = append(policies, m["policy"].(string))
	}
	if strings.Join(policies, ",") != "none,fixed-10ms,p95" {
		t.Fatalf("policies %v", policies)
	}
}

func TestSimStragglersTableAndPolicyChoice(t *testing.T) {
	out, err := simRun(t, "-duration", "2s", "-policy", "p95", "stragglers")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "p99.9") || !strings.Contains(out, "p95") || strings.Contains(out, "fixed-10ms") {
		t.Fatalf("table:\n%s", out)
	}
	if out, err := simRun(t, "-duration", "1s", "-scenario", "stragglers"); err != nil || !strings.Contains(out, "fixed-10ms") {
		t.Fatalf("-scenario stragglers: %v\n%s", err, out)
	}
	if _, err := simRun(t, "-policy", "naive", "stragglers"); !errors.Is(err, errUsage) {
		t.Fatalf("unknown policy: %v", err)
	}
	if _, err := simRun(t, "-svg", "x.svg", "stragglers"); !errors.Is(err, errUsage) {
		t.Fatalf("-svg: %v", err)
	}
}
