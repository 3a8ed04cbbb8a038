package circuitbreaker

import "github.com/rampart-go/rampart/internal/config"

// Mode is the state a breaker starts in, set by Config.Mode. In JSON it
// reads and writes as its name: "normal", "disabled", "metrics_only",
// "isolated".
type Mode uint8

const (
	// ModeNormal starts the breaker closed. The default.
	ModeNormal Mode = iota
	// ModeDisabled starts it disabled: every call goes through, nothing is
	// recorded.
	ModeDisabled
	// ModeMetricsOnly starts it recording outcomes without ever tripping,
	// to tune thresholds on live traffic before enforcing them.
	ModeMetricsOnly
	// ModeIsolated starts it forced open.
	ModeIsolated
)

var modeNames = [...]string{"normal", "disabled", "metrics_only", "isolated"}

// String returns the mode's name.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "mode(" + itoa(int64(m)) + ")"
}

// MarshalText returns the mode's name.
func (m Mode) MarshalText() ([]byte, error) {
	if int(m) >= len(modeNames) {
		return nil, config.Errorf(pkg, "Mode", "must be one of normal, disabled, metrics_only, isolated, got %v", m)
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads a mode's name; the empty string is ModeNormal.
func (m *Mode) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = ModeNormal
		return nil
	}
	for i, n := range modeNames {
		if string(b) == n {
			*m = Mode(i)
			return nil
		}
	}
	return config.Errorf(pkg, "Mode", "must be one of normal, disabled, metrics_only, isolated, got %q", b)
}
