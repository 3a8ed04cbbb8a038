package rampartgrpc_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rampart-go/rampart"
	rampartgrpc "github.com/rampart-go/rampart/grpc"
	"github.com/rampart-go/rampart/hedge"
)

// Many callers at once through retry → hedge, against a server whose first
// attempts stall until cancelled or fail, and some second ones fail: each
// caller gets its own reply, and nothing is left running (run with -race).
func TestUnaryManyCallersRetryAndHedge(t *testing.T) {
	checkGoroutines(t)
	s := &testServer{unary: func(ctx context.Context, _ int, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		prev := md.Get(rampartgrpc.PreviousAttemptsKey)
		var g, i int
		fmt.Sscanf(string(in.GetValue()), "%d/%d", &g, &i)
		switch {
		case len(prev) == 0 && i%2 == 0:
			<-ctx.Done() // the first attempt stalls: a hedge must answer
			return nil, status.FromContextError(ctx.Err()).Err()
		case len(prev) == 0 && i%4 == 1, len(prev) == 1 && prev[0] == "1" && g%3 == 0:
			return nil, status.Error(codes.Unavailable, "down")
		}
		return in, nil
	}}
	hc, err := rampartgrpc.HedgingPolicy{MaxAttempts: 3, HedgingDelay: time.Millisecond,
		NonFatalStatusCodes: []codes.Code{codes.Unavailable}}.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc.DisableBudget = true
	h, err := hedge.New(hc)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, rampartgrpc.WithPolicy(rampart.Pipeline(newRetry(t, 5, nil, nil), h)))
	conn := start(t, s, nil, c.DialOptions()...)
	concurrently(t, 16, 8, func(g, i int) error {
		want := fmt.Sprintf("%d/%d", g, i)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		if got, err := call(ctx, conn, want); err != nil || got != want {
			return fmt.Errorf("call %s = %q, %v", want, got, err)
		}
		return nil
	})
}

// concurrently runs call(g, i) for each i below calls on each of
// goroutines goroutines at once, and reports every error it returns.
func concurrently(t *testing.T, goroutines, calls int, call func(g, i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*calls)
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				if err := call(g, i); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
