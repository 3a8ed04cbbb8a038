package ctxval_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/ctxval"
)

type key struct{}
type other struct{}

func TestValueAndParent(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), other{}, "p"))
	c := ctxval.New[key](parent, 42)
	if p, ok := c.Value(key{}).(*int); !ok || *p != 42 {
		t.Fatalf("Value(key) = %v", c.Value(key{}))
	}
	if c.Value(other{}) != "p" {
		t.Fatal("the parent's value is lost")
	}
	child, stop := context.WithTimeout(c, time.Hour)
	defer stop()
	cancel()
	<-child.Done() // cancellation reaches a child derived through it
	if !strings.Contains(c.String(), "WithValue(ctxval_test.key)") {
		t.Errorf("String = %q", c.String())
	}
	if n := testing.AllocsPerRun(100, func() { _ = c.Value(key{}) }); n != 0 {
		t.Errorf("Value allocates %v times", n)
	}
}
