package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/netlab"
)

// DefaultDuration is how long Run waits at most for the clients.
const DefaultDuration = 30 * time.Second

// Errors returned by Run.
var (
	// ErrOptions is returned for missing or invalid Options.
	ErrOptions = errors.New("lab: invalid options")
	// ErrNoLabInterface is returned when the configuration does not serve
	// the lab's bridge.
	ErrNoLabInterface = errors.New("lab: configuration does not serve the lab bridge " + netlab.BridgeName)
	// ErrServerExited is returned when "ralab serve" exits during the run.
	ErrServerExited = errors.New("lab: ralab serve exited")
)

// Options configures Run.
type Options struct {
	// Config is the ralab configuration to serve; it must serve the
	// interface netlab.BridgeName.
	Config []byte
	// ConfigName names Config in messages, such as "lab.toml".
	ConfigName string
	// Executable is the ralab binary run as "ralab serve -c FILE" in the
	// router namespace.
	Executable string
	// OutDir, if set, receives capture.pcapng, summary.json and the logs
	// of every process.
	OutDir string
	// Duration bounds the wait for clients; zero means DefaultDuration.
	Duration time.Duration
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Client is what one client ended up with.
type Client struct {
	// Name is the client's name, such as "rdnssd".
	Name string `json:"name"`
	// MAC is the MAC address of its host.
	MAC string `json:"mac"`
	// Addresses are its IPv6 addresses with prefix length.
	Addresses []string `json:"addresses"`
	// SLAAC is the first usable global address inside an autonomous
	// prefix of the configuration; empty if there is none.
	SLAAC string `json:"slaac,omitempty"`
	// Resolver is what its resolver state holds.
	Resolver labclient.Resolver `json:"resolver"`
	// OurServers compares its DNS servers with the configured RDNSS:
	// "yes" (the same set), "partial" (some in common) or "no".
	OurServers string `json:"our_servers"`
	// Error is set when the client's state could not be read.
	Error string `json:"error,omitempty"`
}

// Missing is a client that is not installed.
type Missing struct {
	// Name is the client's name.
	Name string `json:"name"`
	// Package is the Debian package that provides it.
	Package string `json:"package"`
}

// Summary is the result of a lab run.
type Summary struct {
	// Lab is the lab's name prefix.
	Lab string `json:"lab"`
	// Config names the configuration served.
	Config string `json:"config"`
	// RDNSS are the DNS servers the configuration advertises on the lab
	// bridge.
	RDNSS []netip.Addr `json:"rdnss"`
	// Elapsed is how long the clients were waited for.
	Elapsed string `json:"elapsed"`
	// Clients are the clients run, in start order.
	Clients []Client `json:"clients"`
	// Missing are the RA clients that are not installed.
	Missing []Missing `json:"missing,omitempty"`
}

// RAClients returns the drivers of the clients a lab run starts: those
// that take DNS from Router Advertisements.
func RAClients() []*labclient.Client {
	var out []*labclient.Client
	for _, c := range labclient.All() {
		if c.RA {
			out = append(out, c)
		}
	}
	return out
}

// served is what Run needs from the configuration.
type served struct {
	rdnss    []netip.Addr
	prefixes []netip.Prefix
}

// parseServed validates the configuration and extracts the lab bridge's
// RDNSS servers and autonomous prefixes.
func parseServed(name string, data []byte) (served, error) {
	cfg, err := config.Parse(name, data)
	if err != nil {
		return served{}, err
	}
	for _, ifc := range cfg.Interfaces {
		if ifc.Name != netlab.BridgeName {
			continue
		}
		var s served
		for _, r := range ifc.RDNSS {
			for _, a := range r.Servers {
				if !slices.Contains(s.rdnss, a) {
					s.rdnss = append(s.rdnss, a)
				}
			}
		}
		for _, p := range ifc.Prefixes {
			if p.Autonomous {
				s.prefixes = append(s.prefixes, p.Prefix)
			}
		}
		return s, nil
	}
	return served{}, fmt.Errorf("%w (%s)", ErrNoLabInterface, name)
}

// Run builds a lab, serves the configuration with "ralab serve" in the
// router namespace, starts every installed RA client in its own host
// namespace, and waits until each has a SLAAC address and DNS servers or
// the duration passes. It returns what each client ended up with. The lab
// is removed on every path; when ctx is cancelled (Ctrl-C) Run still
// reports what it saw and returns ctx's error with the summary.
func Run(ctx context.Context, opts Options) (*Summary, error) {
	if len(opts.Config) == 0 || opts.Executable == "" {
		return nil, fmt.Errorf("%w: Config and Executable are required", ErrOptions)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dur := opts.Duration
	if dur <= 0 {
		dur = DefaultDuration
	}
	srv, err := parseServed(opts.ConfigName, opts.Config)
	if err != nil {
		return nil, err
	}

	sum := &Summary{Config: opts.ConfigName, RDNSS: srv.rdnss, Clients: []Client{}}
	var clients []*labclient.Client
	for _, c := range RAClients() {
		if err := c.Available(); err != nil {
			log.Warn("client not installed", "client", c.Name, "package", c.Package)
			sum.Missing = append(sum.Missing, Missing{Name: c.Name, Package: c.Package})
			continue
		}
		clients = append(clients, c)
	}
	if opts.OutDir != "" {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
	}

	// The state directory is kept through Close so that complete logs can
	// be copied to OutDir, then removed here.
	l, err := netlab.New(ctx, netlab.Options{Logger: log, KeepDir: true})
	if err != nil {
		return nil, err
	}
	sum.Lab = l.Prefix()
	r := &runner{l: l, log: log, srv: srv, sum: sum, opts: opts}
	runErr := r.run(ctx, clients, dur)
	if err := l.Close(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if opts.OutDir != "" {
		if err := copyLogs(l.Dir(), filepath.Join(opts.OutDir, "logs")); err != nil {
			runErr = errors.Join(runErr, err)
		}
		if err := writeJSON(filepath.Join(opts.OutDir, "summary.json"), sum); err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	if err := os.RemoveAll(l.Dir()); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("lab: %w", err))
	}
	return sum, runErr
}

// runner holds the state of one Run.
type runner struct {
	l    *netlab.Lab
	log  *slog.Logger
	srv  served
	sum  *Summary
	opts Options
}

// instance is a started client.
type instance struct {
	c    *labclient.Client
	inst *labclient.Instance
}

func (r *runner) run(ctx context.Context, clients []*labclient.Client, dur time.Duration) error {
	// Processes outlive a cancelled ctx so they can be stopped in order:
	// ralab first (its final RAs are captured), the capture last.
	pctx := context.WithoutCancel(ctx)
	rtr := r.l.Router()
	var capture *netlab.Capture
	if r.opts.OutDir != "" {
		c, err := rtr.StartCapture(pctx, "capture")
		if err != nil {
			return err
		}
		capture = c
	}
	cfgPath := filepath.Join(rtr.Dir(), "ralab.toml")
	if err := os.WriteFile(cfgPath, r.opts.Config, 0o644); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	server, err := rtr.Start(pctx, "ralab-serve", r.opts.Executable, "serve", "-c", cfgPath)
	if err != nil {
		return err
	}
	r.log.Info("ralab serve started", "pid", server.PID(), "config", r.opts.ConfigName)

	var insts []instance
	for i, c := range clients {
		h, err := r.l.AddHost(ctx, c.Name, fmt.Sprintf("02:00:00:00:02:%02x", i+1))
		if err != nil {
			return err
		}
		inst, err := c.Start(pctx, h, h.IfName)
		if err != nil {
			return err
		}
		r.log.Info("client started", "client", c.Name, "mac", h.MAC.String(), "netns", h.Namespace)
		insts = append(insts, instance{c: c, inst: inst})
	}

	start := time.Now()
	waitErr := r.wait(ctx, server, insts, dur)
	r.sum.Elapsed = time.Since(start).Round(100 * time.Millisecond).String()

	gctx, cancel := context.WithTimeout(pctx, time.Minute)
	defer cancel()
	for _, in := range insts {
		r.sum.Clients = append(r.sum.Clients, r.result(gctx, in))
	}
	var errs []error
	if waitErr != nil {
		errs = append(errs, waitErr)
	}
	if err := server.Stop(); err != nil {
		errs = append(errs, err)
	}
	if capture != nil {
		path, err := capture.Stop()
		if err == nil {
			err = copyFile(path, filepath.Join(r.opts.OutDir, "capture.pcapng"))
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// pollInterval is how often wait checks the clients.
const pollInterval = 500 * time.Millisecond

// wait polls until every client has a SLAAC address and DNS servers, the
// duration passes, ctx is done or the server exits.
func (r *runner) wait(ctx context.Context, server *netlab.Process, insts []instance, dur time.Duration) error {
	deadline := time.NewTimer(dur)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	done := map[string]bool{}
	for {
		for _, in := range insts {
			if done[in.c.Name] {
				continue
			}
			res := r.result(ctx, in)
			if res.SLAAC != "" && len(res.Resolver.Servers) > 0 {
				done[in.c.Name] = true
				r.log.Info("client configured", "client", in.c.Name, "addr", res.SLAAC, "dns", res.Resolver.Addrs())
			}
		}
		if len(done) == len(insts) {
			return nil
		}
		select {
		case <-ctx.Done():
			r.log.Warn("interrupted", "err", ctx.Err())
			return ctx.Err()
		case <-server.Done():
			return fmt.Errorf("%w: %v; see %s", ErrServerExited, server.Err(), server.Stderr)
		case <-deadline.C:
			r.log.Warn("duration passed before every client was configured", "duration", dur, "configured", len(done), "clients", len(insts))
			return nil
		case <-tick.C:
		}
	}
}

// result reads what one client holds now.
func (r *runner) result(ctx context.Context, in instance) Client {
	h := in.inst.Host
	c := Client{Name: in.c.Name, MAC: h.MAC.String(), Addresses: []string{}, OurServers: "no"}
	var errs []string
	addrs, err := h.Addresses(ctx)
	if err != nil {
		errs = append(errs, err.Error())
	}
	for _, a := range addrs {
		c.Addresses = append(c.Addresses, a.Prefix.String())
		if c.SLAAC == "" && a.Global() && a.Usable() &&
			slices.ContainsFunc(r.srv.prefixes, func(p netip.Prefix) bool { return p.Contains(a.Addr()) }) {
			c.SLAAC = a.Addr().String()
		}
	}
	res, err := in.inst.Resolver()
	if err != nil {
		errs = append(errs, err.Error())
	}
	c.Resolver = res
	c.OurServers = compareServers(res.Addrs(), r.srv.rdnss)
	c.Error = strings.Join(errs, "; ")
	return c
}

// compareServers says whether held is the same set as ours ("yes"),
// shares some ("partial") or none ("no"). Zones and order are ignored;
// ours has no duplicates.
func compareServers(held, ours []netip.Addr) string {
	var set []netip.Addr
	for _, a := range held {
		if a = a.WithZone(""); !slices.Contains(set, a) {
			set = append(set, a)
		}
	}
	common := 0
	for _, a := range set {
		if slices.Contains(ours, a) {
			common++
		}
	}
	switch {
	case common == 0:
		return "no"
	case common == len(set) && common == len(ours):
		return "yes"
	default:
		return "partial"
	}
}

// WriteTable prints the summary as a table: client, MAC, SLAAC address,
// DNS servers held, whether they are the configured ones; then the
// clients that are not installed.
func (s *Summary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT\tMAC\tSLAAC ADDRESS\tDNS SERVERS HELD\tOUR SERVERS?")
	for _, c := range s.Clients {
		slaac := c.SLAAC
		if slaac == "" {
			slaac = "no"
		}
		var servers []string
		for _, a := range c.Resolver.Addrs() {
			servers = append(servers, a.String())
		}
		held := strings.Join(servers, ", ")
		if held == "" {
			held = "none"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.MAC, slaac, held, c.OurServers)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var rdnss []string
	for _, a := range s.RDNSS {
		rdnss = append(rdnss, a.String())
	}
	if _, err := fmt.Fprintf(w, "\nconfigured RDNSS (%s): %s\n", s.Config, strings.Join(rdnss, ", ")); err != nil {
		return err
	}
	for _, m := range s.Missing {
		if _, err := fmt.Fprintf(w, "not installed: %s (Debian package %s)\n", m.Name, m.Package); err != nil {
			return err
		}
	}
	return nil
}

// writeJSON writes v as indented JSON to path.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return nil
}

// copyFile copies the regular file src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	defer in.Close()
	return writeFile(dst, func(w io.Writer) error {
		if _, err := io.Copy(w, in); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		return nil
	})
}

// writeFile creates (or truncates) the file at path and writes its
// content with write, whose error it returns as is.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return nil
}

// copyLogs copies every process log (*.stdout, *.stderr) under src to
// the same relative path under dst.
func copyLogs(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || !(strings.HasSuffix(p, ".stdout") || strings.HasSuffix(p, ".stderr")) {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
}
