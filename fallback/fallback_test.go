package fallback_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/fallback"
)

var errDown = errors.New("recommendations: 503")

func fail[T any](context.Context) (T, error) {
	var zero T
	return zero, errDown
}

func must[T any](p T, err error) T {
	if err != nil {
		panic(err)
	}
	return p
}

func TestValueReplacesFailureAndReports(t *testing.T) {
	var events []rampart.Event
	p := must(fallback.Value([]string{"popular"}, fallback.Config{Name: "popular",
		Observers: []rampart.Observer{rampart.ObserverFunc(func(e rampart.Event) { events = append(events, e) })}}))
	var rep fallback.Report
	ctx := fallback.WithReport(context.Background(), &rep)
	got, err := rampart.Get(ctx, p, fail[[]string])
	if err != nil || len(got) != 1 || got[0] != "popular" {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if !rep.Used || rep.Policy != "popular" || rep.Source != fallback.SourceValue || !errors.Is(rep.Cause, errDown) {
		t.Fatalf("report = %+v", rep)
	}
	if len(events) != 1 || events[0].Kind != rampart.EventFallbackUsed || events[0].Reason != "value" {
		t.Fatalf("events = %+v", events)
	}
}

func TestSuccessPassesThroughUntouched(t *testing.T) {
	p := must(fallback.Value(0, fallback.Config{}))
	var rep fallback.Report
	got, err := rampart.Get(fallback.WithReport(context.Background(), &rep), p, func(context.Context) (int, error) { return 5, nil })
	if got != 5 || err != nil || rep.Used {
		t.Fatalf("Get = %v, %v, report %+v", got, err, rep)
	}
}

func TestCallerCancellationIsNotHandled(t *testing.T) {
	p := must(fallback.Value("stand-in", fallback.Config{}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := rampart.Get(ctx, p, func(ctx context.Context) (string, error) { return "", ctx.Err() })
	if !errors.Is(err, context.Canceled) || got != "" {
		t.Fatalf("Get = %q, %v; the caller left, no stand-in wanted", got, err)
	}
}

func TestHandleChoosesWhichFailures(t *testing.T) {
	p := must(fallback.Value(-1, fallback.Config{Handle: func(_ context.Context, err error) bool {
		return errors.Is(err, io.EOF)
	}}))
	if got, err := rampart.Get(context.Background(), p, func(context.Context) (int, error) { return 0, io.EOF }); got != -1 || err != nil {
		t.Fatalf("handled: %v, %v", got, err)
	}
	if _, err := rampart.Get(context.Background(), p, fail[int]); !errors.Is(err, errDown) {
		t.Fatalf("unhandled: %v", err)
	}
}

func TestFuncSeesCauseAndMayFail(t *testing.T) {
	p := must(fallback.Func(func(ctx context.Context, err error) (string, error) {
		if errors.Is(err, errDown) {
			return "from secondary", nil
		}
		return "", errors.New("secondary down too")
	}, fallback.Config{Name: "secondary"}))
	got, err := rampart.Get(context.Background(), p, fail[string])
	if got != "from secondary" || err != nil {
		t.Fatalf("Get = %q, %v", got, err)
	}
	_, err = rampart.Get(context.Background(), p, func(context.Context) (string, error) { return "", io.EOF })
	var fe *fallback.Error
	if !errors.As(err, &fe) || !errors.Is(err, io.EOF) || fe.Policy != "secondary" {
		t.Fatalf("err = %v; want fallback.Error reaching both errors", err)
	}
}

func TestFuncRejectsNil(t *testing.T) {
	_, err := fallback.Func[int](nil, fallback.Config{})
	var ce *rampart.ConfigError
	if !errors.As(err, &ce) || ce.Field != "fn" {
		t.Fatalf("err = %v", err)
	}
}

func TestWrongResultTypeIsAnError(t *testing.T) {
	p := must(fallback.Value(42, fallback.Config{}))
	_, err := rampart.Get(context.Background(), p, fail[string])
	var te *rampart.ResultTypeError
	if !errors.As(err, &te) || !errors.Is(err, errDown) {
		t.Fatalf("err = %v; want ResultTypeError and the cause", err)
	}
}

func TestDoTurnsFailureIntoSuccess(t *testing.T) {
	p := must(fallback.Value(struct{}{}, fallback.Config{}))
	if err := p.Do(context.Background(), func(context.Context) error { return errDown }); err != nil {
		t.Fatalf("Do = %v", err)
	}
}

func TestLastGoodServesPerKeyWithinMaxAge(t *testing.T) {
	clock := rampart.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	p := must(fallback.LastGood[[]string](fallback.CacheConfig{MaxAge: time.Minute, Clock: clock}))
	alice := fallback.WithKey(context.Background(), "alice")
	bob := fallback.WithKey(context.Background(), "bob")

	if _, err := rampart.Get(alice, p, func(context.Context) ([]string, error) { return []string{"a1"}, nil }); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	var rep fallback.Report
	got, err := rampart.Get(fallback.WithReport(alice, &rep), p, fail[[]string])
	if err != nil || len(got) != 1 || got[0] != "a1" {
		t.Fatalf("alice from cache = %v, %v", got, err)
	}
	if rep.Source != fallback.SourceCache || rep.Age != 30*time.Second || rep.Policy != "last-good" {
		t.Fatalf("report = %+v", rep)
	}
	if _, err := rampart.Get(bob, p, fail[[]string]); !errors.Is(err, errDown) {
		t.Fatalf("bob has no entry: err = %v", err)
	}
	clock.Advance(31 * time.Second)
	if _, err := rampart.Get(alice, p, fail[[]string]); !errors.Is(err, errDown) {
		t.Fatalf("stale entry served: err = %v", err)
	}
}

func TestLastGoodEvictsBeyondMaxKeys(t *testing.T) {
	p := must(fallback.LastGood[int](fallback.CacheConfig{MaxKeys: 2}))
	for i := range 3 {
		ctx := fallback.WithKey(context.Background(), fmt.Sprint(i))
		if _, err := rampart.Get(ctx, p, func(context.Context) (int, error) { return i, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if p.Len() != 2 {
		t.Fatalf("Len = %d, want 2", p.Len())
	}
	if _, err := rampart.Get(fallback.WithKey(context.Background(), "0"), p, fail[int]); !errors.Is(err, errDown) {
		t.Fatalf("evicted key served: %v", err)
	}
	if v, err := rampart.Get(fallback.WithKey(context.Background(), "2"), p, fail[int]); v != 2 || err != nil {
		t.Fatalf("newest key = %v, %v", v, err)
	}
}

func TestChainFallsThroughCacheToValue(t *testing.T) {
	cache := must(fallback.LastGood[string](fallback.CacheConfig{}))
	popular := must(fallback.Value("popular", fallback.Config{Name: "popular"}))
	p := rampart.Pipeline(popular, cache)
	var rep fallback.Report
	ctx := fallback.WithReport(fallback.WithKey(context.Background(), "k"), &rep)
	if got, _ := rampart.Get(ctx, p, fail[string]); got != "popular" || rep.Policy != "popular" {
		t.Fatalf("empty cache: got %q, report %+v", got, rep)
	}
	if _, err := rampart.Get(ctx, p, func(context.Context) (string, error) { return "fresh", nil }); err != nil {
		t.Fatal(err)
	}
	rep = fallback.Report{}
	if got, _ := rampart.Get(ctx, p, fail[string]); got != "fresh" || rep.Source != fallback.SourceCache {
		t.Fatalf("warm cache: got %q, report %+v", got, rep)
	}
}

func TestLastGoodRejectsBadConfig(t *testing.T) {
	for field, c := range map[string]fallback.CacheConfig{
		"MaxAge":  {MaxAge: -time.Second},
		"MaxKeys": {MaxKeys: -1},
	} {
		_, err := fallback.LastGood[int](c)
		var ce *rampart.ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: err = %v", field, err)
		}
	}
}

func TestCacheConfigJSON(t *testing.T) {
	var c fallback.CacheConfig
	if err := json.Unmarshal([]byte(`{"name":"recs-cache","max_age":"2m","max_keys":100}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.MaxAge != 2*time.Minute || c.MaxKeys != 100 || c.Name != "recs-cache" {
		t.Fatalf("decoded %+v", c)
	}
	b, _ := json.Marshal(c)
	if string(b) != `{"name":"recs-cache","max_age":"2m0s","max_keys":100}` {
		t.Fatalf("encoded %s", b)
	}
}

func TestPanicIsNotReplaced(t *testing.T) {
	p := must(fallback.Value("stand-in", fallback.Config{}))
	defer func() {
		if r := recover(); r != "kaboom" {
			t.Fatalf("recovered %v", r)
		}
	}()
	_, _ = rampart.Get(context.Background(), p, func(context.Context) (string, error) { panic("kaboom") })
	t.Fatal("panic swallowed by fallback")
}

func TestLastGoodConcurrentUse(t *testing.T) {
	p := must(fallback.LastGood[int](fallback.CacheConfig{MaxKeys: 8}))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				ctx := fallback.WithKey(context.Background(), fmt.Sprint((g+i)%12))
				if i%3 == 0 {
					_, _ = rampart.Get(ctx, p, fail[int])
				} else {
					_, _ = rampart.Get(ctx, p, func(context.Context) (int, error) { return i, nil })
				}
			}
		})
	}
	wg.Wait()
	if p.Len() > 8 {
		t.Fatalf("Len = %d beyond MaxKeys", p.Len())
	}
}
