package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/ratelimit"
)

type keyCtx struct{}

func keyOf(ctx context.Context) string { s, _ := ctx.Value(keyCtx{}).(string); return s }

func TestKeyedPolicyLimitsEachKey(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := rampart.NewManualClock(t0)
	k, err := ratelimit.NewKeyed(ratelimit.KeyedConfig{Rate: 10, Burst: 2, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.Policy(keyOf)
	if err != nil {
		t.Fatal(err)
	}
	if p.Limiter() != k {
		t.Fatal("Limiter is not the keyed limiter")
	}
	ran := map[string]int{}
	call := func(key string) error {
		ctx := context.WithValue(context.Background(), keyCtx{}, key)
		return rampart.Do(ctx, p, func(context.Context) error { ran[key]++; return nil })
	}
	for range 3 {
		call("a")
	}
	err = call("a")
	var le *ratelimit.LimitedError
	if !errors.As(err, &le) || !errors.Is(err, ratelimit.ErrLimited) || !errors.Is(err, rampart.ErrRejected) {
		t.Fatalf("fourth call of a burst of 2: %v, want a LimitedError", err)
	}
	if d, ok := rampart.RetryAfter(err); !ok || d != 100*time.Millisecond {
		t.Fatalf("hint %v %v, want 100ms", d, ok)
	}
	if ran["a"] != 2 {
		t.Fatalf("a ran %d times, want 2 (the burst)", ran["a"])
	}
	// Other keys, the empty one included, have their own burst.
	for _, key := range []string{"b", "b", ""} {
		if err := call(key); err != nil {
			t.Fatalf("key %q: %v", key, err)
		}
	}
	clock.Advance(100 * time.Millisecond)
	if err := call("a"); err != nil {
		t.Fatalf("a after its next token is due: %v", err)
	}
	if s := k.Snapshot(); s.Rejected != 2 {
		t.Fatalf("Rejected = %d, want 2", s.Rejected)
	}
}

func TestKeyedPolicyNilKey(t *testing.T) {
	k, err := ratelimit.NewKeyed(ratelimit.KeyedConfig{Rate: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.Policy(nil)
	var ce *rampart.ConfigError
	if p != nil || !errors.As(err, &ce) || ce.Field != "key" {
		t.Fatalf("Policy(nil) = %v, %v; want a ConfigError naming key", p, err)
	}
}

// TestKeyedPolicyConcurrent: with the clock still, each key runs exactly
// its burst, whatever the goroutines.
func TestKeyedPolicyConcurrent(t *testing.T) {
	clock := rampart.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	k, err := ratelimit.NewKeyed(ratelimit.KeyedConfig{Rate: 1, Burst: 5, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := k.Policy(keyOf)
	keys := []string{"x", "y", "z"}
	var ran [3]atomic.Int32
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				j := (g + i) % len(keys)
				ctx := context.WithValue(context.Background(), keyCtx{}, keys[j])
				rampart.Do(ctx, p, func(context.Context) error { ran[j].Add(1); return nil })
			}
		}()
	}
	wg.Wait()
	for j := range keys {
		if n := ran[j].Load(); n != 5 {
			t.Errorf("key %s ran %d times, want its burst of 5", keys[j], n)
		}
	}
}
