package rampart_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
)

// trace is a policy that records its name on the way in and out.
type trace struct {
	name string
	log  *[]string
}

func (p trace) Execute(ctx context.Context, next rampart.Next) error {
	*p.log = append(*p.log, p.name+">")
	err := next.Run(ctx)
	*p.log = append(*p.log, "<"+p.name)
	return err
}

func TestPipelineRunsOutermostFirst(t *testing.T) {
	var log []string
	p := rampart.Pipeline(trace{"a", &log}, trace{"b", &log}, trace{"c", &log})
	err := p.Do(context.Background(), func(context.Context) error {
		log = append(log, "fn")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(log, " "), "a> b> c> fn <c <b <a"; got != want {
		t.Fatalf("order = %q, want %q", got, want)
	}
}

func TestNestedPipelinesFlatten(t *testing.T) {
	var log []string
	inner := rampart.Pipeline(trace{"b", &log}, trace{"c", &log})
	p := rampart.Pipeline(trace{"a", &log}, inner, trace{"d", &log})
	if n := len(p.Policies()); n != 4 {
		t.Fatalf("len(Policies) = %d, want 4", n)
	}
	v, err := rampart.Get(context.Background(), p, func(context.Context) (int, error) {
		log = append(log, "fn")
		return 7, nil
	})
	if err != nil || v != 7 {
		t.Fatalf("Get = %v, %v; want 7, nil", v, err)
	}
	if got, want := strings.Join(log, " "), "a> b> c> d> fn <d <c <b <a"; got != want {
		t.Fatalf("order = %q, want %q", got, want)
	}
}

func TestChainInsideChainExecute(t *testing.T) {
	// A chain used through Execute with a non-empty continuation (not
	// flattened, because it is wrapped in another policy type).
	var log []string
	inner := rampart.Pipeline(trace{"b", &log})
	wrapped := wrapper{inner}
	p := rampart.Pipeline(wrapped, trace{"c", &log})
	v, err := rampart.Get(context.Background(), p, func(context.Context) (string, error) {
		log = append(log, "fn")
		return "ok", nil
	})
	if err != nil || v != "ok" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if got, want := strings.Join(log, " "), "b> c> fn <c <b"; got != want {
		t.Fatalf("order = %q, want %q", got, want)
	}
}

func TestChainInsideChainDo(t *testing.T) {
	var log []string
	inner := rampart.Pipeline(trace{"b", &log}, trace{"c", &log})
	p := rampart.Pipeline(trace{"a", &log}, wrapper{inner}, trace{"d", &log})
	err := p.Do(context.Background(), func(context.Context) error {
		log = append(log, "fn")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(log, " "), "a> b> c> d> fn <d <c <b <a"; got != want {
		t.Fatalf("order = %q, want %q", got, want)
	}
}

type wrapper struct{ p rampart.Policy }

func (w wrapper) Execute(ctx context.Context, next rampart.Next) error { return w.p.Execute(ctx, next) }

func TestEmptyPipelineRunsFunction(t *testing.T) {
	want := errors.New("boom")
	err := rampart.Pipeline().Do(context.Background(), func(context.Context) error { return want })
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	v, err := rampart.Get(context.Background(), rampart.Pipeline(), func(context.Context) (int, error) { return 3, nil })
	if v != 3 || err != nil {
		t.Fatalf("Get = %v, %v", v, err)
	}
}

func TestZeroChainIsEmptyPipeline(t *testing.T) {
	var c rampart.Chain
	runs := 0
	fn := func(context.Context) error { runs++; return nil }
	if err := c.Do(context.Background(), fn); err != nil {
		t.Fatalf("Do = %v", err)
	}
	if err := rampart.Do(context.Background(), &c, fn); err != nil {
		t.Fatalf("rampart.Do = %v", err)
	}
	if runs != 2 || len(c.Policies()) != 0 {
		t.Fatalf("function ran %d times, policies = %v; want 2 runs, none", runs, c.Policies())
	}
}

func TestNilPolicyIsAnError(t *testing.T) {
	fn := func(context.Context) error { t.Fatal("function ran"); return nil }
	if err := rampart.Do(context.Background(), nil, fn); !errors.Is(err, rampart.ErrNilPolicy) {
		t.Fatalf("Do(nil) = %v", err)
	}
	if _, err := rampart.Get(context.Background(), nil, func(context.Context) (int, error) { return 0, nil }); !errors.Is(err, rampart.ErrNilPolicy) {
		t.Fatalf("Get(nil) = %v", err)
	}
	err := rampart.Pipeline(rampart.Pipeline(), nil).Do(context.Background(), fn)
	if !errors.Is(err, rampart.ErrNilPolicy) || !strings.Contains(err.Error(), "index 1") {
		t.Fatalf("Pipeline with nil = %v, want ErrNilPolicy naming index 1", err)
	}
}

func TestNilFunctionIsAnError(t *testing.T) {
	err := rampart.Do(context.Background(), rampart.Pipeline(trace{"a", new([]string)}), nil)
	if !errors.Is(err, rampart.ErrNilFunc) {
		t.Fatalf("Do with nil function = %v", err)
	}
	_, err = rampart.Get[int](context.Background(), rampart.Pipeline(), nil)
	if !errors.Is(err, rampart.ErrNilFunc) {
		t.Fatalf("Get with nil function = %v", err)
	}
	for n := range 3 {
		policies := make([]rampart.Policy, n)
		for i := range policies {
			policies[i] = trace{"p", new([]string)}
		}
		if err := rampart.Pipeline(policies...).Do(context.Background(), nil); !errors.Is(err, rampart.ErrNilFunc) {
			t.Fatalf("Pipeline of %d: Do with nil function = %v", n, err)
		}
	}
	if err := (rampart.Next{}).Run(context.Background()); !errors.Is(err, rampart.ErrNilFunc) {
		t.Fatalf("zero Next: Run = %v", err)
	}
}

// probe is a policy that records what its Next says of the call's result,
// and forks and adopts as a hedging policy would.
type probe struct{ saw *[]bool }

func (p probe) Execute(ctx context.Context, next rampart.Next) error {
	_, ok := next.Result()
	if ok != next.HasResult() {
		return fmt.Errorf("Result ok = %v but HasResult = %v", ok, next.HasResult())
	}
	*p.saw = append(*p.saw, next.HasResult())
	fork := next.Fork()
	err := fork.Run(ctx)
	next.Adopt(fork)
	return err
}

func TestResultMethodsAtEveryDepth(t *testing.T) {
	for depth := 1; depth <= 3; depth++ {
		var saw []bool
		policies := make([]rampart.Policy, depth)
		for i := range policies {
			policies[i] = probe{&saw}
		}
		p := rampart.Pipeline(policies...)
		runs := 0
		if err := p.Do(context.Background(), func(context.Context) error { runs++; return nil }); err != nil {
			t.Fatalf("depth %d: Do = %v", depth, err)
		}
		if runs != 1 || len(saw) != depth || slices.Contains(saw, true) {
			t.Fatalf("depth %d: Do ran the function %d times; HasResult at each policy = %v, want all false", depth, runs, saw)
		}
		saw = nil
		v, err := rampart.Get(context.Background(), p, func(context.Context) (int, error) { return 5, nil })
		if err != nil || v != 5 {
			t.Fatalf("depth %d: Get = %v, %v; want 5, nil", depth, v, err)
		}
		if len(saw) != depth || slices.Contains(saw, false) {
			t.Fatalf("depth %d: HasResult under Get at each policy = %v, want all true", depth, saw)
		}
	}
}

// replace is a policy that puts v in place of any failure.
type replace struct{ v any }

func (p replace) Execute(ctx context.Context, next rampart.Next) error {
	if err := next.Run(ctx); err == nil {
		return nil
	}
	return next.SetResult(p.v)
}

func TestSetResultReplacesTypedResult(t *testing.T) {
	p := rampart.Pipeline(replace{[]string{"popular"}})
	got, err := rampart.Get(context.Background(), p, func(context.Context) ([]string, error) {
		return nil, errors.New("down")
	})
	if err != nil || len(got) != 1 || got[0] != "popular" {
		t.Fatalf("Get = %v, %v", got, err)
	}
}

func TestSetResultRejectsWrongType(t *testing.T) {
	_, err := rampart.Get(context.Background(), replace{42}, func(context.Context) (string, error) {
		return "", errors.New("down")
	})
	var te *rampart.ResultTypeError
	if !errors.As(err, &te) || te.Got != "int" || te.Want != "string" {
		t.Fatalf("err = %v, want ResultTypeError int→string", err)
	}
}

func TestSetResultUnderDoIsNoop(t *testing.T) {
	err := rampart.Do(context.Background(), replace{42}, func(context.Context) error { return errors.New("down") })
	if err != nil {
		t.Fatalf("Do = %v, want nil", err)
	}
}

// race runs two attempts on forks and adopts the second's result.
type race struct{}

func (race) Execute(ctx context.Context, next rampart.Next) error {
	a, b := next.Fork(), next.Fork()
	ea := a.Run(rampart.WithAttempt(ctx, rampart.Attempt{Number: 1}))
	eb := b.Run(rampart.WithAttempt(ctx, rampart.Attempt{Number: 2, Hedge: true}))
	if va, _ := a.Result(); va == nil {
		return errors.New("fork a has no result")
	}
	next.Adopt(b)
	return errors.Join(ea, eb)
}

func TestForkGivesEachAttemptItsOwnResult(t *testing.T) {
	got, err := rampart.Get(context.Background(), race{}, func(ctx context.Context) (int, error) {
		return rampart.AttemptFrom(ctx).Number * 10, nil
	})
	if err != nil || got != 20 {
		t.Fatalf("Get = %v, %v; want the adopted fork's 20", got, err)
	}
}

func TestAttemptDefaultsToFirst(t *testing.T) {
	a := rampart.AttemptFrom(context.Background())
	if a != (rampart.Attempt{Number: 1}) {
		t.Fatalf("AttemptFrom(background) = %+v", a)
	}
	ctx := rampart.WithAttempt(context.Background(), rampart.Attempt{Number: 3, Retry: true})
	if a := rampart.AttemptFrom(ctx); a.Number != 3 || !a.Retry || a.Hedge {
		t.Fatalf("AttemptFrom = %+v", a)
	}
}

func TestClassify(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	other := errors.New("boom")
	cases := []struct {
		name string
		ctx  context.Context
		err  error
		want rampart.Outcome
	}{
		{"nil is success", live, nil, rampart.Success},
		{"error is failure", live, other, rampart.Failure},
		{"caller cancelled is ignored", cancelled, context.Canceled, rampart.Ignored},
		{"wrapped caller cancellation is ignored", cancelled, fmt.Errorf("get: %w", context.Canceled), rampart.Ignored},
		{"cancellation not caused by the caller is failure", live, context.Canceled, rampart.Failure},
		{"inner deadline is failure", live, context.DeadlineExceeded, rampart.Failure},
		{"other error after caller left is failure", cancelled, other, rampart.Failure},
	}
	for _, c := range cases {
		if got := rampart.Classify(c.ctx, c.err); got != c.want {
			t.Errorf("%s: Classify = %v, want %v", c.name, got, c.want)
		}
	}
	custom := func(context.Context, error) rampart.Outcome { return rampart.Ignored }
	if got := rampart.ClassifyWith(custom, live, other); got != rampart.Ignored {
		t.Errorf("ClassifyWith(custom) = %v", got)
	}
	if got := rampart.ClassifyWith(nil, live, other); got != rampart.Failure {
		t.Errorf("ClassifyWith(nil) = %v", got)
	}
	if s := rampart.Outcome(9).String(); s != "outcome(9)" {
		t.Errorf("String = %q", s)
	}
}

func TestPermanent(t *testing.T) {
	if rampart.Permanent(nil) != nil {
		t.Fatal("Permanent(nil) != nil")
	}
	err := fmt.Errorf("op: %w", rampart.Permanent(io.ErrUnexpectedEOF))
	if !rampart.IsPermanent(err) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("IsPermanent=%v Is(EOF)=%v", rampart.IsPermanent(err), errors.Is(err, io.ErrUnexpectedEOF))
	}
	if rampart.IsPermanent(io.ErrUnexpectedEOF) {
		t.Fatal("plain error is permanent")
	}
	if err.Error() != "op: unexpected EOF" {
		t.Fatalf("message = %q", err.Error())
	}
}

type throttled struct{}

func (throttled) Error() string             { return "throttled" }
func (throttled) RetryAfter() time.Duration { return 3 * time.Second }

func TestRetryAfter(t *testing.T) {
	if rampart.WithRetryAfter(nil, time.Second) != nil {
		t.Fatal("WithRetryAfter(nil) != nil")
	}
	err := fmt.Errorf("get: %w", rampart.WithRetryAfter(io.EOF, 2*time.Second))
	if d, ok := rampart.RetryAfter(err); !ok || d != 2*time.Second {
		t.Fatalf("RetryAfter = %v, %v", d, ok)
	}
	if !errors.Is(err, io.EOF) {
		t.Fatal("hint hides the cause")
	}
	if d, ok := rampart.RetryAfter(fmt.Errorf("x: %w", throttled{})); !ok || d != 3*time.Second {
		t.Fatalf("RetryAfter(method) = %v, %v", d, ok)
	}
	if _, ok := rampart.RetryAfter(io.EOF); ok {
		t.Fatal("hint found on plain error")
	}
}

func TestConfigErrorNamesField(t *testing.T) {
	err := error(&rampart.ConfigError{Package: "retry", Field: "MaxAttempts", Reason: "must be >= 1, got 0"})
	if !errors.Is(err, rampart.ErrInvalidConfig) {
		t.Fatal("ConfigError does not match ErrInvalidConfig")
	}
	if got := err.Error(); got != "retry: invalid config: MaxAttempts must be >= 1, got 0" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestSlogObserverWritesStructuredRecord(t *testing.T) {
	var buf strings.Builder
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	o := rampart.SlogObserver(l)
	o.Observe(rampart.Event{Kind: rampart.EventStateChange, Policy: "recs", From: "closed", To: "open",
		Reason: "failure_rate", Calls: 20, Failures: 11, Err: io.EOF})
	o.Observe(rampart.Event{Kind: rampart.EventRetryScheduled, Policy: "recs", Attempt: 2, Delay: 150 * time.Millisecond})
	got := buf.String()
	for _, want := range []string{
		`level=WARN msg="rampart state_change" policy=recs event=state_change from=closed to=open reason=failure_rate calls=20 failures=11 slow=0 error=EOF`,
		`level=INFO msg="rampart retry_scheduled" policy=recs event=retry_scheduled attempt=2 delay=150ms`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q\ngot:\n%s", want, got)
		}
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func TestEventKindString(t *testing.T) {
	if s := rampart.EventFallbackUsed.String(); s != "fallback_used" {
		t.Fatalf("String = %q", s)
	}
	if s := rampart.EventInjected.String(); s != "injected" {
		t.Fatalf("EventInjected.String() = %q", s)
	}
	if s := rampart.EventKind(200).String(); s != "event(200)" {
		t.Fatalf("String = %q", s)
	}
}

func TestPanicPropagatesThroughPipeline(t *testing.T) {
	var log []string
	p := rampart.Pipeline(trace{"a", &log})
	defer func() {
		if r := recover(); r != "kaboom" {
			t.Fatalf("recovered %v, want kaboom", r)
		}
	}()
	_ = p.Do(context.Background(), func(context.Context) error { panic("kaboom") })
	t.Fatal("panic swallowed")
}
