package retry

import (
	"math"
	"time"

	"github.com/rampart-go/rampart/internal/fastrand"
)

// Rand is a source of random bits for jitter. math/rand/v2's Source
// interface has the same method, so a *rand.PCG or *rand.ChaCha8 fits, but
// a policy shared by many goroutines draws from its source concurrently:
// use a source that is safe for that, or set [Config.Seed] instead, which
// gives a lock-free seeded source.
type Rand interface {
	Uint64() uint64
}

// BackoffState is what a backoff carries from one retry of a call to the
// next, so strategies that depend on the past (decorrelated jitter) need no
// shared mutable state: each call keeps its own copy. The zero value is the
// state before the first retry.
type BackoffState struct {
	// Delay is the previous delay; zero before the first retry.
	Delay time.Duration
	// Aux is strategy-defined; zero before the first retry. Smooth
	// decorrelated jitter keeps its position on its curve here.
	Aux float64
}

// Backoff computes how long to wait before a retry. Implementations are
// plain values, safe for concurrent use: all per-call state travels in the
// [BackoffState] passed in and returned.
type Backoff interface {
	// Delay returns the wait before retry n (1 for the first retry, that
	// is the second attempt) given the state left by retry n-1, and the
	// state to pass for retry n+1. r supplies randomness; deterministic
	// strategies ignore it.
	Delay(n int, prev BackoffState, r Rand) (time.Duration, BackoffState)
}

// Constant waits d before every retry.
//
//	delay(n) = d
func Constant(d time.Duration) Backoff { return linear{base: d, max: d} }

// Linear waits base before the first retry and step more before each one
// after it, never more than max (max ≤ 0 means no cap).
//
//	delay(n) = min(max, base + (n-1)·step)
func Linear(base, step, max time.Duration) Backoff {
	return linear{base: base, step: step, max: max}
}

type linear struct{ base, step, max time.Duration }

func (b linear) Delay(n int, _ BackoffState, _ Rand) (time.Duration, BackoffState) {
	d := capped(float64(b.base)+float64(n-1)*float64(b.step), b.max)
	return d, BackoffState{Delay: d}
}

// Exponential waits base before the first retry and multiplier times longer
// before each one after it, never more than max (max ≤ 0 means no cap).
//
//	delay(n) = min(max, base · multiplier^(n-1))
//
// Without jitter, clients that failed together retry together; wrap it with
// [FullJitter] or [EqualJitter], or use [Decorrelated] or
// [SmoothDecorrelated].
func Exponential(base time.Duration, multiplier float64, max time.Duration) Backoff {
	return exponential{base: base, mult: multiplier, max: max}
}

type exponential struct {
	base time.Duration
	mult float64
	max  time.Duration
}

func (b exponential) Delay(n int, _ BackoffState, _ Rand) (time.Duration, BackoffState) {
	d := capped(float64(b.base)*math.Pow(b.mult, float64(n-1)), b.max)
	return d, BackoffState{Delay: d}
}

// FullJitter draws each delay uniformly between zero and what b gives
// ("Full Jitter" in Marc Brooker's "Exponential Backoff And Jitter", AWS
// Architecture Blog, 2015): the least total work and the widest spread of
// the article's strategies, at the price of occasional near-zero waits.
//
//	delay(n) = uniform(0, b(n))
func FullJitter(b Backoff) Backoff { return fullJitter{b} }

type fullJitter struct{ b Backoff }

func (j fullJitter) Delay(n int, prev BackoffState, r Rand) (time.Duration, BackoffState) {
	d, _ := j.b.Delay(n, prev, r)
	d = time.Duration(fastrand.Float64(r.Uint64()) * float64(d))
	return d, BackoffState{Delay: d}
}

// EqualJitter keeps half of what b gives and draws the other half uniformly
// ("Equal Jitter" in the same article): never shorter than half the
// deterministic delay.
//
//	delay(n) = b(n)/2 + uniform(0, b(n)/2)
func EqualJitter(b Backoff) Backoff { return equalJitter{b} }

type equalJitter struct{ b Backoff }

func (j equalJitter) Delay(n int, prev BackoffState, r Rand) (time.Duration, BackoffState) {
	d, _ := j.b.Delay(n, prev, r)
	half := d / 2
	d = half + time.Duration(fastrand.Float64(r.Uint64())*float64(d-half))
	return d, BackoffState{Delay: d}
}

// Decorrelated is "Decorrelated Jitter" from Marc Brooker's article: each
// delay is drawn between base and three times the previous one, capped at
// max (max ≤ 0 means no cap). The first retry takes base as its previous
// delay.
//
//	delay(1) = min(max, uniform(base, 3·base))
//	delay(n) = min(max, uniform(base, 3·delay(n-1)))
func Decorrelated(base, max time.Duration) Backoff { return decorrelated{base: base, max: max} }

type decorrelated struct{ base, max time.Duration }

func (j decorrelated) Delay(_ int, prev BackoffState, r Rand) (time.Duration, BackoffState) {
	p := prev.Delay
	if p < j.base {
		p = j.base
	}
	lo, hi := float64(j.base), 3*float64(p)
	d := capped(lo+fastrand.Float64(r.Uint64())*(hi-lo), j.max)
	return d, BackoffState{Delay: d}
}

// SmoothDecorrelated is the decorrelated jitter of Polly v8
// (DecorrelatedJitterBackoffV2, George Polevoy's formula as adapted in
// Polly): exponential growth with a controlled median and no clustering or
// spikes. The median of the first delay is close to median, of the second
// close to 2·median, then 4·median and so on; each delay is capped at max
// (max ≤ 0 means no cap). With t(k) = k + uniform(0, 1) and
// f(t) = 2^t · tanh(√(4t)):
//
//	delay(n) = min(max, (f(t(n-1)) − f(t(n-2))) · median / 1.4),  f(t(-1)) = 0
//
// so the sum of the first n delays (before capping) is f(t(n-1))·median/1.4.
// The curve position f(t(n-1)) travels in [BackoffState].Aux.
func SmoothDecorrelated(median, max time.Duration) Backoff {
	return smooth{median: median, max: max}
}

type smooth struct{ median, max time.Duration }

const (
	smoothPFactor = 4.0
	smoothScale   = 1 / 1.4
)

func (j smooth) Delay(n int, prev BackoffState, r Rand) (time.Duration, BackoffState) {
	t := float64(n-1) + fastrand.Float64(r.Uint64())
	next := math.Pow(2, t) * math.Tanh(math.Sqrt(smoothPFactor*t))
	if math.IsInf(next, 0) || math.IsNaN(next) {
		d := capped(math.Inf(1), j.max)
		return d, BackoffState{Delay: d, Aux: next}
	}
	d := capped((next-prev.Aux)*smoothScale*float64(j.median), j.max)
	return d, BackoffState{Delay: d, Aux: next}
}

// maxDuration is the longest delay a strategy returns when uncapped.
const maxDuration = time.Duration(math.MaxInt64)

// capped converts a delay computed in floating point to a Duration no
// larger than max (max ≤ 0 means no cap) and never negative.
func capped(d float64, max time.Duration) time.Duration {
	if max <= 0 {
		max = maxDuration
	}
	if math.IsNaN(d) || d >= float64(max) {
		return max
	}
	if d <= 0 {
		return 0
	}
	return time.Duration(d)
}
