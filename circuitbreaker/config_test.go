package circuitbreaker_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
)

func TestNewRejectsInvalidConfigNamingTheField(t *testing.T) {
	cases := []struct {
		field string
		cfg   circuitbreaker.Config
	}{
		{"ConsecutiveFailures", circuitbreaker.Config{ConsecutiveFailures: -1}},
		{"FailureRateThreshold", circuitbreaker.Config{FailureRateThreshold: 1.5}},
		{"FailureRateThreshold", circuitbreaker.Config{FailureRateThreshold: math.NaN()}},
		{"SlowCallThreshold", circuitbreaker.Config{SlowCallThreshold: -time.Second}},
		{"SlowCallRateThreshold", circuitbreaker.Config{SlowCallRateThreshold: 0.5}},
		{"SlowCallRateThreshold", circuitbreaker.Config{SlowCallThreshold: time.Second, SlowCallRateThreshold: -0.1}},
		{"MinimumCalls", circuitbreaker.Config{MinimumCalls: -1}},
		{"MinimumCalls", circuitbreaker.Config{WindowSize: 5, MinimumCalls: 6}},
		{"WindowSize", circuitbreaker.Config{WindowSize: -1}},
		{"WindowSize", circuitbreaker.Config{WindowSize: 2_000_000}},
		{"WindowDuration", circuitbreaker.Config{WindowSize: 10, WindowDuration: time.Second}},
		{"WindowDuration", circuitbreaker.Config{WindowDuration: 5, WindowBuckets: 10}},
		{"WindowBuckets", circuitbreaker.Config{WindowBuckets: 10}},
		{"WindowBuckets", circuitbreaker.Config{WindowDuration: time.Second, WindowBuckets: -1}},
		{"OpenDuration", circuitbreaker.Config{OpenDuration: -1}},
		{"OpenDurationMultiplier", circuitbreaker.Config{OpenDurationMultiplier: 0.5}},
		{"OpenDurationMultiplier", circuitbreaker.Config{OpenDurationMultiplier: math.Inf(1)}},
		{"MaxOpenDuration", circuitbreaker.Config{OpenDuration: time.Minute, MaxOpenDuration: time.Second}},
		{"OpenDurationResetAfter", circuitbreaker.Config{OpenDurationResetAfter: -1}},
		{"MinOpenDuration", circuitbreaker.Config{MinOpenDuration: -1}},
		{"MinOpenDuration", circuitbreaker.Config{MinOpenDuration: 6 * time.Second}},
		{"MinOpenDuration", circuitbreaker.Config{OpenDuration: time.Second, MinOpenDuration: 2 * time.Second}},
		{"MinOpenDuration", circuitbreaker.Config{MinOpenDuration: time.Second, IgnoreRetryAfter: true}},
		{"HalfOpenMaxProbes", circuitbreaker.Config{HalfOpenMaxProbes: -1}},
		{"HalfOpenSuccesses", circuitbreaker.Config{HalfOpenSuccesses: -1}},
		{"HalfOpenFailureRate", circuitbreaker.Config{HalfOpenFailureRate: 2}},
		{"HalfOpenMaxDuration", circuitbreaker.Config{HalfOpenMaxDuration: -1}},
		{"Mode", circuitbreaker.Config{Mode: 9}},
	}
	for _, tc := range cases {
		_, err := circuitbreaker.New(tc.cfg)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%+v: err = %v, want a *rampart.ConfigError", tc.cfg, err)
			continue
		}
		if ce.Field != tc.field || ce.Package != "circuitbreaker" {
			t.Errorf("%+v: error names %s.%s, want circuitbreaker.%s (%v)", tc.cfg, ce.Package, ce.Field, tc.field, err)
		}
		if !errors.Is(err, rampart.ErrInvalidConfig) {
			t.Errorf("%v does not match rampart.ErrInvalidConfig", err)
		}
	}
}

func TestConfigJSONWritesDurationsAsStringsAndReadsThemBack(t *testing.T) {
	in := circuitbreaker.Config{
		Name:                 "inventory",
		Mode:                 circuitbreaker.ModeMetricsOnly,
		FailureRateThreshold: 0.5,
		WindowDuration:       time.Minute,
		OpenDuration:         1500 * time.Millisecond,
		MinOpenDuration:      250 * time.Millisecond,
		TripFunc:             func(circuitbreaker.Counts) bool { return false },
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"window_duration":"1m0s"`, `"open_duration":"1.5s"`, `"min_open_duration":"250ms"`, `"mode":"metrics_only"`, `"name":"inventory"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var out circuitbreaker.Config
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.WindowDuration != time.Minute || out.OpenDuration != 1500*time.Millisecond || out.MinOpenDuration != 250*time.Millisecond || out.Mode != circuitbreaker.ModeMetricsOnly || out.Name != "inventory" || out.FailureRateThreshold != 0.5 {
		t.Errorf("round trip gave %+v", out)
	}
}

func TestConfigJSONRejectsUnknownFieldsAndBadValues(t *testing.T) {
	var c circuitbreaker.Config
	if err := json.Unmarshal([]byte(`{"open_duraton":"1s"}`), &c); err == nil || !strings.Contains(err.Error(), "open_duraton") {
		t.Errorf("unknown field: err = %v", err)
	}
	if err := json.Unmarshal([]byte(`{"open_duration":"soon"}`), &c); err == nil {
		t.Error("bad duration accepted")
	}
	err := json.Unmarshal([]byte(`{"mode":"sometimes"}`), &c)
	var ce *rampart.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Mode" {
		t.Errorf("bad mode: err = %v, want a ConfigError naming Mode", err)
	}
}

func TestZeroConfigIsAWorkingBreaker(t *testing.T) {
	cb, clock := newBreaker(t, circuitbreaker.Config{})
	if cb.Name() != "circuitbreaker" {
		t.Errorf("Name = %q", cb.Name())
	}
	calls(t, cb, 4, errBoom)
	wantState(t, cb, circuitbreaker.StateClosed)
	call(t, cb, errBoom)
	wantState(t, cb, circuitbreaker.StateOpen)
	if got := cb.Snapshot().UntilHalfOpen; got != 5*time.Second {
		t.Errorf("default open duration = %v, want 5s", got)
	}
	clock.Advance(5 * time.Second)
	call(t, cb, nil)
	wantState(t, cb, circuitbreaker.StateClosed)
}
