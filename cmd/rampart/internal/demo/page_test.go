package demo_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/cmd/rampart/internal/demo"
)

// get fetches a storefront page and returns the recommendations source it
// reports and its body.
func get(t *testing.T, base, path string) (string, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	return resp.Header.Get("X-Recs-Source"), string(body)
}

func setPhase(t *testing.T, base, phase string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/phase", url.Values{"phase": {phase}, "back": {"/product/1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /phase: HTTP %d", resp.StatusCode)
	}
}

// TestPageDegradesThroughTheFallbackChain walks the chain by hand: fresh
// while the service is healthy, then, with the service failing, the cached
// answer for a product seen before, the category's bestsellers for one not
// seen, and no section at all for a gift card, which has no bestsellers.
func TestPageDegradesThroughTheFallbackChain(t *testing.T) {
	d, err := demo.Start(demo.Config{Controls: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	base := d.URL()

	src, body := get(t, base, "/product/7")
	if src != "fresh" || !strings.Contains(body, `data-source="fresh"`) || !strings.Contains(body, "Customers also bought") {
		t.Fatalf("healthy service: source %q, want fresh; page:\n%s", src, body)
	}
	if !strings.Contains(body, `circuit breaker: <span class="pill closed">closed</span>`) {
		t.Errorf("page does not show the closed breaker:\n%s", body)
	}

	setPhase(t, base, "failing")
	for _, c := range []struct {
		path, source, label string
	}{
		{"/product/7", "cache", "from cache"},
		{"/product/8", "popular", "Popular in books"},
		{"/product/19", "hidden", "section hidden"},
	} {
		src, body := get(t, base, c.path)
		if src != c.source || !strings.Contains(body, `data-source="`+c.source+`"`) || !strings.Contains(body, c.label) {
			t.Errorf("failing service, %s: source %q, want %q labelled %q; page:\n%s", c.path, src, c.source, c.label, body)
		}
	}

	setPhase(t, base, "healthy")
	if src, _ := get(t, base, "/product/8"); src != "fresh" && src != "popular" {
		t.Errorf("healthy again: source %q, want fresh (or popular while the breaker waits)", src)
	}
}
