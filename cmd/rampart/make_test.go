package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMakeTargetsPrintOnlyTheCommandsOutput runs make demo and make sim as
// a user does, piping stdout on: stdout holds what the command prints and
// nothing of make's (no echoed recipe), so `make sim ARGS=-json | jq .`
// reads pure JSON.
func TestMakeTargetsPrintOnlyTheCommandsOutput(t *testing.T) {
	makeCmd := tools(t, "make", "go")[0]
	root := moduleRoot(t)
	run := func(args ...string) (int, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		cmd := exec.Command(makeCmd, args...)
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = &out, &errOut
		// As from a terminal, not from the make running this test.
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "MAKEFLAGS=") && !strings.HasPrefix(kv, "MAKELEVEL=") && !strings.HasPrefix(kv, "MFLAGS=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		err := cmd.Run()
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatalf("make %q: %v", args, err)
			}
		}
		if err != nil {
			t.Logf("make %q stderr:\n%s", args, errOut.String())
		}
		return cmd.ProcessState.ExitCode(), out.String()
	}

	if code, out := run("demo", "ARGS=-h"); code != 0 || out != "" {
		t.Errorf("make demo ARGS=-h: exit %d, stdout %q; want 0 and nothing (the help goes to stderr)", code, out)
	}
	code, out := run("sim", "ARGS=-json -duration 2s")
	if code != 0 {
		t.Fatalf("make sim: exit %d", code)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	lines := 0
	for sc.Scan() {
		lines++
		if !json.Valid(sc.Bytes()) {
			t.Errorf("make sim ARGS=-json: stdout line %q is not JSON", sc.Text())
		}
	}
	if lines == 0 {
		t.Error("make sim ARGS=-json: nothing on stdout")
	}
}
