package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/lab"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/scenario"
)

func init() {
	commands["lab"] = command{
		summary: "run the scenarios against real clients in throwaway namespaces; write the compatibility matrix",
		synopsis: []string{
			"[-o DIR] [-c FILE] [--scenario NAME]... [--parallel N]",
			"--once [-o DIR] [-c FILE] [--duration D]",
			"--clean",
		},
		description: "Runs each scenario (default: all built-in ones) in a fresh lab of network\n" +
			"namespaces: \"ralab serve --scenario\" in the router namespace (bridge " + netlab.BridgeName + "),\n" +
			"every installed client (rdnssd, dhcpcd, systemd-networkd, dhclient, WIDE dhcp6c,\n" +
			"dibbler, NetworkManager, ConnMan) in its own namespace resolving names through the\n" +
			"DNS it holds; ConnMan, which solicits from ::, gets a lab and a link of its own\n" +
			"(NAME.connman.pcapng). Every lab runs at once unless --parallel says. Writes the\n" +
			"client x scenario matrix as matrix.json, matrix.md and matrix.html: per cell the\n" +
			"observer's verdict over the whole capture (exactly what \"ralab analyze\" of the\n" +
			"scenario's pcapng says, outages and recovery included), the client's real\n" +
			"resolver state over the same span, agreement (or unsettled), failure ids and\n" +
			"packets, and the verdict with client identification off; and per scenario\n" +
			"NAME.pcapng, NAME.report.json and NAME.report.html. Needs root.\n\n" +
			"Scenario names are those \"ralab impairments --scenarios\" lists; an unknown\n" +
			"name is refused, with the list, before anything runs.",
		examples: []example{
			{"ralab lab -o /tmp/m", "run every scenario; open /tmp/m/matrix.html"},
			{"ralab lab -o /tmp/m --scenario F5-rdnss-lifetime --scenario F6-rdnss-omit", "run two scenarios"},
			{"ralab lab --clean", "remove the namespaces a killed run left behind"},
		},
		run: runLab,
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
	out := fs.String("o", "",
		"write matrix.json, matrix.md, matrix.html and one pcapng per scenario to `dir` (default: a new temporary directory)")
	file := fs.String("c", "", "configuration `file` to serve (default: the built-in lab.toml)")
	var names scenarioFlags
	fs.Var(&names, "scenario", "run scenario `name` (repeatable; default: every built-in scenario)")
	var clients scenarioFlags
	fs.Var(&clients, "client",
		"accepted for older command lines and only checked: every installed client, `name` included, already runs (repeatable)")
	parallel := fs.Int("parallel", 0,
		"run `n` labs at once (default: every lab at once, as the machine's cores and memory allow)")
	once := fs.Bool("once", false,
		"no scenarios: serve the configuration once and print which clients got an address and DNS")
	dur := fs.Duration("duration", lab.DefaultDuration, "with --once, wait at most `d` for the clients")
	clean := fs.Bool("clean", false, "remove what killed lab runs left behind, then exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *dur <= 0 || *parallel < 0 || (*once && (len(names) > 0 || len(clients) > 0)) {
		fmt.Fprintln(os.Stderr,
			"ralab lab: no arguments are accepted; --duration must be positive, --parallel not negative; --once runs no scenario and takes no --client")
		return errUsage
	}
	if err := checkScenarioNames(names); err != nil {
		fmt.Fprintf(os.Stderr, "ralab lab: %v\n", err)
		return errUsage
	}
	if err := checkClientNames(clients); err != nil {
		fmt.Fprintf(os.Stderr, "ralab lab: %v\n", err)
		return errUsage
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *clean {
		cleaned, err := netlab.CleanStale(ctx, log)
		for _, p := range cleaned {
			fmt.Printf("removed stale lab %s\n", p)
		}
		return err
	}

	cfg, name, err := labConfig(*file)
	if err != nil {
		return err
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
	m, err := lab.RunScenarios(ctx, lab.ScenarioOptions{
		Config: cfg, ConfigName: name, Executable: exe, OutDir: dir,
		Scenarios: names, Parallel: *parallel, Logger: log, Progress: os.Stderr,
		Generator: readBuildInfo().String(),
	})
	if m != nil {
		if werr := m.WriteMarkdown(os.Stdout); werr != nil && err == nil {
			err = werr
		}
		fmt.Fprintf(os.Stderr,
			"ralab lab: %d cells agree, %d unsettled, %d disagree; %d verdicts depend on client knowledge; in %.0f s; matrix.html, matrix.md, matrix.json in %s\n",
			m.Agree, m.Unsettled, m.Disagree, m.KnowledgeDependent, m.ElapsedSeconds, dir)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted, labs removed: %w", err)
	}
	return err
}

// labConfig returns the configuration file the lab serves and its name:
// file, or the built-in lab.toml when file is empty.
func labConfig(file string) ([]byte, string, error) {
	if file == "" {
		return configs.Lab, configs.LabName, nil
	}
	b, err := config.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	return b, file, nil
}

// checkClientNames returns an error when one of names, given with the
// no-op --client flag, is not a client driver's name (labclient.Lookup).
func checkClientNames(names []string) error {
	for _, n := range names {
		if _, err := labclient.Lookup(n); err != nil {
			return fmt.Errorf("--client: %w", err)
		}
	}
	return nil
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

// errScenarioName reports a --scenario name that is not a built-in
// scenario.
var errScenarioName = errors.New("unknown scenario")

// scenarioNames returns the names of the built-in scenarios, baseline
// first, then by F-id.
func scenarioNames() []string {
	all, err := lab.Scenarios()
	if err != nil {
		return nil // the shipped files are tested to parse
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	return names
}

// checkScenarioNames returns an error listing the valid names when one of
// names is not a built-in scenario.
func checkScenarioNames(names []string) error {
	valid := scenarioNames()
	var bad []string
	for _, n := range names {
		if !slices.Contains(valid, n) {
			bad = append(bad, strconv.Quote(n))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w %s; the scenarios are:\n  %s", errScenarioName, strings.Join(bad, ", "),
		strings.Join(valid, "\n  "))
}

// loadScenario loads the scenario file arg or, when no such file exists
// and arg is a plain name, the built-in scenario of that name. An unknown
// name is answered with the list of built-in ones.
func loadScenario(arg string) (*scenario.Scenario, error) {
	if _, err := os.Stat(arg); err == nil || strings.ContainsAny(arg, "/.") {
		return scenario.Load(arg)
	}
	all, err := lab.Scenarios()
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		if s.Name == arg {
			return s, nil
		}
	}
	return nil, checkScenarioNames([]string{arg})
}
