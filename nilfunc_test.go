package rampart_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rampart-go/rampart"
)

// counting is a policy that counts the calls it runs.
type counting struct{ runs int }

func (c *counting) Execute(ctx context.Context, next rampart.Next) error {
	c.runs++
	return next.Run(ctx)
}

// A nil function returns ErrNilFunc without running any policy: a breaker
// must not count it, a retry must not retry it. Before, every entry point
// but a policy's own Do ran the whole pipeline and failed at the end.
func TestNilFunctionRunsNoPolicy(t *testing.T) {
	ctx := context.Background()
	a, b := &counting{}, &counting{}
	one := rampart.Pipeline(a)
	two := rampart.Pipeline(a, b)
	nested := rampart.Pipeline(rampart.Pipeline(a), b)
	for name, call := range map[string]func() error{
		"Do, one policy":       func() error { return rampart.Do(ctx, a, nil) },
		"Do, pipeline":         func() error { return rampart.Do(ctx, two, nil) },
		"Chain.Do, one policy": func() error { return one.Do(ctx, nil) },
		"Chain.Do, two":        func() error { return two.Do(ctx, nil) },
		"Chain.Do, nested":     func() error { return nested.Do(ctx, nil) },
		"Chain.Do, empty":      func() error { return rampart.Pipeline().Do(ctx, nil) },
		"Chain.Do, zero Chain": func() error { return (&rampart.Chain{}).Do(ctx, nil) },
		"Get, one policy": func() error {
			_, err := rampart.Get[int](ctx, a, nil)
			return err
		},
		"Get, pipeline": func() error {
			_, err := rampart.Get[int](ctx, two, nil)
			return err
		},
		"Get, nested": func() error {
			_, err := rampart.Get[string](ctx, nested, nil)
			return err
		},
	} {
		if err := call(); !errors.Is(err, rampart.ErrNilFunc) {
			t.Errorf("%s: err = %v, want ErrNilFunc", name, err)
		}
		if a.runs != 0 || b.runs != 0 {
			t.Errorf("%s: policies ran %d and %d times, want 0", name, a.runs, b.runs)
			a.runs, b.runs = 0, 0
		}
	}
	// A nil policy is reported first.
	if err := rampart.Do(ctx, nil, nil); !errors.Is(err, rampart.ErrNilPolicy) {
		t.Errorf("Do(nil, nil) = %v, want ErrNilPolicy", err)
	}
}
