package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/sim"
)

var flagErrHelp = flag.ErrHelp

func simPolicyNames() []string { return sim.PolicyNames() }

func TestDispatchRunsTheNamedCommand(t *testing.T) {
	var got []string
	commands["test-echo"] = func(args []string) error { got = args; return nil }
	defer delete(commands, "test-echo")
	if err := dispatch([]string{"test-echo", "a", "-b"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "a -b" {
		t.Errorf("args = %q", got)
	}
}

func TestDispatchRejectsAnUnknownCommand(t *testing.T) {
	var errOut bytes.Buffer
	err := dispatch([]string{"frobnicate"}, &errOut)
	if !errors.Is(err, errUsage) || !strings.Contains(errOut.String(), "sim") {
		t.Errorf("err = %v, usage:\n%s", err, errOut.String())
	}
}

func TestDispatchWithoutACommandPrintsUsage(t *testing.T) {
	var errOut bytes.Buffer
	if err := dispatch(nil, &errOut); !errors.Is(err, errUsage) {
		t.Errorf("err = %v, want a usage error", err)
	}
	if err := dispatch([]string{"help"}, &errOut); err != nil {
		t.Errorf("help: err = %v", err)
	}
	if !strings.Contains(errOut.String(), "usage: rampart COMMAND") {
		t.Errorf("usage:\n%s", errOut.String())
	}
}
