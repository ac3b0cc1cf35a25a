package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/hoststate"
	"github.com/ralab/ralab/internal/httpstatus"
	"github.com/ralab/ralab/internal/supervisor"
)

func init() {
	commands["serve"] = command{
		summary: "send Router Advertisements (and stateless DHCPv6) as configured",
		synopsis: []string{
			"-c FILE [--log-level debug|info|warn|error] [--log-format text|json] [--state-dir DIR]",
			"-c FILE --scenario SCENARIO [--scenario-start now|TIME] [--scenario-hold]",
		},
		description: "The daemon. Sends Router Advertisements on every configured interface,\n" +
			"answers stateless DHCPv6 and runs the lab DNS responder where enabled, and,\n" +
			"with [interface.observe], watches each link's clients. SIGHUP re-reads FILE\n" +
			"(an invalid file is logged and the running configuration stays);\n" +
			"SIGINT/SIGTERM send final RAs and exit. With [http] address, serves /metrics,\n" +
			"/ra and the live reports at /report/<interface>.\n\n" +
			"With --scenario (a scenario file, or the name of a built-in one), each\n" +
			"phase's impairments and overrides apply to every\n" +
			"interface from the phase's start; after the scenario's duration ralab\n" +
			"sends final RAs and exits 0, or with --scenario-hold keeps serving FILE.",
		examples: []example{
			{"ralab serve -c /etc/ralab/ralab.toml", "serve as configured (see the systemd unit in the README)"},
			{"ralab serve -c ralab.toml --scenario F5-rdnss-lifetime", "reproduce F5 (RDNSS lifetime too short) on a real VLAN"},
		},
		run: runServe,
	}
}

// serveFlags are the command line of ralab serve.
type serveFlags struct {
	file, scenario, stateDir string
	hold                     bool
	log                      *slog.Logger
	// start is when the scenario starts.
	start time.Time
}

// parseServeFlags reads the command line of ralab serve; its errors are
// usage errors, already reported.
func parseServeFlags(args []string) (*serveFlags, error) {
	fs := newFlagSet("serve")
	file := fs.String("c", "", "configuration `file` (required)")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	format := fs.String("log-format", "text", "log `format`: text or json")
	scenFile := fs.String("scenario", "",
		"apply the timed impairment phases of scenario `file` (or built-in scenario name, as ralab impairments --scenarios lists) to every interface, then exit")
	scenStart := fs.String("scenario-start", "now", "scenario start `time`: now or an RFC 3339 time")
	scenHold := fs.Bool("scenario-hold", false,
		"after the scenario, keep serving the configuration without impairments instead of exiting")
	stateDir := fs.String("state-dir", "",
		"`directory` for the record of host changes that a restart undoes after a crash (default $STATE_DIRECTORY, else "+
			hoststate.DefaultDir+")")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr,
			"ralab serve: -c FILE is required and no arguments are accepted (see ralab serve --help)")
		return nil, errUsage
	}
	f := &serveFlags{file: *file, scenario: *scenFile, stateDir: *stateDir, hold: *scenHold}
	var err error
	if f.log, err = serveLogger(os.Stderr, *level, *format); err != nil {
		fmt.Fprintf(os.Stderr, "ralab serve: %v\n", err)
		return nil, errUsage
	}
	if f.start, err = parseScenarioStart(*scenStart, time.Now()); err != nil {
		fmt.Fprintf(os.Stderr, "ralab serve: %v\n", err)
		return nil, errUsage
	}
	if *scenFile == "" && (*scenStart != "now" || *scenHold) {
		fmt.Fprintln(os.Stderr, "ralab serve: --scenario-start and --scenario-hold need --scenario")
		return nil, errUsage
	}
	return f, nil
}

// runServe implements "ralab serve -c FILE [--scenario FILE]".
func runServe(ctx context.Context, args []string) error {
	f, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	// Catch SIGHUP before anything else, so that an early one cannot kill
	// the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	d, err := newServeDaemon(f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Listen before advertising, so that a bad address fails at once.
	httpDone, err := d.startHTTP(ctx)
	if err != nil {
		return err
	}
	if err := d.start(ctx); err != nil {
		return d.stop(cancel, err)
	}
	return d.loop(ctx, cancel, hup, httpDone)
}

// serveDaemon is one run of ralab serve.
type serveDaemon struct {
	*serveFlags
	cfg *config.Config
	// run is the scenario, or nil.
	run *scenarioRun
	reg *prometheus.Registry
	sup *supervisor.Supervisor
	// phaseC fires when the scenario's next phase starts; nil without a
	// scenario or after its end.
	phaseC     <-chan time.Time
	phaseTimer *time.Timer
}

// newServeDaemon loads the configuration and the scenario, checks the
// privileges and undoes what a crashed run left on the host.
func newServeDaemon(f *serveFlags) (*serveDaemon, error) {
	cfg, err := loadConfig(f.file)
	if err != nil {
		return nil, err
	}
	supervisor.LogWarnings(f.log, cfg)
	d := &serveDaemon{serveFlags: f, cfg: cfg}
	if f.scenario != "" {
		sc, err := loadScenario(f.scenario)
		if err != nil {
			return nil, fmt.Errorf("invalid scenario:\n%w", err)
		}
		if d.run, err = newScenarioRun(sc, f.start, time.Now(), cfg); err != nil {
			return nil, err
		}
	}
	if err := advertiser.CheckPrivileges(); err != nil {
		return nil, err
	}
	journal := openHostJournal(f.log, hoststate.Dir(f.stateDir))
	d.reg = prometheus.NewRegistry()
	d.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerBuildInfo(d.reg)
	o := supervisor.Options{Logger: f.log, Registerer: d.reg, Journal: journal, Generator: readBuildInfo().String()}
	if d.run != nil {
		o.Overlay = d.run
	}
	d.sup = supervisor.New(o)
	return d, nil
}

// startHTTP listens on http.address, when set, and serves /metrics, /ra
// and the live reports until ctx ends; the channel gets why it stopped.
func (d *serveDaemon) startHTTP(ctx context.Context) (<-chan error, error) {
	addr := d.cfg.HTTP.Address
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.address: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		h := httpstatus.Handler(d.reg, httpstatus.Options{
			Status:  d.sup.Status,
			Reports: d.sup.Observed,
			Report:  http.HandlerFunc(d.sup.ServeReport),
		})
		done <- httpstatus.Serve(ctx, ln, h, d.log)
	}()
	return done, nil
}

// start starts the scenario's first phase, if any, and every interface.
func (d *serveDaemon) start(ctx context.Context) error {
	if run := d.run; run != nil {
		now := time.Now()
		run.cur = run.index(now)
		d.sup.SetImpairments(run.phaseImpairments(run.cur))
		d.phaseTimer = time.NewTimer(time.Until(run.next(now)))
		d.phaseC = d.phaseTimer.C
		d.log.Info("scenario", "scenario", run.sc.Name, "scenario_file", d.scenario, "fids", run.sc.FIDs,
			"phases", len(run.sc.Phases),
			"start", run.start.Format(time.RFC3339Nano), "duration", run.sc.Duration, "hold", d.hold)
		run.logPhase(d.log, now)
	}
	if errs := d.sup.Start(ctx, d.cfg); len(errs) > 0 {
		return errors.Join(errs...)
	}
	d.log.Info("ralab serving", "config", d.file, "interfaces", len(d.cfg.Interfaces))
	return nil
}

// loop serves until ctx ends, the scenario ends (without --scenario-hold)
// or something fatal happens, applying the scenario's phases and SIGHUP
// reloads; it returns once everything has stopped.
func (d *serveDaemon) loop(ctx context.Context, cancel context.CancelFunc, hup <-chan os.Signal,
	httpDone <-chan error) error {
	for {
		select {
		case <-d.phaseC:
			if d.nextPhase(ctx) {
				return d.stop(cancel, nil)
			}
		case <-ctx.Done():
			d.log.Info("shutting down")
			return d.stop(cancel, nil)
		case <-hup:
			next, err := config.Load(d.file)
			d.sup.Reload(ctx, next, err)
		case err := <-httpDone:
			return d.stop(cancel, err)
		case err := <-d.sup.Fatal():
			return d.stop(cancel, err)
		}
	}
}

// stop ends the run: it cancels the daemon's context, waits for every
// part to stop and stops the scenario's phase timer; it returns err.
func (d *serveDaemon) stop(cancel context.CancelFunc, err error) error {
	cancel()
	d.sup.Wait()
	if d.phaseTimer != nil {
		d.phaseTimer.Stop()
	}
	return err
}

// nextPhase applies the scenario phase that starts now and sets the timer
// for the next one. It reports whether the daemon should exit: the
// scenario ended without --scenario-hold.
func (d *serveDaemon) nextPhase(ctx context.Context) bool {
	run := d.run
	now := time.Now()
	if i := run.index(now); i != run.cur {
		run.cur = i
		if run.ended(now) && !d.hold {
			d.log.Info("scenario ended; sending final RAs and exiting", "scenario", run.sc.Name)
			return true
		}
		if run.ended(now) {
			d.log.Info("scenario ended; holding: serving the configuration without impairments",
				"scenario", run.sc.Name)
		}
		d.sup.SetImpairments(run.phaseImpairments(i))
		// Reloads only advertisers whose configuration changed, but
		// updates every DHCPv6 server for the new impairments.
		d.sup.Refresh(ctx)
		run.logPhase(d.log, now)
	}
	if run.ended(now) {
		d.phaseC = nil
	} else {
		d.phaseTimer.Reset(time.Until(run.next(now)))
	}
	return false
}

// openHostJournal undoes what crashed runs recorded in dir and opens the
// journal of this run. A directory that cannot be used costs only crash
// recovery: it is logged and nil returned.
func openHostJournal(log *slog.Logger, dir string) *hoststate.Journal {
	if err := hoststate.Recover(dir, hoststate.LinuxHost{}, log); err != nil {
		log.Warn("restoring what an earlier run left on the host", "state_dir", dir, "err", err)
	}
	j, err := hoststate.Open(dir)
	if err != nil {
		log.Warn("host changes are not recorded; after a crash, restore accept_ra, autoconf and the DNS responder's addresses by hand", "err", err)
		return nil
	}
	return j
}

// serveLogger returns a slog logger writing to w.
func serveLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: l, ReplaceAttr: durationsAsStrings}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
}

// durationsAsStrings writes a duration as Go prints it ("1m30s"), not
// as nanoseconds, which is what the JSON handler writes otherwise.
func durationsAsStrings(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}
