package rampart_test

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
)

// IsPermanent and RetryAfter walk the chain as errors.As does: through
// Unwrap() error and Unwrap() []error, depth first, first match wins.
func TestErrorWalksFollowEveryKindOfWrapping(t *testing.T) {
	perm := rampart.Permanent(io.EOF)
	hint := rampart.WithRetryAfter(io.EOF, 2*time.Second)
	for _, c := range []struct {
		name string
		err  error
		perm bool
		hint time.Duration
		ok   bool
	}{
		{"nil", nil, false, 0, false},
		{"plain", io.EOF, false, 0, false},
		{"permanent", perm, true, 0, false},
		{"wrapped permanent", fmt.Errorf("a: %w", fmt.Errorf("b: %w", perm)), true, 0, false},
		{"joined, second", errors.Join(io.EOF, perm), true, 0, false},
		{"joined deep", errors.Join(io.EOF, fmt.Errorf("x: %w", errors.Join(io.ErrClosedPipe, perm))), true, 0, false},
		{"two %w", fmt.Errorf("%w and %w", io.EOF, hint), false, 2 * time.Second, true},
		{"hint outside permanent", rampart.WithRetryAfter(perm, time.Second), true, time.Second, true},
		{"first hint wins", errors.Join(rampart.WithRetryAfter(io.EOF, time.Second), hint), false, time.Second, true},
		{"hint by method", fmt.Errorf("x: %w", throttled{}), false, 3 * time.Second, true},
		{"joined, none", errors.Join(io.EOF, io.ErrClosedPipe), false, 0, false},
	} {
		if got := rampart.IsPermanent(c.err); got != c.perm {
			t.Errorf("%s: IsPermanent = %v, want %v", c.name, got, c.perm)
		}
		if d, ok := rampart.RetryAfter(c.err); d != c.hint || ok != c.ok {
			t.Errorf("%s: RetryAfter = %v, %v, want %v, %v", c.name, d, ok, c.hint, c.ok)
		}
		// The walks agree with errors.As.
		var h interface{ RetryAfter() time.Duration }
		if as := errors.As(c.err, &h); as != c.ok || (as && h.RetryAfter() != c.hint) {
			t.Errorf("%s: errors.As disagrees: %v", c.name, as)
		}
	}
}

// A retry judges every failed attempt with these two; they must not
// allocate.
func TestErrorWalksAllocateNothing(t *testing.T) {
	err := fmt.Errorf("x: %w", errors.Join(io.EOF, rampart.WithRetryAfter(io.ErrClosedPipe, time.Second)))
	if n := testing.AllocsPerRun(100, func() {
		_ = rampart.IsPermanent(err)
		_, _ = rampart.RetryAfter(err)
	}); n != 0 {
		t.Errorf("IsPermanent + RetryAfter allocate %v times, want 0", n)
	}
}
