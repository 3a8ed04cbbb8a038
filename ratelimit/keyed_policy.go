package ratelimit

import (
	"context"

	"github.com/rampart-go/rampart"
)

// KeyedPolicy is a [Keyed] limiter as a [rampart.Policy]: each call is
// limited by the key its context gives. Make one with [Keyed.Policy].
type KeyedPolicy struct {
	k   *Keyed
	key func(context.Context) string
}

// Policy returns k as a policy: each call takes a token from the key that
// key returns for the call's context (a tenant, a client address), and a
// call whose key has none is rejected without running, with a
// [*LimitedError] that matches [ErrLimited] and [rampart.ErrRejected] and
// whose RetryAfter is the wait until that key's next token. The empty
// string is a key like any other. Policy returns an error for a nil key.
//
// Unlike [Limiter.Execute], whose one error serves every rejection, a
// keyed rejection allocates its error: the hint is the key's own.
func (k *Keyed) Policy(key func(context.Context) string) (*KeyedPolicy, error) {
	if key == nil {
		return nil, &rampart.ConfigError{Package: "ratelimit", Field: "key", Reason: "the key function is nil"}
	}
	return &KeyedPolicy{k: k, key: key}, nil
}

// Execute runs next if the call's key has a token, and otherwise returns a
// [*LimitedError] without running it.
func (p *KeyedPolicy) Execute(ctx context.Context, next rampart.Next) error {
	if ok, wait := p.k.AllowKey(p.key(ctx)); !ok {
		return &LimitedError{Name: p.k.name, after: wait}
	}
	return next.Run(ctx)
}

// Limiter returns the keyed limiter the policy draws from.
func (p *KeyedPolicy) Limiter() *Keyed { return p.k }

var _ rampart.Policy = (*KeyedPolicy)(nil)
