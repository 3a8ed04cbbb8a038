package ratelimit_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/ratelimit"
)

func TestNewRejectsInvalidConfigNamingTheField(t *testing.T) {
	cases := []struct {
		name  string
		c     ratelimit.Config
		field string
	}{
		{"no rate", ratelimit.Config{}, "Rate"},
		{"negative rate", ratelimit.Config{Rate: -1}, "Rate"},
		{"NaN rate", ratelimit.Config{Rate: math.NaN()}, "Rate"},
		{"+Inf rate", ratelimit.Config{Rate: math.Inf(1)}, "Rate"},
		{"-Inf rate", ratelimit.Config{Rate: math.Inf(-1)}, "Rate"},
		{"rate above 1e9", ratelimit.Config{Rate: 2e9}, "Rate"},
		{"rate so low the span overflows", ratelimit.Config{Rate: 1e-12}, "Rate"},
		{"burst times interval overflows", ratelimit.Config{Rate: 1e-3, Burst: math.MaxInt}, "Rate"},
		{"negative burst", ratelimit.Config{Rate: 1, Burst: -1}, "Burst"},
		{"smooth with a burst", ratelimit.Config{Rate: 1, Burst: 2, Mode: ratelimit.Smooth}, "Burst"},
		{"unknown mode", ratelimit.Config{Rate: 1, Mode: 7}, "Mode"},
		{"negative max wait", ratelimit.Config{Rate: 1, MaxWait: -time.Nanosecond}, "MaxWait"},
		{"min max wait", ratelimit.Config{Rate: 1, MaxWait: math.MinInt64}, "MaxWait"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ratelimit.New(tc.c)
			assertConfigError(t, err, tc.field)
			if l != nil {
				t.Fatal("New returned a limiter with its error")
			}
			// The same limits are judged the same way for a keyed limiter.
			if tc.field == "MaxWait" {
				return
			}
			_, err = ratelimit.NewKeyed(ratelimit.KeyedConfig{Rate: tc.c.Rate, Burst: tc.c.Burst, Mode: tc.c.Mode})
			assertConfigError(t, err, tc.field)
		})
	}
}

func TestNewKeyedRejectsInvalidMaxKeys(t *testing.T) {
	for _, n := range []int{-1, 1<<30 + 1, math.MaxInt} {
		_, err := ratelimit.NewKeyed(ratelimit.KeyedConfig{Rate: 1, MaxKeys: n})
		assertConfigError(t, err, "MaxKeys")
	}
}

func assertConfigError(t *testing.T, err error, field string) {
	t.Helper()
	var ce *rampart.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, rampart.ErrInvalidConfig) {
		t.Fatalf("got %v, want a *rampart.ConfigError", err)
	}
	if ce.Field != field || ce.Package != "ratelimit" {
		t.Fatalf("error names %s.%s, want ratelimit.%s: %v", ce.Package, ce.Field, field, err)
	}
}

func TestNewAcceptsTheExtremesOfItsRanges(t *testing.T) {
	for _, c := range []ratelimit.Config{
		{Rate: 1e9},
		{Rate: 1e9, Burst: 1 << 40},
		{Rate: 1e-6, Burst: 1000},
		{Rate: 0.5, Mode: ratelimit.Smooth, Burst: 1},
		{Rate: 1, MaxWait: math.MaxInt64},
	} {
		if _, err := ratelimit.New(c); err != nil {
			t.Errorf("New(%+v): %v", c, err)
		}
	}
}

func TestConfigJSONRoundTrip(t *testing.T) {
	in := `{"name":"api","rate":250.5,"burst":20,"mode":"smooth","max_wait":"150ms"}`
	var c ratelimit.Config
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	want := ratelimit.Config{Name: "api", Rate: 250.5, Burst: 20, Mode: ratelimit.Smooth, MaxWait: 150 * time.Millisecond}
	if c.Name != want.Name || c.Rate != want.Rate || c.Burst != want.Burst || c.Mode != want.Mode || c.MaxWait != want.MaxWait {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"max_wait":"150ms"`) || !strings.Contains(string(out), `"mode":"smooth"`) {
		t.Fatalf("marshalled %s", out)
	}
	if err := json.Unmarshal([]byte(`{"rate":1,"burts":3}`), &c); err == nil || !strings.Contains(err.Error(), "burts") {
		t.Fatalf("a misspelt key: got %v, want an error naming it", err)
	}
	if err := json.Unmarshal([]byte(`{"mode":"jumpy"}`), &c); err == nil {
		t.Fatal("unknown mode accepted")
	}
	var kc ratelimit.KeyedConfig
	if err := json.Unmarshal([]byte(`{"rate":5,"burst":2,"max_keys":100}`), &kc); err != nil || kc.MaxKeys != 100 || kc.Rate != 5 {
		t.Fatalf("keyed config: %+v, %v", kc, err)
	}
}
