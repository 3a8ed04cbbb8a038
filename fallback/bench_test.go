package fallback_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/fallback"
)

// BenchmarkFallback is the cost of a fallback on the success path (the
// call's own result) and when it answers, through Do and through Get, with
// and without a report.
func BenchmarkFallback(b *testing.B) {
	ctx := context.Background()
	p := must(fallback.Value(7, fallback.Config{}))
	okDo := func(context.Context) error { return nil }
	failDo := func(context.Context) error { return errDown }
	okGet := func(context.Context) (int, error) { return 1, nil }
	b.Run("path=success/Do", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Do(ctx, okDo); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("path=success/Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, err := rampart.Get(ctx, p, okGet); v != 1 || err != nil {
				b.Fatal(v, err)
			}
		}
	})
	b.Run("path=fallback/Do", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Do(ctx, failDo); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("path=fallback/Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, err := rampart.Get(ctx, p, fail[int]); v != 7 || err != nil {
				b.Fatal(v, err)
			}
		}
	})
	b.Run("path=fallback/Get+report", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var rep fallback.Report
			if v, err := rampart.Get(fallback.WithReport(ctx, &rep), p, fail[int]); v != 7 || err != nil || !rep.Used {
				b.Fatal(v, err)
			}
		}
	})
}
