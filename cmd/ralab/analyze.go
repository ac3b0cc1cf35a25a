package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ralab/ralab/conformance"
)

func init() {
	commands["analyze"] = command{
		summary: "analyse a pcap or pcapng capture: per client, did it get DNS?",
		run:     runAnalyze,
	}
}

// runAnalyze implements "ralab analyze FILE [--format F] [-o OUT]".
func runAnalyze(_ context.Context, args []string) error {
	fs := newFlagSet("analyze")
	rf := addReportFlags(fs)
	atFlag := fs.String("at", "", "report as of this RFC 3339 time (for example 2026-11-27T10:02:00Z): later packets are ignored (default: the end of the capture, as its interface statistics record it, else its last packet)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ralab analyze FILE [--format json|md|html] [-o OUT] [--at TIME]\n\n"+
			"Reads a pcap or pcapng capture, gzip-compressed or not (Ethernet, Linux\n"+
			"cooked SLL/SLL2 or raw IP; FILE - is standard input) and\n"+
			"reports, per client, how it got DNS and whether it kept it, with the\n"+
			"checks of the field guide.\n\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(fs.Output(), "ralab analyze: want exactly one capture FILE")
		fs.Usage()
		return errUsage
	}
	format, err := chooseFormat(*rf.format, *rf.out)
	if err != nil {
		fmt.Fprintf(fs.Output(), "ralab analyze: --format: %v\n", err)
		return errUsage
	}

	var at time.Time
	if *atFlag != "" {
		if at, err = time.Parse(time.RFC3339Nano, *atFlag); err != nil {
			fmt.Fprintf(fs.Output(), "ralab analyze: --at %q: want an RFC 3339 time such as 2026-11-27T10:02:00Z\n", *atFlag)
			return errUsage
		}
	}
	path := pos[0]
	var src io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("reading capture: %w", err)
		}
		defer f.Close()
		src = f
	}
	r, err := conformance.AnalyzeAt(src, at)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, f := range r.Findings {
		if f.ID == conformance.CheckCapture && f.Severity == conformance.SeverityWarning {
			fmt.Fprintf(os.Stderr, "ralab analyze: %s: warning: %s\n", path, f.Message)
		}
	}
	if r.Source.Name == "" {
		name := path
		if path == "-" {
			name = "standard input"
		}
		r.Source = conformance.Source{Kind: conformance.SourceFile, Name: name}
	}
	return writeReport(os.Stdout, *rf.out, format, r)
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("analyze FILE --format json"), and returns the positional
// ones. Everything after a "--" argument is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := args[:len(args)-len(rest)]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
