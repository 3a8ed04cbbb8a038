package config_test

import (
	"fmt"
	"time"

	"github.com/rampart-go/rampart/internal/config"
)

type settings struct {
	Name    string        `json:"name,omitempty"`
	Timeout time.Duration `json:"timeout"`
	Hook    func()        `json:"-"`
}

func Example() {
	b, _ := config.Marshal(settings{Name: "recs", Timeout: 250 * time.Millisecond})
	fmt.Println(string(b))

	var s settings
	err := config.Unmarshal("demo", []byte(`{"timeout":"soon"}`), &s)
	fmt.Println(err)
	// Output:
	// {"name":"recs","timeout":"250ms"}
	// demo: invalid config: Timeout is not a duration: "soon"
}
