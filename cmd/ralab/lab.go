package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/internal/lab"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/netlab"
)

func init() {
	commands["lab"] = command{
		summary: "run the scenarios against real clients in throwaway namespaces; write the compatibility matrix",
		run:     runLab,
	}
}

// scenarioFlags collects repeated --scenario flags.
type scenarioFlags []string

// String returns the names joined by commas.
func (s *scenarioFlags) String() string { return strings.Join(*s, ",") }

// Set adds one name.
func (s *scenarioFlags) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// runLab implements "ralab lab [-o DIR] [-c FILE] [--scenario NAME]...
// [--parallel N]", "ralab lab --once" and "ralab lab --clean".
func runLab(ctx context.Context, args []string) error {
	fs := newFlagSet("lab")
	out := fs.String("o", "", "write matrix.json, matrix.md, matrix.html and one pcapng per scenario to `dir` (default: a new temporary directory)")
	file := fs.String("c", "", "configuration `file` to serve (default: the built-in lab.toml)")
	var names scenarioFlags
	fs.Var(&names, "scenario", "run scenario `name` (repeatable; default: every built-in scenario)")
	var extra scenarioFlags
	fs.Var(&extra, "client", "also run client `name` outside the default set: "+extraNames()+" (repeatable)")
	parallel := fs.Int("parallel", lab.DefaultParallel, "run `n` scenario labs at once")
	once := fs.Bool("once", false, "no scenarios: serve the configuration once and print which clients got an address and DNS")
	dur := fs.Duration("duration", lab.DefaultDuration, "with --once, wait at most `d` for the clients")
	clean := fs.Bool("clean", false, "remove what killed lab runs left behind, then exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ralab lab [-o DIR] [-c FILE] [--scenario NAME]... [--client NAME]... [--parallel N]\n"+
			"       ralab lab --once [-o DIR] [-c FILE] [--duration D]\n       ralab lab --clean\n\n"+
			"Runs each scenario (default: all built-in ones) in a fresh lab of network\n"+
			"namespaces: \"ralab serve --scenario\" in the router namespace (bridge "+netlab.BridgeName+"),\n"+
			"every installed client (rdnssd, dhcpcd, systemd-networkd, dhclient, WIDE dhcp6c,\n"+
			"dibbler; with --client also NetworkManager or ConnMan) in its own namespace\n"+
			"resolving names through the DNS it holds. Writes the client × scenario matrix\n"+
			"(observer verdict from the capture, the client's real resolver state, agreement,\n"+
			"failure ids and packets) as matrix.json, matrix.md and matrix.html, and each\n"+
			"scenario's pcapng and report. Needs root.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *dur <= 0 || *parallel <= 0 || (*once && (len(names) > 0 || len(extra) > 0)) {
		fs.Usage()
		return errUsage
	}
	extraClients, err := lookupExtra(extra)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *clean {
		cleaned, err := netlab.CleanStale(ctx, log)
		for _, p := range cleaned {
			fmt.Printf("removed stale lab %s\n", p)
		}
		return err
	}

	cfg, name := configs.Lab, configs.LabName
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		cfg, name = b, *file
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the ralab binary: %w", err)
	}
	if *once {
		return runLabOnce(ctx, cfg, name, exe, *out, *dur)
	}
	dir := *out
	if dir == "" {
		if dir, err = os.MkdirTemp("", "ralab-matrix-"); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "ralab lab: writing the matrix to %s\n", dir)
	m, err := lab.RunMatrix(ctx, lab.MatrixOptions{
		Config: cfg, ConfigName: name, Executable: exe, OutDir: dir,
		Scenarios: names, Extra: extraClients, Parallel: *parallel, Logger: log, Progress: os.Stderr,
	})
	if m != nil {
		if werr := m.WriteMarkdown(os.Stdout); werr != nil && err == nil {
			err = werr
		}
		fmt.Fprintf(os.Stderr, "ralab lab: %d cells agree, %d disagree; in %.0f s; matrix.html, matrix.md, matrix.json in %s\n",
			m.Agree, m.Disagree, m.ElapsedSeconds, dir)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted, labs removed: %w", err)
	}
	return err
}

// extraNames lists the clients --client accepts.
func extraNames() string {
	var names []string
	for _, c := range labclient.Extra() {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// lookupExtra returns the drivers of the --client names, which must be
// among labclient.Extra.
func lookupExtra(names []string) ([]*labclient.Client, error) {
	var out []*labclient.Client
	for _, n := range names {
		i := slices.IndexFunc(labclient.Extra(), func(c *labclient.Client) bool { return c.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("%w: --client %q: want one of %s", errUsage, n, extraNames())
		}
		if !slices.ContainsFunc(out, func(c *labclient.Client) bool { return c.Name == n }) {
			out = append(out, labclient.Extra()[i])
		}
	}
	return out, nil
}

// runLabOnce runs lab.Run: one lab serving cfg, no scenario.
func runLabOnce(ctx context.Context, cfg []byte, name, exe, out string, dur time.Duration) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	start := time.Now()
	sum, err := lab.Run(ctx, lab.Options{
		Config: cfg, ConfigName: name, Executable: exe,
		OutDir: out, Duration: dur, Logger: log,
	})
	if sum != nil && sum.Lab != "" {
		if terr := sum.WriteTable(os.Stdout); terr != nil && err == nil {
			err = terr
		}
		if out != "" {
			log.Info("results written", "dir", out, "elapsed", time.Since(start).Round(time.Second))
		}
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted, lab removed: %w", err)
	}
	return err
}
