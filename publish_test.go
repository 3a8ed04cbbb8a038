package rampart_test

import (
	"context"
	"sync"
	"sync/atomic"
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

// publishing publishes the number of its run into *dst, never reading it:
// *dst is the caller's, as a fallback's report is.
type publishing struct {
	dst  *int64
	runs *atomic.Int64
}

func (p publishing) Execute(ctx context.Context, next rampart.Next) error {
	n := p.runs.Add(1)
	err := next.Run(ctx)
	rampart.Publish(next, p.dst, n)
	return err
}

func TestPublishLandsOnlyThroughAdoption(t *testing.T) {
	ctx := context.Background()
	fn := func(context.Context) error { return nil }
	get := func(context.Context) (int, error) { return 1, nil }
	for _, c := range []struct {
		name     string
		policies []func(inner rampart.Policy) []rampart.Policy
		want     int64 // the run whose publication lands; 0 for none
	}{
		{"no fork", nil, 1},
		{"second of two forks adopted", []func(rampart.Policy) []rampart.Policy{
			func(in rampart.Policy) []rampart.Policy { return []rampart.Policy{forking{forks: 2, keep: 1}, in} }}, 2},
		{"no fork adopted", []func(rampart.Policy) []rampart.Policy{
			func(in rampart.Policy) []rampart.Policy { return []rampart.Policy{forking{forks: 2, keep: -1}, in} }}, 0},
		{"a fork of a fork", []func(rampart.Policy) []rampart.Policy{
			func(in rampart.Policy) []rampart.Policy {
				return []rampart.Policy{forking{forks: 1, keep: 0}, forking{forks: 3, keep: 2}, in}
			}}, 3},
	} {
		for _, do := range []bool{true, false} {
			var got int64
			var runs atomic.Int64
			inner := publishing{dst: &got, runs: &runs}
			p := rampart.Pipeline(inner)
			for _, wrap := range c.policies {
				p = rampart.Pipeline(wrap(inner)...)
			}
			if do {
				_ = p.Do(ctx, fn)
			} else {
				_, _ = rampart.Get(ctx, p, get)
			}
			if got != c.want {
				t.Errorf("%s, do=%v: run %d's publication landed, want run %d's", c.name, do, got, c.want)
			}
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

// hedging runs the rest of the call on n forks at once, each in its own
// goroutine, and adopts the first to finish; the others run on, as a
// hedge's losers do, and are waited for only at the end of the test.
type hedging struct {
	n  int
	wg *sync.WaitGroup
}

func (h hedging) Execute(ctx context.Context, next rampart.Next) error {
	type done struct {
		fork rampart.Next
		err  error
	}
	first := make(chan done, h.n)
	for range h.n {
		fork := next.Fork()
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			first <- done{fork, fork.Run(ctx)}
		}()
	}
	d := <-first
	next.Adopt(d.fork)
	return d.err
}

// Losing forks publish while the caller reads what the winner published:
// -race checks that they never touch the caller's location.
func TestPublishFromConcurrentForksRacesNothing(t *testing.T) {
	var wg sync.WaitGroup
	for range 50 {
		var got int64
		var runs atomic.Int64
		p := rampart.Pipeline(hedging{n: 4, wg: &wg}, publishing{dst: &got, runs: &runs})
		v, err := rampart.Get(context.Background(), p, func(context.Context) (int, error) { return 1, nil })
		if v != 1 || err != nil || got < 1 || got > 4 {
			t.Fatalf("Get = %v, %v; publication from run %d, want one of the four", v, err, got)
		}
		_ = got // read while the losers run and publish
	}
	wg.Wait()
}
