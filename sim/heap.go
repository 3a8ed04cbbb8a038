package sim

// eventKind says what an event does when its time comes.
type eventKind uint8

const (
	evArrival eventKind = iota // a client's next request arrives
	evSend                     // a retry's wait is over: send the next attempt
	evTimeout                  // an attempt's timeout expires
	evDone                     // a worker finishes an attempt
)

// event is one entry of the simulation's agenda. Events are values in a
// slice-backed heap, so scheduling one allocates nothing once the heap has
// grown; an event made stale (a timeout for an attempt already answered)
// is left in place and ignored when it comes up.
type event struct {
	at     int64  // simulated time, nanoseconds since the start
	seq    uint64 // ties broken in scheduling order, for determinism
	kind   eventKind
	client int32
	req    *request
	att    *attempt
}

func (a *event) before(b *event) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// agenda is a binary min-heap of events ordered by (at, seq).
type agenda []event

func (h *agenda) push(e event) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s[i].before(&s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *agenda) pop() event {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = event{}
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].before(&s[l]) {
			m = r
		}
		if !s[m].before(&s[i]) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
