package rampart

import (
	"context"
	"fmt"
	"strings"
)

// Priority is a request's criticality. Policies that shed load (an adaptive
// limiter's queue, server-side shedding) refuse lower priorities first, so
// critical traffic is served while sheddable traffic absorbs an overload.
//
// The zero value is PriorityDefault. Priorities compare with < and >:
// PrioritySheddable < PriorityDefault < PriorityCritical.
type Priority int8

const (
	// PrioritySheddable marks work that may be refused first: prefetches,
	// batch jobs, retries of background tasks.
	PrioritySheddable Priority = -1
	// PriorityDefault is the priority of a request that states none.
	PriorityDefault Priority = 0
	// PriorityCritical marks work that is shed last: the user is waiting
	// and the journey fails without it.
	PriorityCritical Priority = 1
)

// String returns "sheddable", "default" or "critical", the names
// ParsePriority reads; another value prints as "priority(N)".
func (p Priority) String() string {
	switch p {
	case PrioritySheddable:
		return "sheddable"
	case PriorityDefault:
		return "default"
	case PriorityCritical:
		return "critical"
	}
	return fmt.Sprintf("priority(%d)", int8(p))
}

// ParsePriority reads a priority by name, as String writes it, ignoring
// case and surrounding space. An empty string is PriorityDefault. Any other
// name is an error, so a header or metadata value with a typo is noticed
// rather than silently treated as default.
func ParsePriority(s string) (Priority, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sheddable":
		return PrioritySheddable, nil
	case "", "default":
		return PriorityDefault, nil
	case "critical":
		return PriorityCritical, nil
	}
	return PriorityDefault, fmt.Errorf("rampart: unknown priority %q (want sheddable, default or critical)", s)
}

type priorityKey struct{}

// WithPriority returns a copy of ctx that carries p. Server middleware sets
// it from a request header or metadata; load-shedding policies read it with
// PriorityFrom.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the priority carried by ctx, or PriorityDefault when
// it carries none.
func PriorityFrom(ctx context.Context) Priority {
	if p, ok := ctx.Value(priorityKey{}).(Priority); ok {
		return p
	}
	return PriorityDefault
}
