package adaptive_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
)

func TestConfigRejectsInvalidFields(t *testing.T) {
	cases := []struct {
		field string
		c     adaptive.Config
	}{
		{"Algorithm", adaptive.Config{Algorithm: "bbr"}},
		{"MinLimit", adaptive.Config{MinLimit: -1}},
		{"MaxLimit", adaptive.Config{MaxLimit: 1_000_000}},
		{"MinLimit", adaptive.Config{MinLimit: 50, MaxLimit: 10}},
		{"InitialLimit", adaptive.Config{InitialLimit: 500}},
		{"Window", adaptive.Config{Window: -time.Second}},
		{"MinSamples", adaptive.Config{MinSamples: -3}},
		{"Timeout", adaptive.Config{Timeout: -1}},
		{"Smoothing", adaptive.Config{Smoothing: math.NaN()}},
		{"Smoothing", adaptive.Config{Smoothing: 1.5}},
		{"Tolerance", adaptive.Config{Tolerance: math.Inf(1)}},
		{"Tolerance", adaptive.Config{Tolerance: 0.5}},
		{"QueueSize", adaptive.Config{QueueSize: math.Inf(-1)}},
		{"BackoffRatio", adaptive.Config{BackoffRatio: 1}},
		{"BackoffRatio", adaptive.Config{BackoffRatio: math.NaN()}},
		{"MaxQueue", adaptive.Config{MaxQueue: -1}},
		{"QueueTarget", adaptive.Config{QueueTarget: math.MinInt64}},
		{"QueueInterval", adaptive.Config{QueueTarget: time.Second, QueueInterval: time.Millisecond}},
	}
	for _, tc := range cases {
		_, err := adaptive.New(tc.c)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, rampart.ErrInvalidConfig) || !strings.HasPrefix(ce.Field, tc.field) {
			t.Errorf("%+v: error %v, want a ConfigError naming %s", tc.c, err, tc.field)
		}
	}
}

func TestConfigDefaultsAndExtremes(t *testing.T) {
	for _, c := range []adaptive.Config{
		{},
		{Algorithm: adaptive.Vegas},
		{Algorithm: adaptive.AIMD},
		{MaxLimit: 5}, // default MinLimit 20 follows MaxLimit down
		{Window: math.MaxInt64, Timeout: math.MaxInt64, QueueTarget: math.MaxInt64, QueueInterval: math.MaxInt64, MaxQueue: 1},
	} {
		l, err := adaptive.New(c)
		if err != nil {
			t.Errorf("%+v: %v", c, err)
			continue
		}
		p, err := l.Acquire(t.Context())
		if err != nil {
			t.Errorf("%+v: first call refused: %v", c, err)
			continue
		}
		p.Release()
	}
	l, _ := adaptive.New(adaptive.Config{})
	if s := l.Snapshot(); s.Limit != 20 || s.Name != "adaptive" {
		t.Errorf("defaults: %+v, want limit 20, name adaptive", s)
	}
}

func TestConfigJSON(t *testing.T) {
	var c adaptive.Config
	if err := c.UnmarshalJSON([]byte(`{"algorithm":"vegas","window":"250ms","max_queue":5}`)); err != nil {
		t.Fatal(err)
	}
	if c.Algorithm != adaptive.Vegas || c.Window != 250*time.Millisecond || c.MaxQueue != 5 {
		t.Errorf("read %+v", c)
	}
	b, err := c.MarshalJSON()
	if err != nil || !strings.Contains(string(b), `"window":"250ms"`) {
		t.Errorf("wrote %s, %v", b, err)
	}
	if err := c.UnmarshalJSON([]byte(`{"windw":"1s"}`)); err == nil {
		t.Error("unknown key accepted")
	}
}
