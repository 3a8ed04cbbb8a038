package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

type sample struct {
	Name    string        `json:"name,omitempty"`
	Wait    time.Duration `json:"wait"`
	Count   int           `json:"count,omitempty"`
	Ratio   float64       `json:"ratio"`
	Hook    func()        `json:"-"`
	Untaged time.Duration
	Nested  map[string]int `json:"nested,omitempty"`
	private int
}

func TestRoundTrip(t *testing.T) {
	in := sample{Name: "x", Wait: 1500 * time.Millisecond, Ratio: 0.5, Untaged: time.Minute, private: 1}
	b, err := config.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"name":"x","wait":"1.5s","ratio":0.5,"Untaged":"1m0s"}`; got != want {
		t.Fatalf("Marshal = %s, want %s", got, want)
	}
	var out sample
	if err := config.Unmarshal("pkg", b, &out); err != nil {
		t.Fatal(err)
	}
	in.private = 0
	if out.Name != in.Name || out.Wait != in.Wait || out.Ratio != in.Ratio || out.Untaged != in.Untaged {
		t.Fatalf("round trip: %+v", out)
	}
}

func TestUnmarshalAcceptsNanosecondsAndFoldsCase(t *testing.T) {
	var s sample
	if err := config.Unmarshal("pkg", []byte(`{"WAIT": 2000000, "Count": 3}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Wait != 2*time.Millisecond || s.Count != 3 {
		t.Fatalf("got %+v", s)
	}
}

func TestUnmarshalErrorsNameTheField(t *testing.T) {
	for in, want := range map[string]string{
		`{"wait":"soon"}`:  "Wait",
		`{"wait":true}`:    "Wait",
		`{"count":"many"}`: "Count",
	} {
		var s sample
		err := config.Unmarshal("pkg", []byte(in), &s)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != want || ce.Package != "pkg" {
			t.Errorf("%s: err = %v, want ConfigError on %s", in, err, want)
		}
	}
	var s sample
	if err := config.Unmarshal("pkg", []byte(`{"hook":1}`), &s); err == nil || !strings.Contains(err.Error(), `pkg: invalid config: hook is not a known key`) {
		t.Errorf("unknown field: %v", err)
	}
	if err := config.Unmarshal("pkg", []byte(`[1]`), &s); err == nil {
		t.Error("non-object accepted")
	}
}

func TestErrorf(t *testing.T) {
	err := config.Errorf("retry", "MaxAttempts", "must be >= 1, got %d", 0)
	if err.Error() != "retry: invalid config: MaxAttempts must be >= 1, got 0" || !errors.Is(err, rampart.ErrInvalidConfig) {
		t.Fatalf("Errorf = %v", err)
	}
}

type inner struct {
	Wait time.Duration `json:"wait"`
}

func (i *inner) UnmarshalJSON(b []byte) error { return config.Unmarshal("in", b, i) }

type outer struct {
	Inner *inner `json:"inner"`
}

func TestUnmarshalNamesTheWholePathOfANestedConfigOnce(t *testing.T) {
	for in, want := range map[string]string{
		`{"inner":{"wiat":"1s"}}`:   "out: invalid config: Inner.wiat is not a known key",
		`{"inner":{"wait":"soon"}}`: `out: invalid config: Inner.Wait is not a duration: "soon"`,
	} {
		var o outer
		if err := config.Unmarshal("out", []byte(in), &o); err == nil || err.Error() != want {
			t.Errorf("%s: err = %v, want %s", in, err, want)
		}
	}
}
