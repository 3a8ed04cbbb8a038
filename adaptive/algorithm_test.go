package adaptive_test

import (
	"fmt"
	"testing"
	"time"
)

const sec = time.Second

// Each algorithm settles under a saturating load, lowers its limit when
// the latency steps up, and comes back when it steps down.
func TestLatencyStepAndRecovery(t *testing.T) {
	for _, a := range algorithms {
		t.Run(a.name, func(t *testing.T) {
			tr := saturating.run(t, a.c,
				phase{dur: 30 * sec},
				phase{dur: 10 * sec, factor: 3},
				phase{dur: 20 * sec},
			)
			healthy := tr.mean(20*sec, 30*sec)
			during := tr.mean(35*sec, 40*sec)
			after := tr.mean(45*sec, 50*sec)
			t.Logf("healthy %.1f, latency ×3 %.1f, after %.1f", healthy, during, after)
			if healthy < 5 || healthy > 100 {
				t.Errorf("healthy limit %.1f: want settled between 5 and 100 for 10 workers", healthy)
			}
			if during > 0.8*healthy {
				t.Errorf("limit with latency ×3 = %.1f, want ≤ 80%% of healthy %.1f", during, healthy)
			}
			if after < 0.9*healthy || after > 1.1*healthy {
				t.Errorf("limit after recovery = %.1f, want within 10%% of healthy %.1f", after, healthy)
			}
		})
	}
}

// A burst of drops lowers the limit at once; once the drops stop the
// limit climbs back.
func TestDropBurstAndRecovery(t *testing.T) {
	for _, a := range algorithms {
		t.Run(a.name, func(t *testing.T) {
			tr := saturating.run(t, a.c,
				phase{dur: 30 * sec},
				phase{dur: 1 * sec, drop: true},
				phase{dur: 20 * sec},
			)
			healthy := tr.mean(20*sec, 30*sec)
			low := tr.min(30*sec, 32*sec)
			after := tr.mean(40*sec, 45*sec)
			t.Logf("healthy %.1f, lowest after the drops %.1f, after %.1f", healthy, low, after)
			if low > 0.75*healthy {
				t.Errorf("lowest limit after a second of drops = %.1f, want ≤ 75%% of healthy %.1f", low, healthy)
			}
			if after < 0.9*healthy || after > 1.1*healthy {
				t.Errorf("limit 10 s after the drops = %.1f, want within 10%% of healthy %.1f", after, healthy)
			}
		})
	}
}

// After 10 minutes of sustained overload the limit returns to within 10 %
// of its healthy value within 5 s, and it never creeps above its healthy
// value while the overload lasts: the baseline does not drift up to the
// incident's latency (failsafe-go#127, concurrency-limits #137 and #165),
// and a mild overload does not grow the limit (concurrency-limits PR#134).
func TestLimitDoesNotDriftInLongOverload(t *testing.T) {
	// The mild incidents run 3 minutes: a creep shows within one.
	incidents := []struct {
		name string
		ph   phase
	}{
		{"mild ×1.3", phase{factor: 1.3, dur: 3 * time.Minute}},
		{"severe ×3", phase{factor: 3, dur: 10 * time.Minute}},
		{"stuck at 18ms", phase{latency: 18 * time.Millisecond, dur: 3 * time.Minute}},
		{"stuck at 500ms", phase{latency: 500 * time.Millisecond, dur: 10 * time.Minute}},
	}
	for _, a := range algorithms {
		for _, inc := range incidents {
			t.Run(fmt.Sprintf("%s/%s", a.name, inc.name), func(t *testing.T) {
				t.Parallel()
				if a.name == "aimd" && inc.ph.latency != 0 && inc.ph.latency < a.c.Timeout {
					// AIMD reads no latency below its Timeout: a service
					// that answers in 18 ms at any load is not overloaded
					// to it, and its limit rightly grows.
					t.Skip("aimd has no latency signal below Timeout")
				}
				tr := saturating.run(t, a.c, phase{dur: 30 * sec}, inc.ph, phase{dur: 10 * sec})
				healthy := tr.mean(20*sec, 30*sec)
				end := 30*sec + inc.ph.dur
				peak := tr.max(30*sec+time.Minute, end)
				back := tr.mean(end+4*sec, end+5*sec)
				t.Logf("healthy %.1f, highest from the incident's second minute on %.1f, 4–5 s after %.1f", healthy, peak, back)
				if peak > 1.1*healthy {
					t.Errorf("limit crept up to %.1f during the incident, healthy %.1f", peak, healthy)
				}
				if back < 0.9*healthy || back > 1.1*healthy {
					t.Errorf("limit 4–5 s after the incident = %.1f, want within 10%% of healthy %.1f", back, healthy)
				}
			})
		}
	}
}

// The baseline is never re-measured by pinning the limit to a small
// value: under a steady load the limit has no periodic dips (envoy#8337).
func TestNoPinningForBaseline(t *testing.T) {
	for _, a := range algorithms {
		t.Run(a.name, func(t *testing.T) {
			tr := saturating.run(t, a.c, phase{dur: 2 * time.Minute})
			healthy := tr.mean(20*sec, 30*sec)
			low := tr.min(30*sec, 2*time.Minute)
			if low < 0.8*healthy {
				t.Errorf("limit dipped to %.1f under a steady load, healthy %.1f", low, healthy)
			}
		})
	}
}

// Gradient2 lowers its limit within a few windows of a latency step: a
// limit that falls by a tenth a window, as Netflix's smoothing makes it,
// takes more than a second to come down from its healthy headroom, and
// meanwhile the calls it admits queue behind busy workers past their
// callers' deadlines (the simulator's latency spike).
func TestGradient2FallsFastOnLatencyStep(t *testing.T) {
	tr := saturating.run(t, algorithms[0].c, phase{dur: 30 * sec}, phase{dur: 5 * sec, factor: 6}, phase{dur: 5 * sec})
	healthy := tr.mean(20*sec, 30*sec)
	after := tr.max(30*sec+300*time.Millisecond, 31*sec)
	t.Logf("healthy %.1f, highest 0.3–1 s into a ×6 latency step %.1f", healthy, after)
	if after > 0.6*healthy {
		t.Errorf("limit 0.3 s after the step = %.1f, want ≤ 60%% of healthy %.1f", after, healthy)
	}
}
