package retry

import "sync"

// Budgets hands out one [TokenBucket] per destination, made on first use
// with the same config, so every policy (and hedger) that calls a
// destination spends from the same budget:
//
//	budgets, _ := retry.NewBudgets(retry.TokenBucketConfig{})
//	users, _ := retry.New(retry.Config{Budget: budgets.For("users.internal")})
//
// It is safe for concurrent use. Buckets are kept for the life of the
// Budgets value.
type Budgets struct {
	cfg TokenBucketConfig
	m   sync.Map // string → *TokenBucket
}

// NewBudgets returns an empty registry whose buckets use c, or an error
// naming the first invalid field of c.
func NewBudgets(c TokenBucketConfig) (*Budgets, error) {
	c, err := c.withDefaults("")
	if err != nil {
		return nil, err
	}
	return &Budgets{cfg: c}, nil
}

// For returns the bucket of destination, making it on first use.
func (r *Budgets) For(destination string) *TokenBucket {
	if b, ok := r.m.Load(destination); ok {
		return b.(*TokenBucket)
	}
	b, _ := r.m.LoadOrStore(destination, newTokenBucket(r.cfg))
	return b.(*TokenBucket)
}
