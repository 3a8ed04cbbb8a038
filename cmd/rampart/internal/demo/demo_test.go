package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/cmd/rampart/internal/demo"
)

// TestStorefrontKeepsSellingThroughTheOutage plays a compressed timeline
// on real loopback HTTP and checks the summary's claims.
func TestStorefrontKeepsSellingThroughTheOutage(t *testing.T) {
	var progress strings.Builder
	d, err := demo.Start(demo.Config{Duration: 4 * time.Second, Seed: 1, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Log(progress.String())
	var text strings.Builder
	s.WriteText(&text)
	t.Log(text.String())
	if !s.OK {
		t.Errorf("claims failed")
	}
}
