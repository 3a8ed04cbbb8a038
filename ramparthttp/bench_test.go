package ramparthttp_test

import (
	"net/http"
	"testing"

	"github.com/rampart-go/rampart/ramparthttp"
	"github.com/rampart-go/rampart/retry"
)

// canned is a base transport that answers at once, with no network, so
// the benchmark isolates what the rampart transport adds to a request.
// The loopback comparison with real servers is bench's
// BenchmarkHTTPClient.
type canned struct{}

func (canned) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}, nil
}

// BenchmarkTransportOverhead is the cost of the rampart transport with a
// default retry policy around a base transport that costs almost nothing:
// base alone, then through rampart.
func BenchmarkTransportOverhead(b *testing.B) {
	req, _ := http.NewRequest(http.MethodGet, "http://example.test/", nil)
	p, _ := retry.New(retry.Config{})
	tr, _ := ramparthttp.NewTransport(canned{}, ramparthttp.WithPolicy(p))
	for _, rt := range []struct {
		name string
		rt   http.RoundTripper
	}{{"base", canned{}}, {"rampart", tr}} {
		b.Run(rt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := rt.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}
