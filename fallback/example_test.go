package fallback_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/fallback"
)

// A recommendations section that degrades from fresh, to the last good
// result for this user, to popular items, and labels itself by source.
func Example() {
	cache, _ := fallback.LastGood[[]string](fallback.CacheConfig{Name: "cache"})
	popular, _ := fallback.Value([]string{"kettle", "teapot"}, fallback.Config{Name: "popular"})
	recs := rampart.Pipeline(popular, cache)

	healthy := true
	fetch := func(context.Context) ([]string, error) {
		if healthy {
			return []string{"for-you-1", "for-you-2"}, nil
		}
		return nil, errors.New("recommendations: 503")
	}
	show := func(user string) {
		ctx, rep := fallback.NewReport(fallback.WithKey(context.Background(), user))
		items, err := rampart.Get(ctx, recs, fetch)
		switch {
		case err != nil:
			fmt.Println(user, "section hidden")
		case rep.Used:
			fmt.Println(user, rep.Policy, items)
		default:
			fmt.Println(user, "recommended for you", items)
		}
	}
	show("alice")
	healthy = false
	show("alice")
	show("bob")
	// Output:
	// alice recommended for you [for-you-1 for-you-2]
	// alice cache [for-you-1 for-you-2]
	// bob popular [kettle teapot]
}

func ExampleFunc() {
	secondary, _ := fallback.Func(func(ctx context.Context, err error) (string, error) {
		return "from replica (primary failed: " + err.Error() + ")", nil
	}, fallback.Config{Name: "replica"})
	v, err := rampart.Get(context.Background(), secondary, func(context.Context) (string, error) {
		return "", errors.New("primary timeout")
	})
	fmt.Println(v, err)
	// Output: from replica (primary failed: primary timeout) <nil>
}

// WithReport fills in a Report the caller already has, such as a field of a
// struct that describes a page.
func ExampleWithReport() {
	popular, _ := fallback.Value([]string{"kettle"}, fallback.Config{Name: "popular"})
	var page struct {
		Items  []string
		Source fallback.Report
	}
	ctx := fallback.WithReport(context.Background(), &page.Source)
	page.Items, _ = rampart.Get(ctx, popular, func(context.Context) ([]string, error) {
		return nil, errors.New("recommendations: 503")
	})
	fmt.Println(page.Items, page.Source.Used, page.Source.Policy)
	// Output: [kettle] true popular
}
