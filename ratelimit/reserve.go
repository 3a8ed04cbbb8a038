package ratelimit

import "time"

// Reservation is a claim on tokens that come due at a known time, made by
// [Limiter.Reserve] or [Limiter.ReserveN]: the caller waits Delay, then
// acts, or gives the tokens back with Cancel. It is a small value and
// allocates nothing. Cancel it through one variable: a copy cancelled again
// gives the tokens back twice.
type Reservation struct {
	l         *Limiter
	ok        bool
	cancelled bool
	n         int64 // tokens reserved
	made      int64 // when it was made, limiter time
	at        int64 // when the tokens are due, limiter time
}

// Reserve reserves one token now; see [Limiter.ReserveN].
func (l *Limiter) Reserve() Reservation {
	return l.reserve(l.now(), 1, maxSpan)
}

// ReserveN reserves n tokens at time t and says how long to wait for them.
// Unlike Allow it always takes the tokens, however far ahead they are due,
// so the caller must either wait and act or Cancel. The reservation is not
// OK, and takes nothing, for n above Burst or a wait longer than the
// limiter can represent (about 73 years); n ≤ 0 is OK at once.
func (l *Limiter) ReserveN(t time.Time, n int) Reservation {
	now := l.at(t)
	if n <= 0 {
		return Reservation{l: l, ok: true, made: now, at: now}
	}
	if int64(n) > l.burst {
		return Reservation{l: l, made: now, at: now}
	}
	return l.reserve(now, int64(n), maxSpan)
}

// reserve takes n tokens (1 ≤ n ≤ burst) at now if they come due within
// limit nanoseconds. A reservation that is not OK says in at when they
// would have been due.
func (l *Limiter) reserve(now, n, limit int64) Reservation {
	cost := n * l.interval
	for {
		tat := l.tat.Load()
		next := max(tat, now) + cost
		wait := max(next-now-l.limit, 0)
		if wait > limit {
			return Reservation{l: l, n: n, made: now, at: now + wait}
		}
		if l.tat.CompareAndSwap(tat, next) {
			return Reservation{l: l, ok: true, n: n, made: now, at: now + wait}
		}
	}
}

// OK reports whether the limiter holds the tokens for the caller. A
// reservation that is not OK took nothing and needs no Cancel.
func (r Reservation) OK() bool { return r.ok }

// Delay returns how long after the reservation was made its tokens are due:
// 0 if at once. For a reservation that is not OK it is how long the tokens
// would have taken, or 0 for a request above Burst.
func (r Reservation) Delay() time.Duration { return time.Duration(r.at - r.made) }

// DelayFrom returns how long after t the tokens are due, 0 if by then.
func (r Reservation) DelayFrom(t time.Time) time.Duration {
	if r.l == nil {
		return 0
	}
	return time.Duration(max(r.at-r.l.at(t), 0))
}

// Cancel gives the tokens back, as far as that is still possible: it does
// nothing once they have come due (the caller may have acted), for a
// reservation that is not OK, or the second time. Reservations made after
// this one keep their times.
func (r *Reservation) Cancel() {
	if r.l == nil {
		return
	}
	r.cancelAt(r.l.now())
}

// CancelAt is Cancel at time t, a time the caller has already read.
func (r *Reservation) CancelAt(t time.Time) {
	if r.l == nil {
		return
	}
	r.cancelAt(r.l.at(t))
}

func (r *Reservation) cancelAt(now int64) {
	if !r.ok || r.cancelled || r.n == 0 || now >= r.at {
		return
	}
	r.cancelled = true
	cost := r.n * r.l.interval
	for {
		tat := r.l.tat.Load()
		// A state at or before now is a full bucket already; moving it
		// further back would hand out tokens nobody gave.
		next := max(tat-cost, min(tat, now))
		if r.l.tat.CompareAndSwap(tat, next) {
			return
		}
	}
}
