package retry_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

func bucket(t *testing.T, c retry.TokenBucketConfig) *retry.TokenBucket {
	t.Helper()
	b, err := retry.NewTokenBucket(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTokenBucketStartsFullWithTheDefaults(t *testing.T) {
	b := bucket(t, retry.TokenBucketConfig{})
	if got := b.Tokens(); got != retry.DefaultMaxTokens {
		t.Fatalf("Tokens = %v, want %v", got, retry.DefaultMaxTokens)
	}
}

func TestTokenBucketRefusesRetriesAtHalfOrBelow(t *testing.T) {
	b := bucket(t, retry.TokenBucketConfig{MaxTokens: 10, TokenRatio: 0.5})
	for i := range 4 {
		b.OnFailure()
		if !b.TryRetry() {
			t.Fatalf("after %d failures (%v tokens) a retry was refused", i+1, b.Tokens())
		}
	}
	b.OnFailure() // 5 tokens: exactly half
	if b.TryRetry() {
		t.Fatalf("at %v tokens a retry was granted, want refused", b.Tokens())
	}
	b.OnSuccess() // 5.5
	if !b.TryRetry() {
		t.Fatalf("at %v tokens a retry was refused, want granted", b.Tokens())
	}
	if got := b.Tokens(); got != 5.5 {
		t.Fatalf("Tokens = %v, want 5.5: granting a retry costs nothing by default", got)
	}
}

func TestTokenBucketStaysWithinZeroAndMax(t *testing.T) {
	b := bucket(t, retry.TokenBucketConfig{MaxTokens: 3, TokenRatio: 1})
	for range 10 {
		b.OnSuccess()
	}
	if got := b.Tokens(); got != 3 {
		t.Fatalf("after successes on a full bucket Tokens = %v, want 3", got)
	}
	for range 10 {
		b.OnFailure()
	}
	if got := b.Tokens(); got != 0 {
		t.Fatalf("after many failures Tokens = %v, want 0", got)
	}
	b.OnSuccess()
	if got := b.Tokens(); got != 1 {
		t.Fatalf("Tokens = %v, want 1", got)
	}
}

func TestTokenBucketRetryCostIsSpentPerGrantedRetry(t *testing.T) {
	b := bucket(t, retry.TokenBucketConfig{MaxTokens: 20, RetryCost: 5})
	granted := 0
	for b.TryRetry() {
		granted++
	}
	// 20 → 15 → 10 (half): two retries.
	if granted != 2 || b.Tokens() != 10 {
		t.Fatalf("granted %d retries leaving %v tokens, want 2 leaving 10", granted, b.Tokens())
	}
}

func TestTokenBucketFractionsAreExact(t *testing.T) {
	b := bucket(t, retry.TokenBucketConfig{MaxTokens: 10, TokenRatio: 0.1})
	for range 10 {
		b.OnFailure()
	}
	for range 30 {
		b.OnSuccess()
	}
	if got := b.Tokens(); got != 3 {
		t.Fatalf("Tokens = %v, want exactly 3", got)
	}
}

func TestTokenBucketIsExactUnderConcurrency(t *testing.T) {
	b := bucket(t, retry.TokenBucketConfig{MaxTokens: 100, TokenRatio: 0.1})
	const workers = 8
	run := func(n int, f func()) {
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range n {
					f()
				}
			}()
		}
		wg.Wait()
	}
	run(1000, b.OnSuccess) // full: nothing changes
	run(5, b.OnFailure)    // 100 - 40
	run(25, b.OnSuccess)   // + 200·0.1
	if got := b.Tokens(); got != 80 {
		t.Fatalf("Tokens = %v, want exactly 80", got)
	}
	var mu sync.Mutex
	granted := 0
	run(50, func() {
		b.OnFailure()
		if b.TryRetry() {
			mu.Lock()
			granted++
			mu.Unlock()
		}
	})
	if got := b.Tokens(); got != 0 {
		t.Fatalf("Tokens = %v, want 0 after 400 failures", got)
	}
	// Each failure spends one and is checked after: at most 29 failures
	// leave more than 50 tokens.
	if granted > 30 {
		t.Fatalf("granted %d retries, want at most 30", granted)
	}
}

func TestBudgetSharedAcrossGoroutinesStopsARetryStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := bucket(t, retry.TokenBucketConfig{MaxTokens: 20})
		p := mustNew(t, retry.Config{MaxAttempts: 10, Budget: shared, Backoff: steps(time.Millisecond)})
		var mu sync.Mutex
		attempts := 0
		var wg sync.WaitGroup
		const callers = 50
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = p.Do(context.Background(), func(context.Context) error {
					mu.Lock()
					attempts++
					mu.Unlock()
					return errTransient
				})
			}()
		}
		wg.Wait()
		// 20 tokens, refused at 10 or less: at most 10 retries in all.
		if attempts > callers+10 {
			t.Fatalf("%d attempts for %d calls, want at most %d", attempts, callers, callers+10)
		}
		if s := p.Snapshot(); s.Retries > 10 || s.BudgetRefused+s.Exhausted != callers {
			t.Fatalf("snapshot %+v: want at most 10 retries and every call ended by the budget or attempts", s)
		}
	})
}

func TestBudgetSharedByTwoPolicies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := bucket(t, retry.TokenBucketConfig{MaxTokens: 6})
		a := mustNew(t, retry.Config{Name: "a", Budget: shared, Backoff: steps(time.Millisecond)})
		b := mustNew(t, retry.Config{Name: "b", Budget: shared, Backoff: steps(time.Millisecond)})
		fail := func(context.Context) error { return errTransient }
		// a: three failures (6 → 3 tokens), two retries granted.
		if err := a.Do(context.Background(), fail); !errors.Is(err, retry.ErrExhausted) {
			t.Fatalf("a: %v, want ErrExhausted", err)
		}
		// b's first attempt runs, its retry is refused.
		calls := 0
		err := b.Do(context.Background(), func(ctx context.Context) error { calls++; return fail(ctx) })
		if calls != 1 || !errors.Is(err, retry.ErrBudgetExhausted) {
			t.Fatalf("b: %v after %d calls, want ErrBudgetExhausted after 1", err, calls)
		}
		if a.Budget() != b.Budget() {
			t.Fatal("the policies do not report the same budget")
		}
	})
}

func TestEachPolicyHasItsOwnBudgetByDefault(t *testing.T) {
	a, b := mustNew(t, retry.Config{}), mustNew(t, retry.Config{})
	if a.Budget() == nil || a.Budget() == b.Budget() {
		t.Fatal("want a budget of each policy's own")
	}
	if mustNew(t, retry.Config{DisableBudget: true}).Budget() != nil {
		t.Fatal("DisableBudget left a budget")
	}
	if mustNew(t, retry.Config{Budget: retry.NoBudget}).Budget() != nil {
		t.Fatal("NoBudget left a budget")
	}
}

func TestBudgetConfigSizesThePolicysOwnBucket(t *testing.T) {
	p := mustNew(t, retry.Config{BudgetConfig: retry.TokenBucketConfig{MaxTokens: 7}})
	if got := p.Budget().(*retry.TokenBucket).Tokens(); got != 7 {
		t.Fatalf("Tokens = %v, want 7", got)
	}
}

func TestBudgetsGiveOneBucketPerDestination(t *testing.T) {
	r, err := retry.NewBudgets(retry.TokenBucketConfig{MaxTokens: 4})
	if err != nil {
		t.Fatal(err)
	}
	users, orders := r.For("users"), r.For("orders")
	if users == orders || r.For("users") != users {
		t.Fatal("want one bucket per destination, the same each time")
	}
	users.OnFailure()
	if users.Tokens() != 3 || orders.Tokens() != 4 {
		t.Fatalf("tokens users=%v orders=%v, want 3 and 4", users.Tokens(), orders.Tokens())
	}
	var wg sync.WaitGroup
	got := make([]*retry.TokenBucket, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = r.For("payments") }()
	}
	wg.Wait()
	for _, b := range got {
		if b != got[0] {
			t.Fatal("concurrent first uses made two buckets")
		}
	}
}

func ratio(t *testing.T, c retry.RatioBudgetConfig) *retry.RatioBudget {
	t.Helper()
	b, err := retry.NewRatioBudget(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func grants(b retry.Budget, max int) int {
	n := 0
	for n < max && b.TryRetry() {
		n++
	}
	return n
}

func TestRatioBudgetAllowsAShareOfCallsPlusAFloor(t *testing.T) {
	clock := rampart.NewManualClock(time.Unix(0, 0))
	b := ratio(t, retry.RatioBudgetConfig{Ratio: 0.1, Window: 10 * time.Second, MinPerSecond: 1, Clock: clock})
	for range 100 {
		b.OnRequest()
	}
	// 10% of 100 calls plus 1/s over 10s.
	if got := grants(b, 1000); got != 20 {
		t.Fatalf("granted %d retries, want 20", got)
	}
	if calls, retries := b.Counts(); calls != 100 || retries != 20 {
		t.Fatalf("Counts = %d, %d; want 100, 20", calls, retries)
	}
	for range 10 {
		b.OnRequest()
	}
	if got := grants(b, 1000); got != 1 {
		t.Fatalf("after 10 more calls granted %d retries, want 1", got)
	}
}

func TestRatioBudgetForgetsWhatLeftTheWindow(t *testing.T) {
	clock := rampart.NewManualClock(time.Unix(0, 0))
	b := ratio(t, retry.RatioBudgetConfig{Ratio: 0.5, Window: 10 * time.Second, MinPerSecond: 0.1, Clock: clock})
	for range 100 {
		b.OnRequest()
	}
	if got := grants(b, 1000); got != 51 {
		t.Fatalf("granted %d, want 51", got)
	}
	clock.Advance(5 * time.Second)
	for range 20 {
		b.OnRequest()
	}
	if got := grants(b, 1000); got != 10 {
		t.Fatalf("5s later granted %d, want 10", got)
	}
	clock.Advance(6 * time.Second) // the first 100 calls and 51 retries leave
	if calls, retries := b.Counts(); calls != 20 || retries != 10 {
		t.Fatalf("Counts = %d, %d; want 20, 10", calls, retries)
	}
	if got := grants(b, 1000); got != 1 {
		t.Fatalf("granted %d, want 1", got)
	}
	clock.Advance(time.Minute)
	if calls, retries := b.Counts(); calls != 0 || retries != 0 {
		t.Fatalf("a minute later Counts = %d, %d; want 0, 0", calls, retries)
	}
	if got := grants(b, 1000); got != 1 {
		t.Fatalf("on the floor alone granted %d, want 1", got)
	}
}

func TestRatioBudgetDefaults(t *testing.T) {
	clock := rampart.NewManualClock(time.Unix(0, 0))
	b := ratio(t, retry.RatioBudgetConfig{Clock: clock})
	for range 1000 {
		b.OnRequest()
	}
	// 10% of 1000 plus 1/s over 10s.
	if got := grants(b, 10000); got != 110 {
		t.Fatalf("granted %d, want 110", got)
	}
}

func TestRatioBudgetIsSafeForConcurrentUse(t *testing.T) {
	b := ratio(t, retry.RatioBudgetConfig{Ratio: 0.1})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				b.OnRequest()
				b.OnFailure()
				b.TryRetry()
				b.OnSuccess()
			}
		}()
	}
	wg.Wait()
	calls, retries := b.Counts()
	if calls != 8000 {
		t.Fatalf("counted %d calls, want 8000", calls)
	}
	if limit := int64(800 + 10 + 8); retries > limit {
		t.Fatalf("granted %d retries, want at most about %d", retries, limit)
	}
}

func TestRatioBudgetDrivesAPolicy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := ratio(t, retry.RatioBudgetConfig{Ratio: 0.1, MinPerSecond: 0.1})
		p := mustNew(t, retry.Config{Budget: b, Backoff: steps(time.Millisecond)})
		for range 20 {
			_ = p.Do(context.Background(), func(context.Context) error { return nil })
		}
		err := p.Do(context.Background(), func(context.Context) error { return errTransient })
		// 21 calls: 2.1 + 1 retries allowed, so 3.
		if got := p.Snapshot().Retries; got != 2 || !errors.Is(err, retry.ErrExhausted) {
			t.Fatalf("%d retries, err %v; want 2 and ErrExhausted", got, err)
		}
		err = p.Do(context.Background(), func(context.Context) error { return errTransient })
		if !errors.Is(err, retry.ErrBudgetExhausted) {
			t.Fatalf("err = %v, want ErrBudgetExhausted", err)
		}
	})
}

func TestBudgetConfigsRejectInvalidFields(t *testing.T) {
	check := func(err error, field string) {
		t.Helper()
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("error %v, want a ConfigError for %s", err, field)
		}
	}
	_, err := retry.NewTokenBucket(retry.TokenBucketConfig{MaxTokens: -1})
	check(err, "MaxTokens")
	_, err = retry.NewTokenBucket(retry.TokenBucketConfig{MaxTokens: 1, TokenRatio: 2})
	check(err, "TokenRatio")
	_, err = retry.NewTokenBucket(retry.TokenBucketConfig{RetryCost: -1})
	check(err, "RetryCost")
	_, err = retry.NewBudgets(retry.TokenBucketConfig{TokenRatio: -1})
	check(err, "TokenRatio")
	_, err = retry.NewRatioBudget(retry.RatioBudgetConfig{Ratio: -0.1})
	check(err, "Ratio")
	_, err = retry.NewRatioBudget(retry.RatioBudgetConfig{Window: time.Millisecond})
	check(err, "Window")
	_, err = retry.NewRatioBudget(retry.RatioBudgetConfig{MinPerSecond: -1})
	check(err, "MinPerSecond")
}
