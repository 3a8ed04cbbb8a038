package retry_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
)

func TestNewRejectsInvalidConfigNamingTheField(t *testing.T) {
	b, _ := retry.NewTokenBucket(retry.TokenBucketConfig{})
	for _, tc := range []struct {
		cfg   retry.Config
		field string
	}{
		{retry.Config{MaxAttempts: -1}, "MaxAttempts"},
		{retry.Config{MaxElapsed: -time.Second}, "MaxElapsed"},
		{retry.Config{MaxRetryAfter: -time.Second}, "MaxRetryAfter"},
		{retry.Config{Backoff: retry.BackoffConfig{Base: -1}}, "Backoff.Base"},
		{retry.Config{Backoff: retry.BackoffConfig{Jitter: "loud"}}, "Backoff.Jitter"},
		{retry.Config{Strategy: retry.Constant(time.Second), Backoff: retry.BackoffConfig{Base: time.Second}}, "Backoff"},
		{retry.Config{Budget: b, DisableBudget: true}, "DisableBudget"},
		{retry.Config{Budget: b, BudgetConfig: retry.TokenBucketConfig{MaxTokens: 3}}, "BudgetConfig"},
		{retry.Config{BudgetConfig: retry.TokenBucketConfig{MaxTokens: -3}}, "BudgetConfig.MaxTokens"},
	} {
		_, err := retry.New(tc.cfg)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || ce.Package != "retry" || !errors.Is(err, rampart.ErrInvalidConfig) {
			t.Errorf("%+v: error %v, want a ConfigError for %s", tc.cfg, err, tc.field)
		}
	}
}

func TestZeroConfigIsTheSafeDefault(t *testing.T) {
	p := mustNew(t, retry.Config{})
	if p.Name() != "retry" {
		t.Errorf("Name = %q, want retry", p.Name())
	}
	b, ok := p.Budget().(*retry.TokenBucket)
	if !ok || b.Tokens() != retry.DefaultMaxTokens {
		t.Errorf("Budget = %#v, want a full default token bucket", p.Budget())
	}
}

func TestCustomStrategyReplacesTheBackoff(t *testing.T) {
	p := mustNew(t, retry.Config{Strategy: retry.Constant(3 * time.Second)})
	c := p.Begin(time.Unix(0, 0), time.Time{})
	if d := c.Failed(context.Background(), errTransient, time.Unix(0, 0)); d.Delay != 3*time.Second {
		t.Fatalf("delay = %v, want 3s", d.Delay)
	}
}

func TestConfigReadsAndWritesJSON(t *testing.T) {
	in := `{
		"name": "users",
		"max_attempts": 4,
		"max_elapsed": "5s",
		"backoff": {"kind": "exponential", "base": "200ms", "multiplier": 3, "max": "2s", "jitter": "decorrelated"},
		"max_retry_after": "1m",
		"seed": 7,
		"budget": {"max_tokens": 50, "token_ratio": 0.2},
		"disable_budget": false,
		"retry_all": true
	}`
	var c retry.Config
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	want := retry.Config{
		Name: "users", MaxAttempts: 4, MaxElapsed: 5 * time.Second,
		Backoff:       retry.BackoffConfig{Kind: retry.KindExponential, Base: 200 * time.Millisecond, Multiplier: 3, Max: 2 * time.Second, Jitter: retry.JitterDecorrelated},
		MaxRetryAfter: time.Minute, Seed: 7, RetryAll: true,
		BudgetConfig: retry.TokenBucketConfig{MaxTokens: 50, TokenRatio: 0.2},
	}
	if c.Name != want.Name || c.MaxAttempts != want.MaxAttempts || c.MaxElapsed != want.MaxElapsed ||
		c.Backoff != want.Backoff || c.MaxRetryAfter != want.MaxRetryAfter || c.Seed != want.Seed ||
		c.RetryAll != want.RetryAll || c.BudgetConfig != want.BudgetConfig {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	if _, err := retry.New(c); err != nil {
		t.Fatalf("New: %v", err)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back retry.Config
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("reading back %s: %v", out, err)
	}
	if back.MaxElapsed != c.MaxElapsed || back.Backoff != c.Backoff || back.BudgetConfig != c.BudgetConfig {
		t.Fatalf("round trip through %s gave %+v", out, back)
	}
}

func TestConfigJSONRejectsUnknownKeysAndBadDurations(t *testing.T) {
	var c retry.Config
	if err := json.Unmarshal([]byte(`{"maxAttempt": 3}`), &c); err == nil {
		t.Error("a misspelt key was accepted")
	}
	err := json.Unmarshal([]byte(`{"max_elapsed": "soon"}`), &c)
	var ce *rampart.ConfigError
	if !errors.As(err, &ce) || ce.Field != "MaxElapsed" {
		t.Errorf("error %v, want a ConfigError for MaxElapsed", err)
	}
}

func TestZeroConfigWritesAsAnEmptyObject(t *testing.T) {
	out, err := json.Marshal(retry.Config{})
	if err != nil || string(out) != "{}" {
		t.Fatalf("Marshal = %s, %v; want {}", out, err)
	}
}
