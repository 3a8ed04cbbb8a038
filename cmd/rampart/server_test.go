package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -server picks the server's admission model; the adaptive one sheds load
// where fifo, today's model, serves abandoned work.
func TestSimServerFlag(t *testing.T) {
	goodput := map[string]float64{}
	for _, server := range []string{"fifo", "drop-abandoned", "adaptive"} {
		out, err := simRun(t, "-json", "-policy", "none", "-duration", "30s", "-server", server, "capacity-drop")
		if err != nil {
			t.Fatalf("-server %s: %v", server, err)
		}
		var s struct{ Goodput float64 }
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("-server %s: %v in %q", server, err, out)
		}
		goodput[server] = s.Goodput
	}
	if !(goodput["fifo"] < goodput["drop-abandoned"] && goodput["fifo"] < goodput["adaptive"]) {
		t.Errorf("goodput by server %v: want fifo the lowest", goodput)
	}
	if _, err := simRun(t, "-server", "lifo", "capacity-drop"); err == nil {
		t.Error("-server lifo accepted")
	}
}

// A scenario file's critical_share makes the JSON report goodput per class.
func TestSimReportsGoodputPerClass(t *testing.T) {
	path := filepath.Join(t.TempDir(), "classes.json")
	sc := `{"name":"classes","duration":"30s","server":"adaptive","critical_share":0.3,
		"faults":[{"kind":"load-spike","start":"10s","end":"15s","factor":1.5}]}`
	if err := os.WriteFile(path, []byte(sc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := simRun(t, "-json", "-policy", "none", "-scenario", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"critical_goodput"`) || !strings.Contains(out, `"sheddable_goodput"`) {
		t.Errorf("output lacks per-class goodput: %s", out)
	}
}
