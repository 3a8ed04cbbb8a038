package rampart_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
)

// A pipeline built with a nil entry runs none of its other policies and
// not the function, through every entry point: Chain.Do walks the links
// itself, so the error must sit on the walk, not only in Execute.
func TestNilEntryRunsNothing(t *testing.T) {
	ctx := context.Background()
	a, b := &counting{}, &counting{}
	ran := 0
	fn := func(context.Context) error { ran++; return nil }
	for name, p := range map[string]*rampart.Chain{
		"nil entry":        rampart.Pipeline(a, nil, b),
		"nested nil entry": rampart.Pipeline(a, rampart.Pipeline(nil), b),
	} {
		if err := p.Do(ctx, fn); !errors.Is(err, rampart.ErrNilPolicy) {
			t.Errorf("%s: Chain.Do = %v, want ErrNilPolicy", name, err)
		}
		if err := rampart.Do(ctx, p, fn); !errors.Is(err, rampart.ErrNilPolicy) {
			t.Errorf("%s: Do = %v, want ErrNilPolicy", name, err)
		}
		if _, err := rampart.Get(ctx, p, func(context.Context) (int, error) { ran++; return 1, nil }); !errors.Is(err, rampart.ErrNilPolicy) {
			t.Errorf("%s: Get = %v, want ErrNilPolicy", name, err)
		}
		if a.runs != 0 || b.runs != 0 || ran != 0 {
			t.Errorf("%s: policies ran %d and %d times, function %d; want none", name, a.runs, b.runs, ran)
		}
	}
}

// Every policy of a pipeline runs once, in order, and the function once at
// the end, for Do and Get alike, and for a pipeline nested in a policy of
// another kind, which is not flattened.
func TestChainWalksEveryPolicyOnce(t *testing.T) {
	ctx := context.Background()
	var order []string
	inner := rampart.Pipeline(trace{"c", &order}, trace{"d", &order})
	wrapped := wrap{inner}
	p := rampart.Pipeline(trace{"a", &order}, wrapped, trace{"e", &order})
	fn := func(context.Context) error { order = append(order, "fn"); return nil }
	check := func(what string) {
		t.Helper()
		want := "a> c> d> e> fn <e <d <c <a"
		if got := strings.Join(order, " "); got != want {
			t.Errorf("%s: ran %q, want %q", what, got, want)
		}
		order = order[:0]
	}
	if err := p.Do(ctx, fn); err != nil {
		t.Fatal(err)
	}
	check("Chain.Do")
	if err := rampart.Do(ctx, p, fn); err != nil {
		t.Fatal(err)
	}
	check("Do")
	v, err := rampart.Get(ctx, p, func(context.Context) (int, error) { order = append(order, "fn"); return 7, nil })
	if err != nil || v != 7 {
		t.Fatalf("Get = %v, %v; want 7, nil", v, err)
	}
	check("Get")
}

// wrap is a policy of its own kind that runs a pipeline inside it, so the
// outer pipeline does not flatten the inner one.
type wrap struct{ inner rampart.Policy }

func (w wrap) Execute(ctx context.Context, next rampart.Next) error {
	return w.inner.Execute(ctx, next)
}
