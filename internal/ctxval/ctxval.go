package ctxval

import (
	"context"
	"fmt"
)

// With is ctx carrying V under the key type K, an empty struct type of the
// package that owns the value. Its Value returns a pointer to V for a key of
// type K (so reading it allocates nothing), and ctx's value for any other
// key; every other method is ctx's, so contexts derived from it find the
// standard library's cancellation underneath, as through context.WithValue.
type With[K comparable, V any] struct {
	context.Context
	V V
}

// New returns ctx carrying v.
func New[K comparable, V any](ctx context.Context, v V) *With[K, V] {
	return &With[K, V]{Context: ctx, V: v}
}

// Value returns &c.V for a key of type K, else ctx's value for key.
func (c *With[K, V]) Value(key any) any {
	if _, ok := key.(K); ok {
		return &c.V
	}
	return c.Context.Value(key)
}

// String describes the context for debugging, as the standard library's
// contexts do.
func (c *With[K, V]) String() string {
	parent := fmt.Sprintf("%T", c.Context)
	if s, ok := c.Context.(fmt.Stringer); ok {
		parent = s.String()
	}
	var k K
	return fmt.Sprintf("%s.WithValue(%T)", parent, k)
}
