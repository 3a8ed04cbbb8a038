package circuitbreaker

// Open opens the breaker now, as a trip would, for OpenDuration (without
// growth; the count of consecutive openings is left alone). After that the
// breaker probes as usual.
func (b *Breaker) Open() { b.manual(StateOpen, ReasonManual, false) }

// Close closes the breaker now, with an empty window. It also ends
// isolation, disabling and metrics-only mode.
func (b *Breaker) Close() { b.manual(StateClosed, ReasonManual, false) }

// Isolate forces the breaker open: every call is rejected with an error
// matching [ErrIsolated] and [ErrOpen], and no probe is made, until
// [Breaker.Close] or [Breaker.Reset].
func (b *Breaker) Isolate() { b.manual(StateIsolated, ReasonManual, false) }

// Disable lets every call through and records nothing, until
// [Breaker.Close] or [Breaker.Reset].
func (b *Breaker) Disable() { b.manual(StateDisabled, ReasonManual, false) }

// MetricsOnly lets every call through and records outcomes as a closed
// breaker does, without ever tripping, until [Breaker.Close] or
// [Breaker.Reset]. [Breaker.Snapshot] reports whether it would have tripped.
func (b *Breaker) MetricsOnly() { b.manual(StateMetricsOnly, ReasonManual, false) }

// Reset returns the breaker to its state as built: closed, an empty window,
// and the open duration's growth started afresh. The count of rejections in
// [Snapshot] is kept, so it stays monotonic for metrics.
func (b *Breaker) Reset() { b.manual(StateClosed, ReasonReset, true) }

// manual moves the breaker to st with a fresh epoch, and reports the change
// if the state differs.
func (b *Breaker) manual(st State, reason string, resetGrowth bool) {
	b.mu.Lock()
	now := b.now()
	from := b.cur.Load()
	c := from.countsLocked(now)
	if resetGrowth {
		b.openings = 0
	}
	var ne *epoch
	var d int64
	if st == StateOpen {
		d = b.s.openDuration
		ne = b.openEpochLocked(now, d)
	} else {
		ne = b.armLocked(st, now)
	}
	b.cur.Store(ne)
	b.mu.Unlock()
	if from.state != st {
		b.emit(b.stateEvent(from.state, st, reason, now, c, d))
	}
}
