package adaptive

import "math"

// sample is what one window measured.
type sample struct {
	n         int64   // calls that finished with a latency sample
	avg, min  float64 // their mean and least latency, in ns
	drops     int64   // calls that ended in a drop
	peak      int64   // the most calls in flight at once
	saturated bool    // some call found the limit reached
}

// state is the algorithm's memory, owned by whoever holds Limiter.mu.
type state struct {
	limit float64
	// base is the latency with no queueing, in ns (0 until measured).
	// It falls as soon as a window measures less, and rises only from a
	// window in which the limiter was not saturated and saw no drop:
	// latency measured while the limiter binds may be queueing the
	// limiter itself admitted, and latency measured during an incident is
	// not the service's healthy latency. So a long incident cannot drag
	// the baseline up to its own latency (the drift of failsafe-go#127
	// and concurrency-limits #137, #165), and the baseline is never
	// re-measured by pinning the limit low (envoy#8337).
	base float64
}

// observeBase updates the baseline from a window's latency m.
func (st *state) observeBase(m float64, w sample) {
	switch {
	case m <= 0:
	case st.base == 0 || m < st.base:
		st.base = m
	case !w.saturated && w.drops == 0:
		// A clean window: the service's own latency. Follow it, as
		// Gradient2's long average does, but only from clean windows.
		st.base += (m - st.base) * 0.1
	}
}

// update returns the new limit after window w.
func (s *settings) update(st *state, w sample) float64 {
	l := st.limit
	switch s.algo {
	case AIMD:
		switch {
		case w.drops > 0:
			l *= s.backoff
		case w.saturated || 2*w.peak >= int64(l):
			l++
		}
	case Vegas:
		st.observeBase(w.min, w)
		l = s.vegas(st, w)
	default:
		st.observeBase(w.avg, w)
		l = s.gradient2(st, w)
	}
	return math.Max(float64(s.min), math.Min(float64(s.max), l))
}

// vegas is Netflix's VegasLimit with its default functions.
func (s *settings) vegas(st *state, w sample) float64 {
	l := st.limit
	lg := math.Max(1, math.Log10(l))
	alpha, beta, threshold := 3*lg, 6*lg, lg
	var next float64
	switch {
	case w.drops > 0:
		next = l - lg
	case w.n == 0 || st.base == 0:
		return l
	case 2*w.peak < int64(l) && !w.saturated:
		return l // not using the limit: no evidence to raise it
	default:
		q := math.Ceil(l * (1 - st.base/w.min))
		switch {
		case q <= threshold:
			next = l + beta
		case q < alpha:
			next = l + lg
		case q > beta:
			next = l - lg
		default:
			return l
		}
	}
	return (1-s.smoothing)*l + s.smoothing*next
}

// gradient2 is Netflix's Gradient2Limit with three changes: a drop halves
// the gradient (BackoffRatio); the QueueSize headroom is added only while
// the gradient is 1 (no queueing), so a mild sustained overload, with the
// gradient a little below 1, cannot creep the limit upward
// (concurrency-limits PR#134); and a gradient below 1 lowers the limit at
// once, unsmoothed, by at most half a window. Smoothed, a latency step
// lowers the limit by a tenth a window, and a limit with the headroom of
// a healthy service takes more than a second to come down, admitting
// calls that queue behind busy workers past their callers' deadlines.
func (s *settings) gradient2(st *state, w sample) float64 {
	l := st.limit
	var next float64
	switch {
	case w.drops > 0:
		next = l * s.backoff
	case w.n == 0 || st.base == 0:
		return l
	default:
		g := math.Max(0.5, math.Min(1, s.tolerance*st.base/w.avg))
		if g >= 1 && 2*w.peak < int64(l) && !w.saturated {
			return l // not using the limit: no evidence to raise it
		}
		if g < 1 {
			return l * g
		}
		next = l + s.queue
	}
	return (1-s.smoothing)*l + s.smoothing*next
}
