package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/capture"
)

func init() {
	commands["observe"] = command{
		summary: "capture live on an interface and report, per client, whether it has DNS",
		run:     runObserve,
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
	every := fs.Duration("report-every", 0, "also rewrite the -o report every `interval` while capturing (0: only at the end)")
	clients := fs.Int("max-clients", conformance.DefaultMaxClients, "track at most `n` clients (the least recently seen is dropped)")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	rf := addReportFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ralab observe -i IF [-w capture.pcapng] [--duration D] [--format json|md|html] [-o OUT [--report-every D]]\n\n"+
			"Captures RS/RA/NS/NA, DHCPv6, DNS and DHCPv4 on IF (promiscuous), tracks every\n"+
			"client, and when the duration ends or on SIGINT/SIGTERM writes the report.\n"+
			"Needs CAP_NET_RAW.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *iface == "" || fs.NArg() > 0 {
		fmt.Fprintln(fs.Output(), "ralab observe: -i IF is required and no arguments are accepted")
		fs.Usage()
		return errUsage
	}
	if *duration < 0 || *progress < 0 || *every < 0 || *clients < 1 {
		fmt.Fprintln(fs.Output(), "ralab observe: --duration, --progress and --report-every must not be negative, --max-clients must be positive")
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
		format:   format,
		out:      *rf.out,
		log:      slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})),
	})
}

// observe captures on o.iface until ctx ends or o.duration passes, then
// writes the pcapng trailer and the report.
func observe(ctx context.Context, o observeOptions) error {
	ifi, err := net.InterfaceByName(o.iface)
	if err != nil {
		return fmt.Errorf("interface %q: %w", o.iface, err)
	}
	l, err := capture.Listen(ifi)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("%w (observe needs CAP_NET_RAW: run as root or grant the capability)", err)
		}
		return err
	}
	defer l.Close()

	var (
		pw   *capture.Writer
		file *os.File
	)
	if o.pcapng != "" {
		file, err = os.Create(o.pcapng)
		if err != nil {
			return fmt.Errorf("creating capture file: %w", err)
		}
		defer file.Close()
		if pw, err = capture.NewWriter(file, ifi.Name); err != nil {
			return err
		}
		// The header reaches the disk now: a file that exists and is not
		// empty means the capture is running.
		if err := pw.Flush(); err != nil {
			return err
		}
	}

	tr := conformance.NewTracker(conformance.Options{
		Source:     conformance.Source{Kind: conformance.SourceInterface, Name: ifi.Name},
		MaxClients: o.clients,
		Logger:     o.log,
	})
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	start := time.Now()
	o.log.Info("observing", "interface", ifi.Name, "mac", ifi.HardwareAddr.String(), "duration", o.duration.String(), "pcapng", o.pcapng)

	done := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		observeProgress(o, l, tr, done)
	}()
	lastFlush := start
	runErr := l.Run(ctx, func(p capture.Packet) error {
		if pw != nil {
			if err := pw.WritePacket(p); err != nil {
				return err
			}
			// Keep the file current for a reader following it, at
			// most one flush a second.
			if p.Time.Sub(lastFlush) >= time.Second {
				if err := pw.Flush(); err != nil {
					return err
				}
				lastFlush = p.Time
			}
		}
		// A malformed frame is counted and reported by the tracker; it
		// is not a reason to stop.
		_, _ = tr.ObserveFrame(p.Data, p.Time)
		return nil
	})
	close(done)
	<-progressDone
	end := time.Now()

	st, statsErr := l.Stats()
	if statsErr != nil {
		o.log.Warn("reading capture statistics", "err", statsErr)
	}
	if st.KernelDrops > 0 {
		o.log.Warn("the kernel dropped frames: the report may miss packets", "dropped", st.KernelDrops)
	}
	if pw != nil {
		err := pw.WriteStats(st, start, end)
		if err == nil {
			err = pw.Flush()
		}
		if err == nil {
			err = file.Close()
		}
		if err != nil {
			return errors.Join(runErr, fmt.Errorf("writing %s: %w", o.pcapng, err))
		}
	}
	if runErr != nil {
		return fmt.Errorf("capturing on %s: %w", ifi.Name, runErr)
	}

	r := liveReport(tr, st, end)
	o.log.Info("capture finished", "packets", st.Packets, "kernel_drops", st.KernelDrops,
		"clients", len(r.Clients), "routers", len(r.Routers), "dns_ok", r.Summary.DNSOK, "dns_lost", r.Summary.DNSLost,
		"no_dns", r.Summary.NoDNS, "inconclusive", r.Summary.Inconclusive)
	return writeReport(os.Stdout, o.out, o.format, r)
}

// observeProgress logs what the capture has seen every o.progress, and
// rewrites the report every o.every, until done closes.
func observeProgress(o observeOptions, l *capture.Listener, tr *conformance.Tracker, done <-chan struct{}) {
	var progress, rewrite <-chan time.Time
	if o.progress > 0 {
		t := time.NewTicker(o.progress)
		defer t.Stop()
		progress = t.C
	}
	if o.every > 0 {
		t := time.NewTicker(o.every)
		defer t.Stop()
		rewrite = t.C
	}
	for {
		select {
		case <-done:
			return
		case now := <-progress:
			st, err := l.Stats()
			if err != nil {
				o.log.Warn("reading capture statistics", "err", err)
			}
			r := tr.Report(now)
			o.log.Info("progress", "packets", st.Packets, "kernel_drops", st.KernelDrops,
				"clients", len(r.Clients), "routers", len(r.Routers), "dns_ok", r.Summary.DNSOK,
				"dns_lost", r.Summary.DNSLost, "no_dns", r.Summary.NoDNS, "inconclusive", r.Summary.Inconclusive)
		case now := <-rewrite:
			st, err := l.Stats()
			if err != nil {
				o.log.Warn("reading capture statistics", "err", err)
			}
			if err := writeReport(nil, o.out, o.format, liveReport(tr, st, now)); err != nil {
				o.log.Warn("rewriting the report", "err", err)
			}
		}
	}
}

// checkCapture is the finding id for problems of the capture itself.
const checkCapture = "CAPTURE"

// liveReport is the tracker's report at now, with a link-level finding
// when the kernel dropped frames: verdicts may then miss packets.
func liveReport(tr *conformance.Tracker, st capture.Stats, now time.Time) *conformance.Report {
	r := tr.Report(now)
	if st.KernelDrops > 0 {
		r.Findings = append(r.Findings, conformance.Finding{
			ID:       checkCapture,
			Severity: conformance.SeverityWarning,
			Time:     now,
			Evidence: []conformance.Evidence{},
			Message: fmt.Sprintf("the kernel dropped %d frames because the capture socket's buffer was full: "+
				"verdicts may rest on an incomplete capture", st.KernelDrops),
		})
	}
	return r
}
