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

// summaries gives each command's one-line description, for the help.
var summaries = map[string]string{
	"demo": "run a storefront that keeps selling while its recommendations service fails",
	"sim":  "simulate a retry storm in virtual time and compare client policies",
}

// errUsage matches every error in the command line: main exits with status
// 2 for those, 1 for every other failure, in every command.
var errUsage = errors.New("usage error")

// usageError is an error in the command line; its text is the message
// alone.
type usageError struct{ msg string }

func (e usageError) Error() string        { return e.msg }
func (e usageError) Is(target error) bool { return target == errUsage }

// usagef returns a usage error with the formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(exitCode(dispatch(os.Args[1:], os.Stderr), os.Stderr))
}

// exitCode prints err once, if any, and returns the status to exit with: 0
// on success or help, 2 for a usage error, 1 for any other failure.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "rampart:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "rampart:", err)
		return 1
	}
}

// parseFlags parses args with fs, which must be set to ContinueOnError. It
// prints the usage for -h only; a bad flag is one usage error naming the
// command, printed once by main.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {}
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	case err != nil:
		return usagef("%s: %v (run \"rampart %s -h\" for the flags)", fs.Name(), err, fs.Name())
	}
	return nil
}

// dispatch runs the subcommand named by args[0].
func dispatch(args []string, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	run, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return usagef("unknown command %q", args[0])
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
		fmt.Fprintf(w, "  %-6s %s\n", name, summaries[name])
	}
	fmt.Fprintln(w, "\nrun \"rampart COMMAND -h\" for the flags of one command")
}
