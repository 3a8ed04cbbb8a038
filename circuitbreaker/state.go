package circuitbreaker

// State is a breaker's state.
type State uint8

const (
	// StateClosed lets calls through and counts their outcomes.
	StateClosed State = iota
	// StateOpen rejects calls until its open period ends; the next call
	// after that moves the breaker to half-open.
	StateOpen
	// StateHalfOpen lets a limited number of probe calls through; their
	// outcomes close the breaker or open it again.
	StateHalfOpen
	// StateIsolated is forced open: every call is rejected until
	// [Breaker.Close] or [Breaker.Reset].
	StateIsolated
	// StateDisabled lets every call through and records nothing.
	StateDisabled
	// StateMetricsOnly lets every call through and records outcomes as
	// closed does, but never trips.
	StateMetricsOnly
)

var stateNames = [...]string{
	StateClosed:      "closed",
	StateOpen:        "open",
	StateHalfOpen:    "half_open",
	StateIsolated:    "isolated",
	StateDisabled:    "disabled",
	StateMetricsOnly: "metrics_only",
}

// String returns the state's name in snake case: "closed", "open",
// "half_open", "isolated", "disabled" or "metrics_only". Events carry these
// names in From and To.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + itoa(int64(s)) + ")"
}

// Reasons for a state change, as carried by [rampart.Event].Reason.
const (
	ReasonConsecutiveFailures = "consecutive_failures" // closed → open
	ReasonFailureRate         = "failure_rate"         // closed → open
	ReasonSlowCallRate        = "slow_call_rate"       // closed → open
	ReasonCustom              = "custom"               // closed → open, by Config.TripFunc
	ReasonOpenElapsed         = "open_elapsed"         // open → half-open
	ReasonProbeFailed         = "probe_failed"         // half-open → open
	ReasonProbeFailureRate    = "probe_failure_rate"   // half-open → open
	ReasonHalfOpenTimeout     = "half_open_timeout"    // half-open → open
	ReasonProbesSucceeded     = "probes_succeeded"     // half-open → closed
	ReasonManual              = "manual"               // Open, Close, Isolate, Disable, MetricsOnly
	ReasonReset               = "reset"                // Reset
)

func itoa(i int64) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
