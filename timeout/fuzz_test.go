package timeout_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/timeout"
)

// FuzzConfig: New either rejects a config with an error naming a field, or
// returns a policy whose deadline lies within (now, now+Timeout], saturated,
// and that ends a watching call no later than that.
func FuzzConfig(f *testing.F) {
	for _, d := range []int64{0, -1, 1, int64(time.Millisecond), math.MaxInt64, math.MaxInt64 - 1, math.MinInt64} {
		for _, mode := range []uint8{0, 1, 2, 255} {
			f.Add(d, mode, false, 1, "")
			f.Add(d, mode, true, 0, "")
		}
	}
	f.Add(int64(0), uint8(0), false, 1, `{"timeout":"NaN"}`)
	f.Add(int64(0), uint8(0), false, 1, `{"timeout":"+Inf"}`)
	f.Add(int64(0), uint8(0), false, 1, `{"timeout":1e309}`)
	f.Add(int64(0), uint8(0), false, 1, `{"timeout":"9223372036854775808ns"}`)
	f.Add(int64(0), uint8(0), false, 1, `{"timeout":"2562047h47m16.854775807s","mode":"abandon"}`)
	f.Add(int64(0), uint8(0), false, 0, `{"timeout":"1ms","report_late_panics":true}`)
	f.Fuzz(func(t *testing.T, d int64, mode uint8, report bool, observers int, js string) {
		c := timeout.Config{Timeout: time.Duration(d), Mode: timeout.Mode(mode), ReportLatePanics: report}
		if js != "" {
			var jc timeout.Config
			if err := json.Unmarshal([]byte(js), &jc); err != nil {
				var ce *rampart.ConfigError
				if errors.As(err, &ce) && ce.Field == "" {
					t.Fatalf("config error names no field: %v", err)
				}
				return
			}
			c = jc
		}
		for range observers % 3 {
			c.Observers = append(c.Observers, rampart.ObserverFunc(func(rampart.Event) {}))
		}
		p, err := timeout.New(c)
		if err != nil {
			var ce *rampart.ConfigError
			if !errors.As(err, &ce) || (ce.Field != "Timeout" && ce.Field != "Mode" && ce.Field != "ReportLatePanics") {
				t.Fatalf("New(%+v) = %v: want a ConfigError naming a field", c, err)
			}
			return
		}
		if c.Timeout <= 0 || c.Mode > timeout.Abandon || (c.ReportLatePanics && len(c.Observers) == 0) {
			t.Fatalf("New accepted %+v", c)
		}
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			err := p.Do(context.Background(), func(ctx context.Context) error {
				dl, ok := ctx.Deadline()
				if !ok || !dl.After(start) || (start.Add(c.Timeout).After(start) && dl.After(start.Add(c.Timeout))) {
					t.Errorf("Timeout %v: deadline %v from %v", c.Timeout, dl, start)
				}
				if c.Timeout > time.Hour {
					return nil
				}
				<-ctx.Done()
				return ctx.Err()
			})
			if c.Timeout <= time.Hour {
				if !errors.Is(err, timeout.ErrTimeout) || time.Since(start) != c.Timeout {
					t.Errorf("Timeout %v: %v after %v", c.Timeout, err, time.Since(start))
				}
			} else if err != nil {
				t.Errorf("Timeout %v: %v", c.Timeout, err)
			}
		})
	})
}
