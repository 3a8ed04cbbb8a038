package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/rampart-go/rampart/cmd/rampart/internal/demo"
)

func init() {
	commands["demo"] = func(args []string) error {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return runDemo(ctx, args, os.Stdout, os.Stderr)
	}
}

// The accepted range of -duration and -shoppers: the one in which the
// summary's claims hold on a loaded two-core machine. Shorter timelines
// leave the breaker too little time to close again within its bound
// (1s failed it), a single shopper too few outage pages to spread the
// breaker's probes over (4s and 8s failed the attempts-per-page bound),
// and the surge too short to outlast its ramp (8s failed the admitted
// latency bound). The surge brings five times the shoppers: past 12, it
// brings more than the machine can serve, and the whole machine, not the
// recommendations service, slows down (16 and 20 shoppers failed the
// admitted latency bound, 50 the page p99 too).
const (
	minDemoDuration = 10 * time.Second
	maxShoppers     = 12
)

// errClaimsFailed is returned when the demo ran but a claim of its summary
// did not hold.
var errClaimsFailed = errors.New("demo: some claims did not hold")

// runDemo is the demo command: a storefront that keeps selling while its
// recommendations service slows down, fails and recovers.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", demo.DefaultDuration, "length of the fault timeline; every phase scales with it")
	seed := fs.Uint64("seed", 1, "seed for the shoppers' choices and the services' jitter")
	shoppers := fs.Int("shoppers", 12, "number of simulated shoppers (five times as many during the surge)")
	asJSON := fs.Bool("json", false, "write the summary as one JSON object on stdout (progress goes to stderr)")
	serve := fs.Bool("serve", false, "keep the storefront running after the timeline, for a browser")
	addr := fs.String("addr", "", "the storefront's listen `address` (default a free port on 127.0.0.1)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: rampart demo [-duration 40s] [-seed N] [-shoppers N] [-json] [-serve] [-addr host:port]")
		fmt.Fprintln(stderr, "\nA storefront on loopback keeps serving product pages while a surge of shoppers")
		fmt.Fprintln(stderr, "overloads its recommendations service, which sheds the excess, and while the")
		fmt.Fprintln(stderr, "service turns slow, fails and recovers; rampart degrades the recommendations")
		fmt.Fprintln(stderr, "(fresh, cached, popular, hidden) and the summary checks the claims.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("demo takes no arguments, got %q", fs.Args())
	}
	if *duration < minDemoDuration {
		return usagef("demo: -duration must be at least %v, got %v", minDemoDuration, *duration)
	}
	if *shoppers < 1 || *shoppers > maxShoppers {
		return usagef("demo: -shoppers must be in [1, %d], got %d", maxShoppers, *shoppers)
	}

	progress := stdout
	if *asJSON {
		progress = stderr
	}
	d, err := demo.Start(demo.Config{Duration: *duration, Seed: *seed, Shoppers: *shoppers, Progress: progress, Controls: *serve, Addr: *addr})
	if err != nil {
		return err
	}
	defer d.Close()
	sum, err := d.Run(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("demo: interrupted before the end of the timeline")
		}
		return err
	}
	if *asJSON {
		err = sum.WriteJSON(stdout)
	} else {
		err = sum.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if *serve {
		fmt.Fprintf(progress, "\nstorefront still running: open %s/product/1 in a browser (Ctrl-C to stop)\n", d.URL())
		<-ctx.Done()
	}
	if !sum.OK {
		return errClaimsFailed
	}
	return nil
}
