package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/ralab/ralab/conformance"
)

func init() {
	commands["analyze"] = command{
		summary:  "analyse a pcap or pcapng capture: per client, did it get DNS?",
		synopsis: []string{"FILE [--format json|md|html] [-o OUT] [--at TIME] [--outage-grace D] [--fail-on VERDICT,...]"},
		description: "Reads a pcap or pcapng capture, gzip-compressed or not (Ethernet, Linux\n" +
			"cooked SLL/SLL2 or raw IP; FILE - is standard input) and\n" +
			"reports, per client, how it got DNS and whether it kept it, with the failure\n" +
			"ids (F1-F17) and checks (R, C, N) of docs/field-guide.md and the packet\n" +
			"numbers of the evidence.\n\n" +
			"--at takes an RFC 3339 time, a time of day on the capture's date (10:02:00,\n" +
			"10:02:00.5, as the reports print it) or an offset from the first packet\n" +
			"(+75s, +2m30s).\n\n" +
			"For CI and scripts: with --fail-on, the exit status is 1 when any client's\n" +
			"verdict is one of the listed ones (the report is still written), 0 when\n" +
			"none is, and 2 for a usage or input error.",
		examples: []example{
			{"ralab analyze wifi.pcapng", "the report as Markdown"},
			{"ralab analyze wifi.pcapng -o wifi.html --at 10:02:00", "an HTML report as of 10:02 on the capture's date"},
			{"ralab analyze wifi.pcapng --format json --fail-on dns-lost,no-dns > r.json", "gate a CI job: exit 1 when a client lost or never had DNS"},
		},
		positional: "file",
		run:        runAnalyze,
	}
}

// runAnalyze implements "ralab analyze FILE [--format F] [-o OUT] [--at T]
// [--fail-on V,...]".
func runAnalyze(_ context.Context, args []string) error {
	fs := newFlagSet("analyze")
	rf := addReportFlags(fs)
	grace := fs.Duration("outage-grace", conformance.DefaultOutageGrace,
		"a lapse of a client's DNS shorter than this `duration` is no outage (0s: every lapse counts)")
	atFlag := fs.String("at", "",
		"report as of `time`: RFC 3339, a UTC time of day on the capture's date (10:02:00) or an offset from the first packet (+75s); later packets are ignored (default: the end of the capture, as its interface statistics record it, else its last packet)")
	failOn := fs.String("fail-on", "",
		"exit with status 1 when a client's verdict is one of `verdicts` (comma-separated: dns-lost, no-dns, inconclusive)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(fs.Output(), "ralab analyze: want exactly one capture FILE (see ralab analyze --help)")
		return errUsage
	}
	format, err := chooseFormat(*rf.format, *rf.out)
	if err != nil {
		fmt.Fprintf(fs.Output(), "ralab analyze: --format: %v\n", err)
		return errUsage
	}
	gate, err := parseFailOn(*failOn)
	if err != nil {
		fmt.Fprintf(fs.Output(), "ralab analyze: --fail-on: %v\n", err)
		return errUsage
	}
	path := pos[0]
	at, err := resolveAt(*atFlag, path)
	if err != nil {
		fmt.Fprintf(fs.Output(), "ralab analyze: --at %q: %v\n", *atFlag, err)
		return errUsage
	}
	var src io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("reading capture: %w", err)
		}
		defer f.Close()
		src = f
	}
	// A batch run over one file: trading a few tens of MB of heap for
	// less garbage collection cuts its CPU time by about a sixth.
	debug.SetGCPercent(analyzeGCPercent)
	r, err := conformance.AnalyzeWith(src, conformance.AnalyzeOptions{At: at,
		Tracker: conformance.Options{OutageGrace: conformance.GraceOption(*grace)}})
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
	r.Generator = readBuildInfo().String()
	if err := writeReport(os.Stdout, *rf.out, format, r); err != nil {
		return err
	}
	return gate.check(r)
}

// analyzeGCPercent is the garbage collector's target while ralab analyze
// reads a capture (runtime/debug.SetGCPercent; the default is 100): the
// tracker's memory is bounded by clients, so this bounds the heap too.
const analyzeGCPercent = 400

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
