package hedge_test

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/hedge"
)

// A call whose first attempt stalls is answered by its hedge, started
// after the delay; the stalled attempt is cancelled.
func Example() {
	p, err := hedge.New(hedge.Config{Delay: 10 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	v, err := rampart.Get(context.Background(), p, func(ctx context.Context) (string, error) {
		a := rampart.AttemptFrom(ctx)
		if !a.Hedge {
			<-ctx.Done() // a straggler: waits until cancelled
			return "", ctx.Err()
		}
		return fmt.Sprintf("answered by attempt %d", a.Number), nil
	})
	fmt.Println(v, err)
	s := p.Snapshot()
	fmt.Println("hedges:", s.Hedges, "won:", s.Won)
	// Output:
	// answered by attempt 2 <nil>
	// hedges: 1 won: 1
}

// The default policy hedges after the p95 of recent latencies, once it has
// seen enough calls; a config reads from JSON like every rampart config.
func ExampleConfig() {
	var c hedge.Config
	if err := c.UnmarshalJSON([]byte(`{"quantile": 0.99, "max_hedges": 2, "window": 500}`)); err != nil {
		panic(err)
	}
	p, err := hedge.New(c)
	if err != nil {
		panic(err)
	}
	_, hedging := p.Delay()
	fmt.Println("hedging on time before any call:", hedging)
	_, err = hedge.New(hedge.Config{Quantile: 1.5})
	fmt.Println(err)
	// Output:
	// hedging on time before any call: false
	// hedge: invalid config: Quantile must be in (0, 1), got 1.5
}
