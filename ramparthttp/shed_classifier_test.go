package ramparthttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/circuitbreaker"
	"github.com/rampart-go/rampart/ramparthttp"
)

// TestShedIsNoFault drives a breaker with ShedIsNoFault through a real
// server: refusals with Retry-After leave it closed, the same status
// without one opens it.
func TestShedIsNoFault(t *testing.T) {
	for _, tc := range []struct {
		name       string
		code       int
		retryAfter string
		opens      bool
	}{
		{"503 with Retry-After", http.StatusServiceUnavailable, "1", false},
		{"429 with Retry-After", http.StatusTooManyRequests, "2", false},
		{"503 with a Retry-After date", http.StatusServiceUnavailable, "Wed, 21 Oct 2015 07:28:00 GMT", false},
		{"503 without Retry-After", http.StatusServiceUnavailable, "", true},
		{"500 with Retry-After", http.StatusInternalServerError, "1", true},
		{"429 without Retry-After", http.StatusTooManyRequests, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				http.Error(w, http.StatusText(tc.code), tc.code)
			}))
			defer srv.Close()
			b, err := circuitbreaker.New(circuitbreaker.Config{
				ConsecutiveFailures: 3,
				Classifier:          ramparthttp.ShedIsNoFault,
				IgnoreRetryAfter:    true,
			})
			if err != nil {
				t.Fatal(err)
			}
			tr, err := ramparthttp.NewTransport(nil, ramparthttp.WithPolicy(b))
			if err != nil {
				t.Fatal(err)
			}
			c := &http.Client{Transport: tr}
			defer tr.CloseIdleConnections()
			for i := range 5 {
				resp, err := c.Get(srv.URL)
				if err != nil {
					if !tc.opens || !errors.Is(err, rampart.ErrRejected) {
						t.Fatalf("request %d: %v", i, err)
					}
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != tc.code {
					t.Fatalf("request %d: status %d, want %d", i, resp.StatusCode, tc.code)
				}
			}
			if got, want := b.State() == circuitbreaker.StateOpen, tc.opens; got != want {
				t.Fatalf("breaker %v after 5 answers %d (Retry-After %q); want open %v", b.State(), tc.code, tc.retryAfter, want)
			}
		})
	}
}

func TestShedIsNoFaultDefersToClassify(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := ramparthttp.ShedIsNoFault(ctx, context.Canceled); got != rampart.Ignored {
		t.Errorf("caller's cancellation: %v, want Ignored", got)
	}
	if got := ramparthttp.ShedIsNoFault(context.Background(), nil); got != rampart.Success {
		t.Errorf("nil: %v, want Success", got)
	}
	if got := ramparthttp.ShedIsNoFault(context.Background(), errors.New("x")); got != rampart.Failure {
		t.Errorf("plain error: %v, want Failure", got)
	}
	hinted := rampart.WithRetryAfter(errors.New("refused"), 1)
	if got := ramparthttp.ShedIsNoFault(context.Background(), hinted); got != rampart.Failure {
		t.Errorf("hint without a status: %v, want Failure", got)
	}
}
