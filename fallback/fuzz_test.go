package fallback_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/fallback"
)

// FuzzCacheConfig attacks LastGood's validation: it either returns an error
// naming a field, or a cache that serves an entry exactly while it is no
// older than MaxAge and never holds more than MaxKeys keys. The seed corpus
// runs in plain `go test`.
func FuzzCacheConfig(f *testing.F) {
	f.Add("", int64(0), 0, int64(0), uint8(3))
	f.Add("cache", int64(time.Second), 2, int64(time.Second), uint8(5))
	f.Add("x", int64(-1), -1, int64(1), uint8(1))
	f.Add("y", int64(math.MaxInt64), math.MaxInt, int64(math.MaxInt64), uint8(255))
	f.Add("z", int64(1), 1, int64(2), uint8(2))
	f.Fuzz(func(t *testing.T, name string, maxAge int64, maxKeys int, age int64, keys uint8) {
		clock := rampart.NewManualClock(time.Unix(0, 0))
		c := fallback.CacheConfig{Name: name, MaxAge: time.Duration(maxAge), MaxKeys: maxKeys, Clock: clock}
		p, err := fallback.LastGood[int](c)
		if err != nil {
			var ce *rampart.ConfigError
			if !errors.As(err, &ce) || ce.Package != "fallback" || !slices.Contains([]string{"MaxAge", "MaxKeys"}, ce.Field) {
				t.Fatalf("error %v, want a fallback ConfigError naming MaxAge or MaxKeys", err)
			}
			return
		}
		wantName := name
		if wantName == "" {
			wantName = "last-good"
		}
		if p.Name() != wantName {
			t.Fatalf("Name = %q, want %q", p.Name(), wantName)
		}
		limit := maxKeys
		if limit == 0 {
			limit = fallback.DefaultMaxKeys
		}
		for i := range int(keys) {
			ctx := fallback.WithKey(context.Background(), string(rune('a'+i%26))+string(rune('0'+i/26)))
			if _, err := rampart.Get(ctx, p, func(context.Context) (int, error) { return i, nil }); err != nil {
				t.Fatal(err)
			}
			if p.Len() > limit {
				t.Fatalf("holds %d keys, want at most %d", p.Len(), limit)
			}
		}
		ctx := fallback.WithKey(context.Background(), "k")
		if _, err := rampart.Get(ctx, p, func(context.Context) (int, error) { return 42, nil }); err != nil {
			t.Fatal(err)
		}
		if age < 0 {
			age = -age
		}
		clock.Advance(time.Duration(age))
		var rep fallback.Report
		v, err := rampart.Get(fallback.WithReport(ctx, &rep), p, fail[int])
		fresh := time.Duration(age) <= time.Duration(cmp(maxAge, int64(fallback.DefaultMaxAge)))
		switch {
		case fresh && (err != nil || v != 42 || !rep.Used || rep.Age != time.Duration(age)):
			t.Fatalf("age %v of MaxAge %v: got %v, %v, report %+v; want 42 served", time.Duration(age), c.MaxAge, v, err, rep)
		case !fresh && (!errors.Is(err, errDown) || rep.Used):
			t.Fatalf("age %v of MaxAge %v: got %v, %v, report %+v; want the failure", time.Duration(age), c.MaxAge, v, err, rep)
		}
	})
}

// FuzzConfig attacks Value's and Func's validation through JSON, the way a
// config file reaches them: decoding fails naming a field, or the policy
// has the name given (or the default) and serves its value.
func FuzzConfig(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"name":"popular"}`))
	f.Add([]byte(`{"name":7}`))
	f.Add([]byte(`{"nmae":"typo"}`))
	f.Add([]byte(`{"max_age":"-1s","max_keys":-1}`))
	f.Add([]byte(`nul`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c fallback.Config
		if err := c.UnmarshalJSON(data); err != nil {
			return // a decoding error; which field, if any, is config's business
		}
		for _, p := range []*fallback.Policy{
			must(fallback.Value(5, c)),
			must(fallback.Func(func(context.Context, error) (int, error) { return 5, nil }, c)),
		} {
			want := c.Name
			if want == "" {
				want = "fallback"
			}
			if p.Name() != want {
				t.Fatalf("Name = %q, want %q", p.Name(), want)
			}
			if v, err := rampart.Get(context.Background(), p, fail[int]); v != 5 || err != nil {
				t.Fatalf("Get = %v, %v; want the fallback's 5", v, err)
			}
		}
	})
}

func cmp[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
