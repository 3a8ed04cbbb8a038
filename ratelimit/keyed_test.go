package ratelimit_test

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/testutil"
	"github.com/rampart-go/rampart/ratelimit"
)

func newKeyed(t testing.TB, c ratelimit.KeyedConfig) *ratelimit.Keyed {
	t.Helper()
	k, err := ratelimit.NewKeyed(c)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyedLimitsEachKeyOnItsOwn(t *testing.T) {
	clock := rampart.NewManualClock(t0)
	rec := &testutil.Recorder{}
	k := newKeyed(t, ratelimit.KeyedConfig{Rate: 2, Burst: 2, Clock: clock, Observers: []rampart.Observer{rec}})
	for _, key := range []string{"a", "b"} {
		for i := range 2 {
			if ok, _ := k.AllowKey(key); !ok {
				t.Fatalf("%s: call %d refused", key, i+1)
			}
		}
	}
	ok, after := k.AllowKey("a")
	if ok || after != 500*time.Millisecond {
		t.Fatalf("a's third call: ok %v, retry after %v; want refused, 500ms", ok, after)
	}
	clock.Advance(500 * time.Millisecond)
	if ok, _ := k.AllowKey("a"); !ok {
		t.Fatal("a refused once its token was due")
	}
	if evs := rec.Of(rampart.EventRejected); len(evs) != 1 || evs[0].Delay != 500*time.Millisecond {
		t.Fatalf("events %+v", evs)
	}
	if ok, after := k.AllowKeyN("a", clock.Now(), 3); ok || after != 0 {
		t.Fatal("3 tokens at once with Burst 2")
	}
	if ok, _ := k.AllowKeyN("a", clock.Now(), 0); !ok {
		t.Fatal("n = 0 refused")
	}
	s := k.Snapshot()
	if s.Keys != 2 || s.Rejected != 2 || s.Evicted != 0 || s.MaxKeys != 10_000 || s.Burst != 2 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestKeyedDropsIdleKeys(t *testing.T) {
	clock := rampart.NewManualClock(t0)
	k := newKeyed(t, ratelimit.KeyedConfig{Rate: 10, Burst: 5, Clock: clock})
	for i := range 100 {
		k.AllowKey(strconv.Itoa(i))
	}
	if n := k.Len(); n != 100 {
		t.Fatalf("%d keys held, want 100", n)
	}
	clock.Advance(99 * time.Millisecond)
	if n := k.Prune(); n != 0 {
		t.Fatalf("pruned %d keys whose bucket is not yet full", n)
	}
	clock.Advance(time.Millisecond) // the one token spent is back: every bucket full
	if n := k.Prune(); n != 100 || k.Len() != 0 {
		t.Fatalf("pruned %d, %d left; want all 100", n, k.Len())
	}
	// Calls drop idle keys of their shard on their way too (MaxKeys 100
	// is one shard).
	k = newKeyed(t, ratelimit.KeyedConfig{Rate: 10, Burst: 5, MaxKeys: 100, Clock: clock})
	k.AllowKey("x")
	clock.Advance(time.Second)
	for range 10 {
		k.AllowKey("y")
	}
	if k.Len() != 1 {
		t.Fatalf("%d keys held, want 1: the idle x dropped by calls for y", k.Len())
	}
}

func TestKeyedWhenFullForgetsTheLeastRecentlyUsed(t *testing.T) {
	clock := rampart.NewManualClock(t0)
	// MaxKeys 3 makes one shard of 3 keys.
	k := newKeyed(t, ratelimit.KeyedConfig{Rate: 1, Burst: 1, MaxKeys: 3, Clock: clock})
	for _, key := range []string{"a", "b", "c"} {
		k.AllowKey(key)
	}
	k.AllowKey("a") // refused, but used: b is now the least recent
	if ok, _ := k.AllowKey("d"); !ok {
		t.Fatal("a new key refused in a full table")
	}
	if k.Len() != 3 {
		t.Fatalf("%d keys held, MaxKeys 3", k.Len())
	}
	if ok, _ := k.AllowKey("b"); !ok {
		t.Fatal("b was not the one forgotten (it would be refused)")
	}
	for _, key := range []string{"a", "d"} {
		if ok, _ := k.AllowKey(key); ok {
			t.Fatalf("%s forgotten, want b (then c) forgotten", key)
		}
	}
	if s := k.Snapshot(); s.Evicted != 2 { // b, then c for b's return
		t.Fatalf("evicted %d active keys, want 2", s.Evicted)
	}
	k.Forget("a")
	if ok, _ := k.AllowKey("a"); !ok {
		t.Fatal("a still limited after Forget")
	}
}

// Many goroutines on a few keys: each key's admissions respect the bound,
// and the table never holds more than MaxKeys.
func TestKeyedAdmittedNeverExceedsRateTimesWindowPlusBurst(t *testing.T) {
	const interval = time.Millisecond
	const burst, maxKeys = 4, 256
	k := newKeyed(t, ratelimit.KeyedConfig{Rate: 1000, Burst: burst, MaxKeys: maxKeys})
	var now atomic.Int64
	keys := []string{"a", "b", "c"}
	var mu sync.Mutex
	got := map[string][]admission{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range 400 {
				at := now.Load()
				if r.IntN(3) == 0 {
					at = now.Add(r.Int64N(int64(interval)))
				}
				key := keys[r.IntN(len(keys))]
				if ok, _ := k.AllowKeyAt(key, t0.Add(time.Duration(at))); ok {
					mu.Lock()
					got[key] = append(got[key], admission{time.Duration(at), 1})
					mu.Unlock()
				}
				// Noise keys, to fill the table past its bound.
				k.AllowKeyAt("noise-"+strconv.Itoa(w*1000+i), t0.Add(time.Duration(at)))
			}
		})
	}
	wg.Wait()
	for key, adm := range got {
		if len(adm) == 0 {
			t.Fatalf("%s: nothing let through", key)
		}
		checkWindows(t, adm, interval, burst)
	}
	if n := k.Len(); n > maxKeys {
		t.Fatalf("%d keys held, MaxKeys %d", n, maxKeys)
	}
}

// Regression: a key dropped as idle by a call stamped later, then seen by a
// call stamped earlier, came back with a full bucket and let a token too
// many through.
func TestKeyedIdleDropKeepsTheStateForEarlierStamps(t *testing.T) {
	k := newKeyed(t, ratelimit.KeyedConfig{Rate: 10, Burst: 1, MaxKeys: 64})
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	if ok, _ := k.AllowKeyAt("x", at(100)); !ok { // x's next token at 200ms
		t.Fatal("x refused")
	}
	k.AllowKeyAt("y", at(250)) // drops x, idle since 200ms
	if k.Len() != 1 {
		t.Fatalf("%d keys, want x dropped", k.Len())
	}
	if ok, after := k.AllowKeyAt("x", at(150)); ok || after != 50*time.Millisecond {
		t.Fatalf("x at 150ms: ok %v, retry after %v; want refused for 50ms, as if never dropped", ok, after)
	}
}
