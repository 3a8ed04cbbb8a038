package rampart_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart"
)

// forking runs the rest of the call on forks, as a hedge or an abandoning
// timeout does, and adopts the one named by keep (-1: none).
type forking struct {
	forks int
	keep  int
}

func (f forking) Execute(ctx context.Context, next rampart.Next) error {
	var err error
	for i := range f.forks {
		fork := next.Fork()
		e := fork.Run(ctx)
		if i == f.keep {
			next.Adopt(fork)
			err = e
		}
	}
	return err
}

// publishing publishes its name into *dst and returns nil.
type publishing struct {
	dst  *[]string
	name string
}

func (p publishing) Execute(ctx context.Context, next rampart.Next) error {
	err := next.Run(ctx)
	seen := append([]string(nil), *p.dst...)
	rampart.Publish(next, p.dst, append(seen, p.name))
	return err
}

func TestPublishLandsOnlyThroughAdoption(t *testing.T) {
	ctx := context.Background()
	fn := func(context.Context) error { return nil }
	get := func(context.Context) (int, error) { return 1, nil }
	for _, c := range []struct {
		name  string
		outer rampart.Policy
		want  int // how many publications land
	}{
		{"no fork", nil, 1},
		{"adopted fork", forking{forks: 2, keep: 1}, 1},
		{"no fork adopted", forking{forks: 2, keep: -1}, 0},
	} {
		for _, do := range []bool{true, false} {
			var got []string
			inner := publishing{dst: &got, name: "inner"}
			p := rampart.Pipeline(inner)
			if c.outer != nil {
				p = rampart.Pipeline(c.outer, inner)
			}
			if do {
				_ = p.Do(ctx, fn)
			} else {
				_, _ = rampart.Get(ctx, p, get)
			}
			if len(got) != c.want {
				t.Errorf("%s, do=%v: %d publications landed (%v), want %d", c.name, do, len(got), got, c.want)
			}
		}
	}
	// A fork of a fork: held until the outermost adoption.
	for _, do := range []bool{true, false} {
		var got []string
		p := rampart.Pipeline(forking{forks: 1, keep: 0}, forking{forks: 2, keep: 0}, publishing{dst: &got, name: "inner"})
		if do {
			_ = p.Do(ctx, fn)
		} else {
			_, _ = rampart.Get(ctx, p, get)
		}
		if len(got) != 1 {
			t.Errorf("nested forks, do=%v: %v, want one publication", do, got)
		}
	}
}

func TestPublishOnTheCallersOwnCallAllocatesNothing(t *testing.T) {
	var dst [4]int
	p := rampart.Pipeline(policyFunc(func(ctx context.Context, next rampart.Next) error {
		rampart.Publish(next, &dst, [4]int{1, 2, 3, 4})
		return next.Run(ctx)
	}))
	fn := func(context.Context) error { return nil }
	if n := testing.AllocsPerRun(100, func() { _ = p.Do(context.Background(), fn) }); n != 0 {
		t.Errorf("Publish allocates %v times, want 0", n)
	}
	if dst != [4]int{1, 2, 3, 4} {
		t.Errorf("dst = %v", dst)
	}
}

type policyFunc func(ctx context.Context, next rampart.Next) error

func (f policyFunc) Execute(ctx context.Context, next rampart.Next) error { return f(ctx, next) }
