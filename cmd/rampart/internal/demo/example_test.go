package demo_test

import (
	"fmt"
	"net/http"

	"github.com/rampart-go/rampart/cmd/rampart/internal/demo"
)

// The storefront labels the recommendations section by where it came
// from, in the page and in the X-Recs-Source header.
func Example() {
	d, err := demo.Start(demo.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	resp, err := http.Get(d.URL() + "/product/7")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Recs-Source"), d.Phase())
	// Output: 200 fresh healthy
}
