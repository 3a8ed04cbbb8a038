package fallback

import (
	"context"
	"time"
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
// It costs one small allocation; calls without a report pay nothing.
func WithReport(ctx context.Context, r *Report) context.Context {
	return context.WithValue(ctx, reportKey{}, r)
}
