// Command rampart runs rampart's tools: the storm simulator (rampart sim)
// and the storefront demo (rampart demo).
//
//	rampart sim -compare capacity-drop -svg storm.svg
//	rampart demo
//
// Run "rampart help" for the list of commands and "rampart CMD -h" for the
// flags of one.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
)

// commands maps each subcommand's name to its entry point, which receives
// the arguments after the name. Each subcommand registers itself from an
// init function in its own file, so adding one touches no other file.
var commands = map[string]func(args []string) error{}

// errUsage marks an error in the command line: main prints it with the
// usage and exits with status 2.
var errUsage = errors.New("usage")

func main() {
	err := dispatch(os.Args[1:], os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "rampart:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "rampart:", err)
		os.Exit(1)
	}
}

// dispatch runs the subcommand named by args[0].
func dispatch(args []string, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return fmt.Errorf("%w: no command given", errUsage)
		}
		return nil
	}
	run, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	return run(args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: rampart COMMAND [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintln(w, "  "+name)
	}
	fmt.Fprintln(w, "\nrun \"rampart COMMAND -h\" for the flags of one command")
}
