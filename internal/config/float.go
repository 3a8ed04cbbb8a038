package config

import "math"

// CheckFinite returns a ConfigError for field of package pkg if v is NaN or
// ±Inf, and nil otherwise. Call it before a range check: NaN fails every
// comparison, so a check written as "v < lo || v > hi" lets it through, and
// an infinite value would pass a check with no upper bound.
func CheckFinite(pkg, field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Errorf(pkg, field, "must be a finite number, got %v", v)
	}
	return nil
}
