// Command ralab is an IPv6 lab daemon: it sends Router Advertisements,
// answers stateless DHCPv6, observes clients and reports, per client,
// whether and how they got DNS.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one ralab subcommand. Each lives in its own file and registers
// itself in commands from an init function. Its help text, the manual page
// and the shell completions are all written from these fields and from the
// flags its run function defines (see help.go).
type command struct {
	// summary is the one-line description shown by "ralab help".
	summary string
	// synopsis holds the forms of the command line after "ralab NAME",
	// one per line.
	synopsis []string
	// description explains the command; paragraphs are separated by an
	// empty line.
	description string
	// examples are typical command lines with what each does.
	examples []example
	// positional is what the arguments after the flags are, for the shell
	// completion: "file", "command" or "" (none).
	positional string
	// run executes the command with its arguments (after the command name).
	// It returns errUsage for bad flags, which exits with status 2.
	run func(ctx context.Context, args []string) error
}

// example is one command line of a command's help, with what it does.
type example struct {
	cmd  string
	what string
}

// commands maps a subcommand name to its implementation.
var commands = map[string]command{}

// errUsage reports a command-line usage error; the flag package has
// already printed the details.
var errUsage = errors.New("usage error")

// errFailOn reports that analyze found a verdict named by --fail-on; the
// report has been written and the exit status is 1 without a message.
var errFailOn = errors.New("a client has a verdict named by --fail-on")

func main() {
	os.Exit(runMain(os.Args[1:]))
}

func runMain(args []string) int {
	if len(args) == 0 {
		usage(os.Stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "-help":
		usage(os.Stdout)
		return 0
	case "--version", "-version":
		args = []string{"version"}
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "ralab: unknown command %q\n\n", args[0])
		usage(os.Stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.run(ctx, args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errFailOn):
		return 1
	}
	fmt.Fprintf(os.Stderr, "ralab %s: %v\n", args[0], err)
	return 1
}

// usage writes the list of commands.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ralab <command> [flags]\n       ralab --version\n\ncommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"ralab help <command>\" or \"ralab <command> --help\" for a command's flags and examples.")
}

// newFlagSet returns a flag set for a subcommand that reports errors
// instead of exiting and prints the command's help (help.go) for --help.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("ralab "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() { writeCommandHelp(fs.Output(), name, fs) }
	if flagSetHook != nil {
		flagSetHook(fs)
	}
	return fs
}

// parseFlags parses args into fs and maps a parse failure to errUsage.
// --help prints the help to standard output and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--help" || a == "-help" {
			if flagSetHook == nil {
				fs.SetOutput(os.Stdout)
			}
			fs.Usage()
			return flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	return nil
}
