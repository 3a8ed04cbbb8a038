package adaptive_test

import (
	"slices"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/adaptive"
)

// server is a model of the protected service in virtual time: W workers
// shared by the calls in flight, so a call admitted with n in flight takes
// S × max(1, n/W) × factor, or latency when set (a service whose latency
// does not depend on the load, such as one stuck on a slow dependency).
// Calls arrive every gap; a rejected call is gone.
type server struct {
	workers int
	service time.Duration
	gap     time.Duration
}

// phase is a stretch of time with one behaviour of the service.
type phase struct {
	dur     time.Duration
	factor  float64       // multiplies the service time; 0 means 1
	latency time.Duration // a fixed latency instead, if set
	drop    bool          // every call ends in a drop
}

// trace is the limit at the end of every simulated 100 ms.
type trace struct {
	limit    []float64
	rejected int
}

// at returns the mean limit over [from, to).
func (tr trace) mean(from, to time.Duration) float64 {
	i, j := int(from/(100*time.Millisecond)), int(to/(100*time.Millisecond))
	var s float64
	for _, v := range tr.limit[i:j] {
		s += v
	}
	return s / float64(j-i)
}

func (tr trace) max(from, to time.Duration) float64 {
	return slices.Max(tr.limit[int(from/(100*time.Millisecond)):int(to/(100*time.Millisecond))])
}

func (tr trace) min(from, to time.Duration) float64 {
	return slices.Min(tr.limit[int(from/(100*time.Millisecond)):int(to/(100*time.Millisecond))])
}

type completion struct {
	at   int64
	p    adaptive.Permit
	drop bool
}

// run drives a limiter built from c through the phases and records its
// limit. Everything happens on a manual clock, in order, on this goroutine.
func (s server) run(t *testing.T, c adaptive.Config, phases ...phase) trace {
	t.Helper()
	clock := rampart.NewManualClock(time.Unix(0, 0))
	c.Clock = clock
	l, err := adaptive.New(c)
	if err != nil {
		t.Fatal(err)
	}
	var tr trace
	var pending []completion // a min-heap on at
	push := func(x completion) {
		pending = append(pending, x)
		for i := len(pending) - 1; i > 0; {
			p := (i - 1) / 2
			if pending[p].at <= pending[i].at {
				break
			}
			pending[p], pending[i] = pending[i], pending[p]
			i = p
		}
	}
	pop := func() completion {
		top := pending[0]
		last := len(pending) - 1
		pending[0] = pending[last]
		pending = pending[:last]
		for i := 0; ; {
			m, a, b := i, 2*i+1, 2*i+2
			if a < last && pending[a].at < pending[m].at {
				m = a
			}
			if b < last && pending[b].at < pending[m].at {
				m = b
			}
			if m == i {
				break
			}
			pending[m], pending[i] = pending[i], pending[m]
			i = m
		}
		return top
	}
	var now, end int64
	tick := int64(100 * time.Millisecond)
	nextTick := tick
	inflight := 0
	for _, ph := range phases {
		end += int64(ph.dur)
		for now < end {
			next := min(now+int64(s.gap), nextTick)
			for len(pending) > 0 && pending[0].at <= next {
				x := pop()
				clock.Set(time.Unix(0, x.at))
				inflight--
				if x.drop {
					x.p.Drop()
				} else {
					x.p.Release()
				}
			}
			now = next
			clock.Set(time.Unix(0, now))
			if now == nextTick {
				tr.limit = append(tr.limit, l.Limit())
				nextTick += tick
				continue
			}
			p, err := l.Acquire(t.Context())
			if err != nil {
				tr.rejected++
				continue
			}
			inflight++
			d := ph.latency
			if d == 0 {
				f := ph.factor
				if f == 0 {
					f = 1
				}
				d = time.Duration(float64(s.service) * max(1, float64(inflight)/float64(s.workers)) * f)
			}
			push(completion{at: now + int64(d), p: p, drop: ph.drop})
		}
	}
	return tr
}

// saturating is a service of 10 workers at 10 ms (1000 calls a second)
// offered 1250 calls a second: the limiter always binds.
var saturating = server{workers: 10, service: 10 * time.Millisecond, gap: 800 * time.Microsecond}

var algorithms = []struct {
	name string
	c    adaptive.Config
}{
	{"gradient2", adaptive.Config{Algorithm: adaptive.Gradient2, MinLimit: 1, InitialLimit: 5}},
	{"vegas", adaptive.Config{Algorithm: adaptive.Vegas}},
	{"aimd", adaptive.Config{Algorithm: adaptive.AIMD, MinLimit: 1, Timeout: 50 * time.Millisecond}},
}
