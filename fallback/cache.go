package fallback

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

// CacheConfig configures a [LastGood] fallback. The zero value of every
// field means its default.
type CacheConfig struct {
	// Name identifies the fallback in events and reports. Default
	// "last-good".
	Name string `json:"name,omitempty"`
	// MaxAge is the oldest a cached result may be and still be served.
	// Default 5m. An entry older than that is a miss.
	MaxAge time.Duration `json:"max_age,omitempty"`
	// MaxKeys bounds the number of keys kept; beyond it the least recently
	// stored key is evicted. Default 1024.
	MaxKeys int `json:"max_keys,omitempty"`
	// Handle, Classifier, Observers and Clock are as in [Config].
	Handle     func(ctx context.Context, err error) bool `json:"-"`
	Classifier rampart.Classifier                        `json:"-"`
	Observers  []rampart.Observer                        `json:"-"`
	Clock      rampart.Clock                             `json:"-"`
}

// MarshalJSON implements [json.Marshaler].
func (c CacheConfig) MarshalJSON() ([]byte, error) { return config.Marshal(c) }

// UnmarshalJSON implements [json.Unmarshaler].
func (c *CacheConfig) UnmarshalJSON(b []byte) error { return config.Unmarshal("fallback", b, c) }

// Defaults of [CacheConfig].
const (
	DefaultMaxAge  = 5 * time.Minute
	DefaultMaxKeys = 1024
)

// LastGood returns a fallback that remembers the last successful result of
// type T for each caller's key (set with [WithKey]; calls without one share
// the key "") and serves it when a later call with that key fails, as long
// as it is no older than MaxAge. With no fresh entry it steps aside and the
// failure goes on to the next fallback out.
//
// Every successful call stores its result, which boxes it in an interface:
// one allocation per success for results that are not pointer-shaped.
//
// The cache keeps the result itself, not a copy. When T is a slice, a map
// or a pointer, the call that stored it and every call served from it
// share what it refers to: one that modifies its result changes the
// cached entry and races with the others. Treat results as read-only, or
// have the protected function return a copy it will not touch again (for
// example slices.Clone of its own buffer) and clone a served result before
// modifying it.
func LastGood[T any](c CacheConfig) (*Policy, error) {
	if c.MaxAge < 0 {
		return nil, config.Errorf("fallback", "MaxAge", "must be >= 0, got %v", c.MaxAge)
	}
	if c.MaxKeys < 0 {
		return nil, config.Errorf("fallback", "MaxKeys", "must be >= 0, got %d", c.MaxKeys)
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.MaxKeys == 0 {
		c.MaxKeys = DefaultMaxKeys
	}
	if c.Name == "" {
		c.Name = "last-good"
	}
	store := &lastGood{maxAge: c.MaxAge, maxKeys: c.MaxKeys, clock: c.Clock, byKey: map[string]*list.Element{}}
	p, err := newPolicy(Config{Name: c.Name, Handle: c.Handle, Classifier: c.Classifier, Observers: c.Observers, Clock: c.Clock}, SourceCache)
	if err != nil {
		return nil, err
	}
	p.record = func(ctx context.Context, next rampart.Next) {
		v, ok := next.Result()
		if !ok {
			return
		}
		if _, isT := v.(T); !isT {
			return
		}
		store.put(keyFrom(ctx), v)
	}
	p.serve = func(ctx context.Context, _ error, next rampart.Next) (bool, time.Duration, error) {
		v, age, ok := store.get(keyFrom(ctx))
		if !ok {
			return false, 0, nil
		}
		return true, age, next.SetResult(v)
	}
	p.cache = store
	return p, nil
}

// Len returns how many keys a [LastGood] fallback holds; 0 for others.
func (p *Policy) Len() int {
	if p.cache == nil {
		return 0
	}
	return p.cache.len()
}

type cacheKey struct{}

// WithKey returns a copy of ctx whose calls a [LastGood] fallback caches
// under key, such as a user or product ID.
func WithKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, cacheKey{}, key)
}

func keyFrom(ctx context.Context) string {
	k, _ := ctx.Value(cacheKey{}).(string)
	return k
}

// lastGood is a bounded map from key to the last good result, evicting the
// least recently stored key.
type lastGood struct {
	maxAge  time.Duration
	maxKeys int
	clock   rampart.Clock

	mu    sync.Mutex
	order list.List // of *entry, most recently stored at the front
	byKey map[string]*list.Element
}

type entry struct {
	key string
	v   any
	at  time.Time
}

func (s *lastGood) put(key string, v any) {
	now := rampart.Now(s.clock)
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byKey[key]; ok {
		e := el.Value.(*entry)
		e.v, e.at = v, now
		s.order.MoveToFront(el)
		return
	}
	s.byKey[key] = s.order.PushFront(&entry{key: key, v: v, at: now})
	for s.order.Len() > s.maxKeys {
		oldest := s.order.Back()
		s.order.Remove(oldest)
		delete(s.byKey, oldest.Value.(*entry).key)
	}
}

func (s *lastGood) get(key string) (any, time.Duration, bool) {
	now := rampart.Now(s.clock)
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byKey[key]
	if !ok {
		return nil, 0, false
	}
	e := el.Value.(*entry)
	age := now.Sub(e.at)
	if age > s.maxAge {
		return nil, age, false
	}
	return e.v, age, true
}

func (s *lastGood) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}
