package sim

import (
	"time"

	"github.com/rampart-go/rampart/internal/config"
)

// Result is the outcome of one run: the summary and the per-window series.
type Result struct {
	// Summary holds the headline figures.
	Summary Summary `json:"summary"`
	// Windows holds one entry per second of simulated time.
	Windows []Window `json:"windows"`
	// FaultStart and FaultEnd bound the scenario's faults (both zero
	// when it has none).
	FaultStart time.Duration `json:"fault_start"`
	FaultEnd   time.Duration `json:"fault_end"`
	// Setup is the scenario as run, defaults filled in.
	Setup Scenario `json:"scenario"`
}

// MarshalJSON writes the result with durations as strings.
func (r Result) MarshalJSON() ([]byte, error) { return config.Marshal(r) }

// Summary is the headline of a run. Its JSON form is what `rampart sim
// -json` prints, one object per policy.
type Summary struct {
	// Scenario and Policy name what ran.
	Scenario string `json:"scenario"`
	Policy   string `json:"policy"`
	// Requests is how many requests the clients made; Attempts how many
	// attempts they sent to the server for them (refused attempts never
	// go) until the arrivals ended: attempts sent later, while the last
	// requests finish, are not counted, so that every amplification figure
	// divides the same attempts by the same requests.
	Requests int64 `json:"requests"`
	Attempts int64 `json:"attempts"`
	// Amplification is Attempts ÷ Requests: the load the policy adds.
	Amplification float64 `json:"amplification"`
	// AmplificationAfterFault is attempts ÷ requests counted in the
	// windows from the end of the last fault on: whether the extra load
	// stops when the fault does.
	AmplificationAfterFault float64 `json:"amplification_after_fault"`
	// PeakAmplificationAfterFault is the largest attempts ÷ requests over
	// any [PeakSpan] of whole windows after the last fault: a short storm
	// that the average over the rest of the run hides. Zero when no window
	// follows the fault.
	PeakAmplificationAfterFault float64 `json:"peak_amplification_after_fault"`
	// Goodput is the share of requests that succeeded within their
	// deadline.
	Goodput float64 `json:"goodput"`
	// BaselineGoodput is the goodput of the windows before the first
	// fault, the healthy system that recovery is judged against
	// ([RecoveredGoodput] when no whole window precedes the fault).
	BaselineGoodput float64 `json:"baseline_goodput"`
	// P99ms is the 99th percentile of request latency (arrival to final
	// outcome, success or not), in milliseconds, within 1 %.
	P99ms float64 `json:"p99_ms"`
	// RecoverySeconds is the time from the end of the last fault to the
	// first window that starts a [PeakSpan] of healthy windows (or healthy
	// windows up to the end of the arrivals, if fewer remain): goodput
	// within noise of BaselineGoodput, amplification within 0.1 of the
	// baseline's, the queue short of a backlog (a wait of half the
	// timeout, or four times the baseline's queue). Nil when that never
	// happens before the arrivals end, when the fault outlasts them, and
	// when the run is Metastable: it ends in a storm.
	RecoverySeconds *float64 `json:"recovery_seconds"`
	// Metastable reports a storm that sustains itself with its trigger
	// gone: every window of the last [PeakSpan] before the arrivals end,
	// all after the last fault, is overloaded (amplification or backlog
	// above the healthy bounds of RecoverySeconds) although the healthy
	// server has capacity to spare for its load.
	Metastable bool `json:"metastable"`
	// Classes is the goodput per request class, for a scenario with a
	// CriticalShare; nil otherwise.
	Classes *Classes `json:"classes,omitempty"`
}

// Recovered reports whether the run recovered after its faults.
func (s Summary) Recovered() bool { return s.RecoverySeconds != nil }

// Window is what happened in one window of [WindowSize].
type Window struct {
	// Start is the window's start in simulated time.
	Start time.Duration `json:"start"`
	// Requests is how many requests arrived in the window.
	Requests int `json:"requests"`
	// Attempts is how many attempts were sent to the server in the
	// window: the load it saw.
	Attempts int `json:"attempts"`
	// Successes is how many of the window's requests succeeded within
	// their deadline (whenever that was).
	Successes int `json:"successes"`
	// Queue is the mean length of the server's queue over the window.
	Queue float64 `json:"queue"`
	// P50 and P99 are percentiles of the latency of the window's
	// requests, arrival to final outcome.
	P50 time.Duration `json:"p50"`
	P99 time.Duration `json:"p99"`
}

// MarshalJSON writes the window with durations as strings.
func (w Window) MarshalJSON() ([]byte, error) { return config.Marshal(w) }

// Goodput is Successes ÷ Requests; 1 for a window without requests.
func (w Window) Goodput() float64 {
	if w.Requests == 0 {
		return 1
	}
	return float64(w.Successes) / float64(w.Requests)
}

// GoodputAfterFault is successes ÷ requests over the windows from the one
// in which the last fault ends: how well the policy serves once the trigger
// is gone, recovery included. It is 1 when no request arrived after the
// fault.
func (r *Result) GoodputAfterFault() float64 {
	var req, ok int64
	for _, w := range r.Windows[min(int(r.FaultEnd/WindowSize), len(r.Windows)):] {
		req += int64(w.Requests)
		ok += int64(w.Successes)
	}
	if req == 0 {
		return 1
	}
	return float64(ok) / float64(req)
}
