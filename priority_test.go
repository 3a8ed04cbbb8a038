package rampart_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart"
)

func TestPriorityRoundTripsThroughItsName(t *testing.T) {
	for _, p := range []rampart.Priority{rampart.PrioritySheddable, rampart.PriorityDefault, rampart.PriorityCritical} {
		got, err := rampart.ParsePriority(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePriority(%q) = %v, %v; want %v", p.String(), got, err, p)
		}
	}
	if got, err := rampart.ParsePriority("  CRITICAL "); err != nil || got != rampart.PriorityCritical {
		t.Errorf("ParsePriority ignores case and space: got %v, %v", got, err)
	}
	if got, err := rampart.ParsePriority(""); err != nil || got != rampart.PriorityDefault {
		t.Errorf("empty priority = %v, %v; want default", got, err)
	}
	if _, err := rampart.ParsePriority("urgent"); err == nil {
		t.Error("ParsePriority accepted an unknown name")
	}
	if s := rampart.Priority(7).String(); s != "priority(7)" {
		t.Errorf("String of an unnamed priority = %q", s)
	}
}

func TestPriorityFromContext(t *testing.T) {
	ctx := context.Background()
	if p := rampart.PriorityFrom(ctx); p != rampart.PriorityDefault {
		t.Errorf("no priority set: got %v, want default", p)
	}
	ctx = rampart.WithPriority(ctx, rampart.PrioritySheddable)
	if p := rampart.PriorityFrom(ctx); p != rampart.PrioritySheddable {
		t.Errorf("got %v, want sheddable", p)
	}
	if !(rampart.PrioritySheddable < rampart.PriorityDefault && rampart.PriorityDefault < rampart.PriorityCritical) {
		t.Error("priorities do not order sheddable < default < critical")
	}
}
