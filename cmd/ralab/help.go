package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

func init() {
	commands["help"] = command{
		summary:  "print the help of ralab or of one command, the manual page, the shell completion or the command table",
		synopsis: []string{"[COMMAND]", "--man", "--completion bash|zsh", "--markdown"},
		description: "Without arguments, lists the commands; with a COMMAND, prints its flags and\n" +
			"examples (the same as \"ralab COMMAND --help\"). --man writes the manual page\n" +
			"ralab(1) in roff, --completion a bash or zsh completion script and --markdown\n" +
			"the command table of the README: all of them from the same text as this help.",
		examples: []example{
			{"ralab help analyze", "the flags of analyze"},
			{"ralab help --man > /usr/local/share/man/man1/ralab.1", "install the manual page"},
			{"ralab help --completion bash > /etc/bash_completion.d/ralab", "install the bash completion"},
		},
		positional: "command",
		run:        runHelp,
	}
}

// flagSetHook, when set, is called with every flag set newFlagSet makes.
// commandFlags uses it to learn a command's flags without running it.
var flagSetHook func(*flag.FlagSet)

// commandNames returns the command names in order.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// commandFlags returns the flags of the command name, by running it with
// --help while flagSetHook captures its flag set and silences it. It
// returns an empty set for a command without flags.
func commandFlags(name string) *flag.FlagSet {
	var got *flag.FlagSet
	flagSetHook = func(fs *flag.FlagSet) {
		if got == nil {
			got = fs
		}
		fs.SetOutput(io.Discard)
	}
	defer func() { flagSetHook = nil }()
	_ = commands[name].run(context.Background(), []string{"--help"})
	if got == nil {
		got = flag.NewFlagSet("ralab "+name, flag.ContinueOnError)
	}
	return got
}

// runHelp implements "ralab help [COMMAND]", "--man", "--completion SHELL"
// and "--markdown".
func runHelp(_ context.Context, args []string) error {
	fs := newFlagSet("help")
	man := fs.Bool("man", false, "write the manual page ralab(1) in roff")
	shell := fs.String("completion", "", "write the completion script for `shell`: bash or zsh")
	md := fs.Bool("markdown", false, "write the README's command table")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *man:
		return writeMan(os.Stdout)
	case *md:
		return writeCommandTable(os.Stdout)
	case *shell == "bash":
		return writeBashCompletion(os.Stdout)
	case *shell == "zsh":
		return writeZshCompletion(os.Stdout)
	case *shell != "":
		fmt.Fprintf(os.Stderr, "ralab help: --completion %q: want bash or zsh\n", *shell)
		return errUsage
	case len(pos) == 0:
		usage(os.Stdout)
		return nil
	case len(pos) > 1:
		fmt.Fprintln(os.Stderr, "ralab help: give at most one command")
		return errUsage
	}
	if _, ok := commands[pos[0]]; !ok {
		fmt.Fprintf(os.Stderr, "ralab help: unknown command %q\n\n", pos[0])
		usage(os.Stderr)
		return errUsage
	}
	writeCommandHelp(os.Stdout, pos[0], commandFlags(pos[0]))
	return nil
}

// writeCommandHelp writes the help of the command name: its usage lines,
// description, flags in GNU style and examples.
func writeCommandHelp(w io.Writer, name string, fs *flag.FlagSet) {
	c := commands[name]
	for i, s := range synopsisLines(name) {
		lead := "usage: "
		if i > 0 {
			lead = "       "
		}
		fmt.Fprintln(w, lead+s)
	}
	fmt.Fprintf(w, "\n%s\n", c.summary)
	if c.description != "" {
		fmt.Fprintf(w, "\n%s\n", c.description)
	}
	if fl := flagList(fs); len(fl) > 0 {
		fmt.Fprintln(w, "\nflags:")
		for _, f := range fl {
			fmt.Fprintf(w, "  %s\n", f.spelling)
			fmt.Fprintf(w, "        %s\n", strings.ReplaceAll(f.usage, "\n", "\n        "))
		}
	}
	if len(c.examples) > 0 {
		fmt.Fprintln(w, "\nexamples:")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n        %s\n", e.cmd, e.what)
		}
	}
}

// synopsisLines returns "ralab NAME FORM" for each form of the command.
func synopsisLines(name string) []string {
	forms := commands[name].synopsis
	if len(forms) == 0 {
		return []string{"ralab " + name}
	}
	out := make([]string, len(forms))
	for i, f := range forms {
		out[i] = strings.TrimSpace("ralab " + name + " " + f)
	}
	return out
}

// helpFlag is one flag as the help, manual page and completions show it.
type helpFlag struct {
	// name is the flag's name without dashes.
	name string
	// dashed is "-x" for a one-letter flag and "--name" otherwise (GNU style).
	dashed string
	// value is the value's placeholder ("file"), or "" for a switch.
	value string
	// spelling is dashed and value together ("--format format").
	spelling string
	// usage is the flag's description with its default.
	usage string
}

// flagList returns fs's flags in GNU style, sorted by name.
func flagList(fs *flag.FlagSet) []helpFlag {
	var out []helpFlag
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := flag.UnquoteUsage(f)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			value = ""
		}
		hf := helpFlag{name: f.Name, dashed: "--" + f.Name, value: value, usage: usage}
		if len(f.Name) == 1 {
			hf.dashed = "-" + f.Name
		}
		hf.spelling = strings.TrimSpace(hf.dashed + " " + value)
		if !slices.Contains([]string{"", "0", "0s", "false", "[]"}, f.DefValue) &&
			!strings.Contains(usage, "(default") {
			hf.usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		out = append(out, hf)
	})
	return out
}

// writeCommandTable writes the Markdown table of the README's "Commands"
// section: per command its forms and its summary.
func writeCommandTable(w io.Writer) error {
	fmt.Fprintln(w, "| command | what it does |\n|---|---|")
	for _, n := range commandNames() {
		var forms []string
		for _, s := range synopsisLines(n) {
			forms = append(forms, "`"+strings.ReplaceAll(s, "|", `\|`)+"`")
		}
		if _, err := fmt.Fprintf(w, "| %s | %s |\n", strings.Join(forms, "<br>"),
			strings.ReplaceAll(commands[n].summary, "|", `\|`)); err != nil {
			return err
		}
	}
	return nil
}
