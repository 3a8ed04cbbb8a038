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
// (1s failed it), and more shoppers push the page p99 over its bound on
// loopback (200 shoppers over 10s measured 735ms against 500ms).
const (
	minDemoDuration = 4 * time.Second
	maxShoppers     = 50
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
	shoppers := fs.Int("shoppers", 12, "number of simulated shoppers")
	asJSON := fs.Bool("json", false, "write the summary as one JSON object on stdout (progress goes to stderr)")
	serve := fs.Bool("serve", false, "keep the storefront running after the timeline, for a browser")
	addr := fs.String("addr", "", "the storefront's listen `address` (default a free port on 127.0.0.1)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: rampart demo [-duration 40s] [-seed N] [-shoppers N] [-json] [-serve] [-addr host:port]")
		fmt.Fprintln(stderr, "\nA storefront on loopback keeps serving product pages while its recommendations")
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
