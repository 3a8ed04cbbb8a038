package sim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/retry"
	"github.com/rampart-go/rampart/sim"
)

func TestBuiltInPoliciesRunFromNoneToDefaults(t *testing.T) {
	t.Parallel()
	want := []string{"none", "naive", "retry", "default", "breaker"}
	got := sim.PolicyNames()
	if len(got) < len(want) {
		t.Fatalf("policies %v, want at least %v", got, want)
	}
	for i, name := range want {
		if got[i] != name {
			t.Errorf("policy %d = %q, want %q", i, got[i], name)
		}
	}
}

func TestNaivePolicyIsTheArticlesLoop(t *testing.T) {
	t.Parallel()
	p := policy(t, "naive")
	r := p.Retry
	if r == nil || r.MaxAttempts != 4 || !r.RetryAll || !r.DisableBudget ||
		r.Backoff.Jitter != retry.JitterNone || r.Backoff.Base != time.Second || r.Backoff.Multiplier != 2 {
		t.Errorf("naive = %+v, want 3 retries from 1s doubling, no jitter, every error, no budget", r)
	}
}

func TestMaxAttemptsBoundsAmplification(t *testing.T) {
	t.Parallel()
	sc := capacityDrop(t)
	sc.Duration = 40 * time.Second
	s := run(t, sc, sim.Policy{Name: "two", Retry: &retry.Config{MaxAttempts: 2, DisableBudget: true}}).Summary
	if s.Amplification > 2 || s.Amplification < 1.5 {
		t.Errorf("amplification %v with 2 attempts in all and no budget in a storm, want in (1.5, 2]", s.Amplification)
	}
}

func TestRequestDeadlineStopsRetries(t *testing.T) {
	t.Parallel()
	sc := capacityDrop(t)
	sc.Duration = 30 * time.Second
	sc.Deadline = 500 * time.Millisecond
	// The naive loop's first wait is 1s: it never fits in the deadline,
	// and the retry policy knows it.
	s := run(t, sc, policy(t, "naive")).Summary
	if s.Amplification != 1 {
		t.Errorf("amplification %v, want 1: no retry fits in the deadline", s.Amplification)
	}
}

func TestPolicyJSONUsesThePoliciesOwnConfigs(t *testing.T) {
	t.Parallel()
	ps, err := sim.ParsePolicies([]byte(`{"name":"mine","retry":{"max_attempts":2,"backoff":{"base":"50ms","jitter":"none"},"budget":{"max_tokens":10}}}`))
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	if p.Name != "mine" || p.Retry.MaxAttempts != 2 || p.Retry.Backoff.Base != 50*time.Millisecond ||
		p.Retry.BudgetConfig.MaxTokens != 10 {
		t.Errorf("parsed %+v / %+v", p, p.Retry)
	}
	b, err := json.Marshal(sim.Policies())
	if err != nil {
		t.Fatal(err)
	}
	back, err := sim.ParsePolicies(b)
	if err != nil {
		t.Fatalf("built-ins do not read back: %v\n%s", err, b)
	}
	b2, _ := json.Marshal(back)
	if !bytes.Equal(b, b2) {
		t.Errorf("round trip changed the built-ins:\n%s\n%s", b, b2)
	}
}

func TestBadPolicyIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"name":"x","retry":{"max_attempts":-1}}`: "retry.max_attempts",
		`{"name":""}`:                    "name",
		`{"name":"x","ratio_budget":{}}`: "ratio_budget",
		`{"name":"x","retry":{},"ratio_budget":{"ratio":50}}`: "ratio_budget.ratio",
		`{"name":"x","breaker_ignores_shed":true}`:            "breaker_ignores_shed",
	}
	for in, field := range cases {
		_, err := sim.ParsePolicies([]byte(in))
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: err = %v, want a config error naming %s", in, err, field)
		}
	}
	for _, in := range []string{`{"name":"x","retries":{}}`, `{"name":"x","retry":{"maxAtempts":2}}`, `[{"name":"x"},`} {
		if _, err := sim.ParsePolicies([]byte(in)); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	t.Parallel()
	if _, err := sim.Run(sim.Scenario{Workers: -1}, policy(t, "none")); !errors.Is(err, rampart.ErrInvalidConfig) {
		t.Errorf("bad scenario: err = %v", err)
	}
	if _, err := sim.Run(capacityDrop(t), sim.Policy{}); !errors.Is(err, rampart.ErrInvalidConfig) {
		t.Errorf("unnamed policy: err = %v", err)
	}
}

func TestWriteSVGDrawsEveryPolicyAndTheFault(t *testing.T) {
	t.Parallel()
	sc := capacityDrop(t)
	sc.Duration = 30 * time.Second
	var rs []*sim.Result
	for _, name := range []string{"none", "default"} {
		rs = append(rs, run(t, sc, policy(t, name)))
	}
	var buf bytes.Buffer
	if err := sim.WriteSVG(&buf, rs); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if !strings.HasPrefix(s, "<svg ") || strings.Count(s, "<polyline") != 6 || !strings.Contains(s, ">default<") {
		t.Errorf("chart lacks lines or legend:\n%.300s", s)
	}
	if err := sim.WriteSVG(&buf, nil); err == nil {
		t.Error("no results: want an error")
	}
}

func TestBreakerShedsLoadInTheFault(t *testing.T) {
	t.Parallel()
	r := storm(t, "breaker")
	// Rejected attempts never reach the server: while the breakers are
	// open, fewer attempts arrive than requests.
	if a := r.Summary.Amplification; a >= 1 {
		t.Errorf("amplification %v with a breaker in a storm, want < 1", a)
	}
	// The fault runs from 10 s to 15 s; the breakers open early in it
	// (default: 5 failures in a row, open for 5 s).
	w := r.Windows[12]
	if w.Attempts >= w.Requests || w.Queue > 1 {
		t.Errorf("window at 12s: %d attempts for %d requests, queue %v; want open breakers and an empty queue",
			w.Attempts, w.Requests, w.Queue)
	}
	if w := r.Windows[20]; w.Attempts != w.Requests {
		t.Errorf("window at 20s: %d attempts for %d requests; want closed breakers after the fault", w.Attempts, w.Requests)
	}
}

func TestBreakerConfigReadsFromJSON(t *testing.T) {
	t.Parallel()
	ps, err := sim.ParsePolicies([]byte(`{"name":"b","retry":{},"breaker":{"open_duration":"5s","consecutive_failures":3}}`))
	if err != nil {
		t.Fatal(err)
	}
	if b := ps[0].Breaker; b == nil || b.OpenDuration != 5*time.Second || b.ConsecutiveFailures != 3 {
		t.Errorf("breaker = %+v", b)
	}
	if _, err := sim.ParsePolicies([]byte(`{"name":"b","breaker":{"open_duration":"-5s"}}`)); !errors.Is(err, rampart.ErrInvalidConfig) {
		t.Errorf("negative open duration: err = %v", err)
	}
}
