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
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: rampart demo [-duration 40s] [-seed N] [-shoppers N] [-json] [-serve]")
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
	if *duration < time.Second {
		return usagef("demo: -duration must be at least 1s, got %v", *duration)
	}
	if *shoppers < 1 || *shoppers > 200 {
		return usagef("demo: -shoppers must be in [1, 200], got %d", *shoppers)
	}

	progress := stdout
	if *asJSON {
		progress = stderr
	}
	d, err := demo.Start(demo.Config{Duration: *duration, Seed: *seed, Shoppers: *shoppers, Progress: progress, Controls: *serve})
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
