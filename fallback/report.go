package fallback

import (
	"context"
	"time"

	"github.com/rampart-go/rampart/internal/ctxval"
)

// Report tells a caller whether the result it got came from a fallback, and
// why, without parsing logs: a page can label a section "popular items"
// instead of "recommended for you", or hide it.
//
// Pass one to the call's context with [WithReport]; the fallback that
// serves the result fills it in. With fallbacks nested in a pipeline, the
// one whose result the caller receives writes last.
type Report struct {
	Used   bool          // a fallback replaced the call's outcome
	Policy string        // the name of the fallback that served
	Source Source        // what kind of fallback it was
	Cause  error         // the failure it replaced
	Age    time.Duration // for SourceCache: how old the served result is
}

type reportKey struct{}

// WithReport returns a copy of ctx through which fallbacks fill in r.
// It costs one small allocation (and r escapes to the heap); calls without
// a report pay nothing. [NewReport] makes the report and its context in one
// allocation.
func WithReport(ctx context.Context, r *Report) context.Context {
	return context.WithValue(ctx, reportKey{}, r)
}

// NewReport returns a copy of ctx through which fallbacks fill in a report,
// and that report, read it once the call has returned. It is [WithReport]
// with a new Report, both in one allocation:
//
//	ctx, rep := fallback.NewReport(ctx)
//	items, err := rampart.Get(ctx, pipeline, fetch)
//	if rep.Used { ... }
func NewReport(ctx context.Context) (context.Context, *Report) {
	c := ctxval.New[reportKey](ctx, Report{})
	return c, &c.V
}
