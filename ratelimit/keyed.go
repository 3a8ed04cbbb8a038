package ratelimit

import (
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
	"github.com/rampart-go/rampart/internal/striped"
)

// KeyedConfig configures a [Keyed] limiter: one limit of Rate and Burst per
// key. Rate is required; the zero value of every other field means its
// documented default.
type KeyedConfig struct {
	// Name identifies the limiter in events and snapshots.
	// Default "ratelimit".
	Name string `json:"name,omitempty"`
	// Rate is each key's sustained number of calls per second. Required,
	// in (0, 1e9]; see Config.Rate.
	Rate float64 `json:"rate"`
	// Burst is how many calls a key may make at once. Default 1.
	Burst int `json:"burst,omitempty"`
	// Mode is Bursty (default) or Smooth, for every key.
	Mode Mode `json:"mode,omitempty"`
	// MaxKeys bounds the keys held at once. Default 10 000, at most 2^30.
	// Keys are spread over shards of MaxKeys/shards keys each (the shard
	// count is a power of two, at most 64, chosen from MaxKeys), so a
	// shard may fill a little before MaxKeys keys are held; what happens
	// then is described on [Keyed].
	MaxKeys int `json:"max_keys,omitempty"`
	// Clock is the time source; nil means the real clock.
	Clock rampart.Clock `json:"-"`
	// Observers receive EventRejected for every call refused, with Delay
	// the time until the key's next token is due. The key is not in the
	// event.
	Observers []rampart.Observer `json:"-"`
}

// MarshalJSON writes the config as JSON.
func (c KeyedConfig) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON reads the config from JSON.
func (c *KeyedConfig) UnmarshalJSON(b []byte) error { return config.Unmarshal("ratelimit", b, c) }

const (
	defaultMaxKeys = 10_000
	maxMaxKeys     = 1 << 30
	maxShards      = 64
	// pruneSteps bounds the idle keys a call removes on its way, so no call
	// pays for many.
	pruneSteps = 2
)

// Keyed limits each key (a tenant, a client address) to its own Rate and
// Burst. It is safe for concurrent use by multiple goroutines.
//
// # Memory
//
// A key's whole state is one GCRA time. A key whose bucket has refilled
// holds no information a new key would not, so it is dropped as idle: lazily,
// a couple at a time by the calls that pass its shard, or all at once by
// [Keyed.Prune]. A key is idle at most Burst/Rate after its last call.
// Each key costs about 85 bytes (measured with 100 000 keys) beside its
// string.
//
// # When full
//
// When a key arrives at a shard holding its share of MaxKeys keys and none
// is idle, the least recently used key is forgotten to make room: the new
// key is always served, and the forgotten one, should it come back, starts
// again with a full burst. So the limit can be exceeded, by at most Burst
// calls per eviction, only for keys pushed out by more than MaxKeys keys
// active at once; [KeyedSnapshot.Evicted] counts those evictions. Size
// MaxKeys above the number of keys active within Burst/Rate and it never
// happens. (Refusing new keys instead would let anyone who can invent
// keys lock every new client out.)
type Keyed struct {
	p gcraParams
	origin
	seed      maphash.Seed
	mask      uint64
	perShard  int
	shards    []shard
	name      string
	rate      float64
	mode      Mode
	maxKeys   int
	observers []rampart.Observer
	rejected  striped.Counter
	evicted   atomic.Uint64
}

// shard is one lock's worth of keys, in a map and a list from most to least
// recently used.
type shard struct {
	mu         sync.Mutex
	m          map[string]*entry
	head, tail *entry // most and least recently used
	// floor is the latest state of a key dropped as idle, capped at the
	// time it was dropped: a new key starts there rather than in the far
	// past, so a key dropped and seen again, by a call stamped a little
	// earlier than the one that dropped it, is judged no more leniently
	// than if it had been kept.
	floor int64
	spare *entry // the last entry dropped, for the next new key
	_     [64]byte
}

type entry struct {
	key        string
	tat        int64
	prev, next *entry
}

// NewKeyed returns a keyed limiter configured by c, or a
// [*rampart.ConfigError] naming the first invalid field.
func NewKeyed(c KeyedConfig) (*Keyed, error) {
	p, err := params("ratelimit", c.Rate, c.Burst, c.Mode)
	if err != nil {
		return nil, err
	}
	switch {
	case c.MaxKeys < 0 || c.MaxKeys > maxMaxKeys:
		return nil, config.Errorf("ratelimit", "MaxKeys", "must be in [0, %d], got %d", maxMaxKeys, c.MaxKeys)
	case c.MaxKeys == 0:
		c.MaxKeys = defaultMaxKeys
	}
	if c.Name == "" {
		c.Name = "ratelimit"
	}
	// About 64 keys a shard at least, so each shard's share stays useful.
	n := 1 << (bits.Len(uint(min(max(c.MaxKeys/64, 1), maxShards))) - 1)
	k := &Keyed{
		p: p, origin: newOrigin(c.Clock), seed: maphash.MakeSeed(),
		mask: uint64(n - 1), perShard: c.MaxKeys / n, shards: make([]shard, n),
		name: c.Name, rate: c.Rate, mode: c.Mode, maxKeys: c.MaxKeys, observers: c.Observers,
	}
	for i := range k.shards {
		k.shards[i].m = make(map[string]*entry)
		k.shards[i].floor = farPast
	}
	return k, nil
}

// Name returns the limiter's name.
func (k *Keyed) Name() string { return k.name }

// AllowKey reports whether key may make a call now, and if so takes its
// token. When not, retryAfter is how long until key's next token is due.
func (k *Keyed) AllowKey(key string) (ok bool, retryAfter time.Duration) {
	return k.allow(key, k.now(), 1, true)
}

// AllowKeyAt is AllowKey at time t, a time the caller has already read.
func (k *Keyed) AllowKeyAt(key string, t time.Time) (ok bool, retryAfter time.Duration) {
	return k.AllowKeyN(key, t, 1)
}

// AllowKeyN reports whether key may make n calls at time t, and if so takes
// n tokens. n above Burst is never allowed (retryAfter is 0: no wait is
// enough); n ≤ 0 is allowed and takes nothing.
func (k *Keyed) AllowKeyN(key string, t time.Time, n int) (ok bool, retryAfter time.Duration) {
	if n <= 0 {
		return true, 0
	}
	now := k.at(t)
	if int64(n) > k.p.burst {
		k.refused(now, 0)
		return false, 0
	}
	return k.allow(key, now, int64(n), false)
}

// allow decides for key at now; fresh says now came from the limiter's clock,
// which may be read again.
func (k *Keyed) allow(key string, now, n int64, fresh bool) (bool, time.Duration) {
	sh := &k.shards[maphash.String(k.seed, key)&k.mask]
	sh.mu.Lock()
	sh.prune(now, pruneSteps)
	e := sh.m[key]
	if e == nil {
		e = k.insert(sh, key, now)
	} else {
		sh.toFront(e)
	}
	next := max(e.tat, now) + n*k.p.interval
	if wait := next - now - k.p.limit; wait > 0 && fresh {
		// The time was read before the lock was taken and may have gone
		// stale waiting for it (see Limiter.Allow): judge the refusal
		// again at a fresh reading.
		now = max(now, k.now())
		next = max(e.tat, now) + n*k.p.interval
	}
	if wait := next - now - k.p.limit; wait > 0 {
		sh.mu.Unlock()
		k.refused(now, wait)
		return false, time.Duration(wait)
	}
	e.tat = next
	sh.mu.Unlock()
	return true, 0
}

// insert adds key, with a full bucket, at the front of sh, making room if
// the shard is full. sh.mu is held.
func (k *Keyed) insert(sh *shard, key string, now int64) *entry {
	var e *entry
	if len(sh.m) >= k.perShard {
		e = sh.tail // reused: a full shard allocates nothing for a new key
		if e.tat > now {
			k.evicted.Add(1)
		}
		sh.drop(e, now)
		sh.spare = nil
	} else if e = sh.spare; e != nil {
		sh.spare = nil
	} else {
		e = &entry{}
	}
	e.key, e.tat = key, sh.floor
	sh.m[key] = e
	sh.pushFront(e)
	return e
}

func (k *Keyed) refused(now, wait int64) {
	k.rejected.Add(1)
	if len(k.observers) == 0 {
		return
	}
	rampart.Emit(k.observers, rampart.Event{
		Kind: rampart.EventRejected, Policy: k.name, Time: k.time(now),
		Reason: "rate_limited", Delay: time.Duration(wait),
	})
}

// Forget drops key's state: its next call starts with a full burst.
func (k *Keyed) Forget(key string) {
	sh := &k.shards[maphash.String(k.seed, key)&k.mask]
	sh.mu.Lock()
	if e := sh.m[key]; e != nil {
		sh.remove(e)
	}
	sh.mu.Unlock()
}

// Prune drops every idle key (one whose bucket has refilled) and returns how
// many it dropped. Calls drop idle keys on their way; Prune, run from time
// to time, also empties shards no call passes.
func (k *Keyed) Prune() int {
	now := k.now()
	dropped := 0
	for i := range k.shards {
		sh := &k.shards[i]
		sh.mu.Lock()
		for e := sh.head; e != nil; {
			next := e.next
			if e.tat <= now {
				sh.drop(e, now)
				dropped++
			}
			e = next
		}
		sh.mu.Unlock()
	}
	return dropped
}

// Len returns the number of keys held.
func (k *Keyed) Len() int {
	n := 0
	for i := range k.shards {
		sh := &k.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// KeyedSnapshot is a keyed limiter's configuration and counts at one moment.
type KeyedSnapshot struct {
	// Name is the limiter's KeyedConfig.Name.
	Name string
	// Rate and Burst are each key's limits (Burst after its default).
	Rate  float64
	Burst int
	// Mode is Bursty or Smooth.
	Mode Mode
	// Keys is the number of keys held, idle ones not yet dropped included;
	// MaxKeys the bound.
	Keys, MaxKeys int
	// Rejected counts every refusal since the limiter was built.
	Rejected uint64
	// Evicted counts keys forgotten to make room while their bucket was
	// not yet full again: each such eviction may let that key exceed its
	// limit by up to Burst. Nonzero means MaxKeys is too small for the
	// traffic.
	Evicted uint64
}

// Snapshot returns the limiter's counts. It takes each shard's lock in turn.
func (k *Keyed) Snapshot() KeyedSnapshot {
	return KeyedSnapshot{
		Name: k.name, Rate: k.rate, Burst: int(k.p.burst), Mode: k.mode,
		Keys: k.Len(), MaxKeys: k.maxKeys,
		Rejected: uint64(k.rejected.Load()), Evicted: k.evicted.Load(),
	}
}

// prune drops up to steps idle keys from the least recently used end.
func (sh *shard) prune(now int64, steps int) {
	for range steps {
		e := sh.tail
		if e == nil || e.tat > now {
			return
		}
		sh.drop(e, now)
	}
}

// drop removes e at time now, keeping its state, up to now, in the floor.
func (sh *shard) drop(e *entry, now int64) {
	sh.floor = max(sh.floor, min(e.tat, now))
	sh.remove(e)
	*e = entry{}
	sh.spare = e
}

func (sh *shard) pushFront(e *entry) {
	e.prev, e.next = nil, sh.head
	if sh.head != nil {
		sh.head.prev = e
	} else {
		sh.tail = e
	}
	sh.head = e
}

func (sh *shard) toFront(e *entry) {
	if sh.head == e {
		return
	}
	sh.unlink(e)
	sh.pushFront(e)
}

func (sh *shard) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		sh.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		sh.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (sh *shard) remove(e *entry) {
	sh.unlink(e)
	delete(sh.m, e.key)
}
