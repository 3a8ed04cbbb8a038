package demo_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/cmd/rampart/internal/demo"
)

// Regression: POST /phase with back=//example.com redirected to another
// host.
func TestPhaseControlNeverRedirectsToAnotherHost(t *testing.T) {
	d, err := demo.Start(demo.Config{Controls: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for back, want := range map[string]string{
		"//example.com":         "/",
		"/\\example.com":        "/",
		"https://example.com/x": "/",
		"product/1":             "/",
		"/product/3?x=1":        "/product/3?x=1",
	} {
		resp, err := client.PostForm(d.URL()+"/phase", url.Values{"phase": {"slow"}, "back": {back}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("back=%q: HTTP %d to %q, want 303 to %q", back, resp.StatusCode, got, want)
		}
	}
}

// The page in serve mode updates itself, shows the service's phase in
// colour and keeps unit text as written.
func TestServePageRefreshesShowsThePhaseInColourAndKeepsUnits(t *testing.T) {
	d, err := demo.Start(demo.Config{Controls: true, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	base := d.URL()
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("URL %s, want the address given", base)
	}
	_, body := get(t, base, "/product/7")
	for _, want := range []string{`<meta http-equiv="refresh" content="1">`, `class="pill phase healthy"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	setPhase(t, base, "failing")
	_, body = get(t, base, "/product/7")
	if !strings.Contains(body, `class="pill phase failing"`) || !strings.Contains(body, `<span class="unit">`) {
		t.Errorf("failing, cached: page lacks the phase's colour or the unit span:\n%s", body)
	}
	if !strings.Contains(body, ".src .unit { text-transform: none;") {
		t.Error("unit text is upper-cased with its label")
	}
	// The surge has its colour and the shed count its place; a surge is
	// shoppers, not a state of the service, so it has no button, and
	// asking for it changes nothing.
	for _, want := range []string{".phase.surge {", `shed: <span class="pill phase" id="shed">0</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `value="surge"`) {
		t.Error("the page offers a surge button")
	}
	setPhase(t, base, "surge")
	if _, body = get(t, base, "/product/7"); !strings.Contains(body, `class="pill phase failing"`) {
		t.Errorf("asking for a surge changed the phase:\n%s", body)
	}
}

func TestPageWithoutControlsDoesNotRefresh(t *testing.T) {
	d, err := demo.Start(demo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, body := get(t, d.URL(), "/product/7"); strings.Contains(body, `http-equiv="refresh"`) {
		t.Error("the page refreshes itself outside serve mode")
	}
}
