package config_test

import (
	"errors"
	"math"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/config"
)

func TestCheckFiniteNamesTheField(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		err := config.CheckFinite("pkg", "Ratio", v)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != "Ratio" || ce.Package != "pkg" {
			t.Errorf("CheckFinite(%v) = %v, want a ConfigError for pkg Ratio", v, err)
		}
	}
	for _, v := range []float64{0, -1, 1e300, math.SmallestNonzeroFloat64} {
		if err := config.CheckFinite("pkg", "Ratio", v); err != nil {
			t.Errorf("CheckFinite(%v) = %v, want nil", v, err)
		}
	}
}
