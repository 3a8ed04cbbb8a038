package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestDemoIsRegistered(t *testing.T) {
	if commands["demo"] == nil {
		t.Fatal(`no "demo" command registered`)
	}
}

func TestDemoRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-duration", "500ms"},
		{"-shoppers", "0"},
		{"-shoppers", "1000"},
		{"-shoppers", "13"},     // the surge would outrun the machine
		{"-duration", "9999ms"}, // the surge would not outlast its ramp
		{"-nosuchflag"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		err := runDemo(context.Background(), args, &out, &errOut)
		if !errors.Is(err, errUsage) {
			t.Errorf("rampart demo %q: err = %v, want a usage error", args, err)
		}
	}
	var errOut bytes.Buffer
	if err := runDemo(context.Background(), []string{"-h"}, &bytes.Buffer{}, &errOut); !errors.Is(err, flag.ErrHelp) ||
		!strings.Contains(errOut.String(), "-duration") || !strings.Contains(errOut.String(), "-serve") {
		t.Errorf("rampart demo -h: err = %v, usage:\n%s", err, errOut.String())
	}
}

// TestDemoJSONWritesOneObjectOnStdout runs the shortest timeline accepted: stdout
// holds the summary alone, the per-tick lines go to stderr.
func TestDemoJSONWritesOneObjectOnStdout(t *testing.T) {
	var out, errOut bytes.Buffer
	err := runDemo(context.Background(), []string{"-duration", "10s", "-shoppers", "3", "-json"}, &out, &errOut)
	if err != nil && !errors.Is(err, errClaimsFailed) {
		t.Fatal(err)
	}
	var sum struct {
		Pages    int     `json:"pages"`
		Duration float64 `json:"duration_seconds"`
		OK       bool    `json:"ok"`
	}
	dec := json.NewDecoder(&out)
	if err := dec.Decode(&sum); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out.String())
	}
	if dec.More() {
		t.Errorf("stdout holds more than one JSON value")
	}
	if sum.Pages == 0 || sum.Duration != 10 {
		t.Errorf("summary: pages %d, duration %v; want some pages in 10s", sum.Pages, sum.Duration)
	}
	if (err == nil) != sum.OK {
		t.Errorf("returned %v with ok %v: a failed claim must fail the command", err, sum.OK)
	}
	if !strings.Contains(errOut.String(), "attempts/s") {
		t.Errorf("stderr lacks the per-tick table:\n%s", errOut.String())
	}
}
