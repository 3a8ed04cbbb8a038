package ctxval_test

import (
	"context"
	"fmt"

	"github.com/rampart-go/rampart/internal/ctxval"
)

type tenantKey struct{}

func Example() {
	ctx := ctxval.New[tenantKey](context.Background(), "acme")
	if tenant, ok := ctx.Value(tenantKey{}).(*string); ok {
		fmt.Println(*tenant)
	}
	// Output: acme
}
