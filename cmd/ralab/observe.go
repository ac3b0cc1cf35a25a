package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/liveobserve"
)

func init() {
	commands["observe"] = command{
		summary:  "capture live on an interface and report, per client, whether it has DNS",
		synopsis: []string{"-i IF [-w CAPTURE.pcapng] [--duration D] [--outage-grace D] [--format json|md|html] [-o OUT [--report-every D]]"},
		description: "Captures RS/RA/NS/NA, DHCPv6, DNS and DHCPv4 on IF (promiscuous), tracks\n" +
			"every client, and when the duration ends or on SIGINT/SIGTERM writes the\n" +
			"report. Works on any link, whoever sends the RAs (ralab, radvd, a wireless\n" +
			"controller). Needs CAP_NET_RAW.",
		examples: []example{
			{"ralab observe -i eth1 -w eth1.pcapng -o eth1.html --report-every 30s", "watch eth1, keep an HTML report current"},
			{"ralab observe -i eth1 --duration 10m --format json > eth1.json", "ten minutes, then a JSON report"},
		},
		run: runObserve,
	}
}

// observeOptions are the parsed flags of "ralab observe".
type observeOptions struct {
	iface    string
	pcapng   string
	duration time.Duration
	progress time.Duration
	every    time.Duration
	clients  int
	grace    time.Duration
	format   string
	out      string
	log      *slog.Logger
}

// runObserve implements "ralab observe -i IF [-w FILE] [--duration D]
// [--format F] [-o OUT]".
func runObserve(ctx context.Context, args []string) error {
	fs := newFlagSet("observe")
	iface := fs.String("i", "", "`interface` to capture on (required)")
	pcapng := fs.String("w", "", "also write the captured frames to this pcapng `file`")
	duration := fs.Duration("duration", 0, "stop after this `duration` (default: until SIGINT or SIGTERM)")
	progress := fs.Duration("progress", 10*time.Second, "log progress every `interval` (0 turns it off)")
	every := fs.Duration("report-every", 0,
		"also rewrite the -o report every `interval` while capturing (0: only at the end)")
	grace := fs.Duration("outage-grace", conformance.DefaultOutageGrace,
		"a lapse of a client's DNS shorter than this `duration` is no outage (0s: every lapse counts)")
	clients := fs.Int("max-clients", conformance.DefaultMaxClients,
		"track at most `n` clients (the least recently seen is dropped)")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	rf := addReportFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *iface == "" || fs.NArg() > 0 {
		fmt.Fprintln(fs.Output(),
			"ralab observe: -i IF is required and no arguments are accepted (see ralab observe --help)")
		return errUsage
	}
	if *duration < 0 || *progress < 0 || *every < 0 || *clients < 1 {
		fmt.Fprintln(fs.Output(),
			"ralab observe: --duration, --progress and --report-every must not be negative, --max-clients must be positive")
		return errUsage
	}
	if *every > 0 && *rf.out == "" {
		fmt.Fprintln(fs.Output(), "ralab observe: --report-every needs -o FILE")
		return errUsage
	}
	format, err := chooseFormat(*rf.format, *rf.out)
	if err != nil {
		fmt.Fprintf(fs.Output(), "ralab observe: --format: %v\n", err)
		return errUsage
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(fs.Output(), "ralab observe: --log-level %q: want debug, info, warn or error\n", *level)
		return errUsage
	}
	return observe(ctx, observeOptions{
		iface:    *iface,
		pcapng:   *pcapng,
		duration: *duration,
		progress: *progress,
		every:    *every,
		clients:  *clients,
		grace:    *grace,
		format:   format,
		out:      *rf.out,
		log:      slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})),
	})
}

// observe captures on o.iface until ctx ends or o.duration passes, then
// writes the pcapng trailer and the report. It runs the same observer as
// "ralab serve" with [interface.observe] (package liveobserve).
func observe(ctx context.Context, o observeOptions) error {
	if _, err := net.InterfaceByName(o.iface); err != nil {
		return fmt.Errorf("interface %q: %w", o.iface, err)
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	progress := o.progress
	if progress == 0 {
		progress = -1 // liveobserve: off
	}
	c := liveobserve.Config{
		Interface:   o.iface,
		PCAPNG:      o.pcapng,
		ReportEvery: o.every,
		Progress:    progress,
		MaxClients:  o.clients,
		OutageGrace: conformance.GraceOption(o.grace),
		Logger:      o.log,
	}
	c.Generator = readBuildInfo().String()
	if o.out != "" {
		c.Outputs = []liveobserve.Output{{Path: o.out, Format: o.format}}
	}
	obs, err := liveobserve.Start(ctx, c)
	if err != nil {
		return err
	}
	<-ctx.Done()
	r, err := obs.Close()
	if err != nil {
		return fmt.Errorf("observing %s: %w", o.iface, err)
	}
	if o.out == "" {
		return writeReport(os.Stdout, "", o.format, r)
	}
	return nil
}
