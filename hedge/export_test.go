package hedge

// QueueLen returns how many calls are in p's shared timer queue.
func QueueLen(p *Policy) int {
	p.q.mu.Lock()
	defer p.q.mu.Unlock()
	n := 0
	for c := p.q.head; c != nil; c = c.qnext {
		n++
	}
	return n
}
