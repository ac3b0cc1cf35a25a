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
	"reflect"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/ralab/ralab/dhcpv6"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/dnsresponder"
	"github.com/ralab/ralab/internal/hoststate"
	"github.com/ralab/ralab/internal/httpstatus"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/liveobserve"
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

// runServe implements "ralab serve -c FILE [--scenario FILE]".
func runServe(ctx context.Context, args []string) error {
	fs := newFlagSet("serve")
	file := fs.String("c", "", "configuration `file` (required)")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	format := fs.String("log-format", "text", "log `format`: text or json")
	scenFile := fs.String("scenario", "", "apply the timed impairment phases of scenario `file` (or built-in scenario name, as ralab impairments --scenarios lists) to every interface, then exit")
	scenStart := fs.String("scenario-start", "now", "scenario start `time`: now or an RFC 3339 time")
	scenHold := fs.Bool("scenario-hold", false, "after the scenario, keep serving the configuration without impairments instead of exiting")
	stateDir := fs.String("state-dir", "", "`directory` for the record of host changes that a restart undoes after a crash (default $STATE_DIRECTORY, else "+hoststate.DefaultDir+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "ralab serve: -c FILE is required and no arguments are accepted (see ralab serve --help)")
		return errUsage
	}
	log, err := serveLogger(os.Stderr, *level, *format)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ralab serve: %v\n", err)
		return errUsage
	}
	start, err := parseScenarioStart(*scenStart, time.Now())
	if err != nil {
		fmt.Fprintf(os.Stderr, "ralab serve: %v\n", err)
		return errUsage
	}
	if *scenFile == "" && (*scenStart != "now" || *scenHold) {
		fmt.Fprintln(os.Stderr, "ralab serve: --scenario-start and --scenario-hold need --scenario")
		return errUsage
	}

	// Catch SIGHUP before anything else, so that an early one cannot kill
	// the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	cfg, err := config.Load(*file)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return fmt.Errorf("invalid configuration:\n%w", err)
		}
		return err
	}
	serveLogWarnings(log, cfg)
	var run *scenarioRun
	if *scenFile != "" {
		sc, err := loadScenario(*scenFile)
		if err != nil {
			return fmt.Errorf("invalid scenario:\n%w", err)
		}
		if run, err = newScenarioRun(sc, start, time.Now(), cfg); err != nil {
			return err
		}
	}
	if err := advertiser.CheckPrivileges(); err != nil {
		return err
	}
	journal := openHostJournal(log, hoststate.Dir(*stateDir))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerBuildInfo(reg)
	sup := &serveSupervisor{
		log:      log,
		am:       advertiser.NewMetrics(reg),
		dm:       dhcpv6.NewMetrics(reg),
		dnsm:     dnsresponder.NewMetrics(reg),
		om:       liveobserve.NewMetrics(reg),
		sm:       newServeMetrics(reg),
		journal:  journal,
		fatal:    make(chan error, 1),
		ifcs:     map[string]*servedInterface{},
		stopping: map[string][]chan struct{}{},
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Listen before advertising, so that a bad address fails at once.
	var httpDone chan error
	if addr := cfg.HTTP.Address; addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("http.address: %w", err)
		}
		httpDone = make(chan error, 1)
		go func() {
			h := httpstatus.Handler(reg, httpstatus.Options{
				Status:  sup.status,
				Reports: sup.observed,
				Report:  http.HandlerFunc(sup.serveReport),
			})
			httpDone <- httpstatus.Serve(ctx, ln, h, log)
		}()
	}

	// applied is cfg as the scenario phase in force changes it.
	applied := cfg
	var phaseC <-chan time.Time
	var phaseTimer *time.Timer
	if run != nil {
		now := time.Now()
		run.cur = run.index(now)
		applied, _ = run.effective(cfg, run.cur) // checked by newScenarioRun
		sup.setImpairments(run.phaseImpairments(run.cur))
		phaseTimer = time.NewTimer(time.Until(run.next(now)))
		defer phaseTimer.Stop()
		phaseC = phaseTimer.C
		log.Info("scenario", "name", run.sc.Name, "file", *scenFile, "fids", run.sc.FIDs, "phases", len(run.sc.Phases),
			"start", run.start.Format(time.RFC3339Nano), "duration", run.sc.Duration, "hold", *scenHold)
		run.logPhase(log, now)
	}
	if errs := sup.apply(ctx, applied, true); len(errs) > 0 {
		cancel()
		sup.wait()
		return errors.Join(errs...)
	}
	log.Info("ralab serving", "config", *file, "interfaces", len(cfg.Interfaces))
	for {
		select {
		case <-phaseC:
			now := time.Now()
			i := run.index(now)
			if i != run.cur {
				run.cur = i
				if run.ended(now) && !*scenHold {
					log.Info("scenario ended; sending final RAs and exiting", "scenario", run.sc.Name)
					cancel()
					sup.wait()
					return nil
				}
				if run.ended(now) {
					log.Info("scenario ended; holding: serving the configuration without impairments", "scenario", run.sc.Name)
				}
				applied, _ = run.effective(cfg, i) // checked on load and reload
				sup.setImpairments(run.phaseImpairments(i))
				// Reloads only advertisers whose configuration changed, but
				// updates every DHCPv6 server for the new impairments.
				for _, err := range sup.apply(ctx, applied, false) {
					log.Error("phase partly applied; interface advertises without DHCPv6", "err", err)
				}
				run.logPhase(log, now)
			}
			if run.ended(now) {
				phaseC = nil
			} else {
				phaseTimer.Reset(time.Until(run.next(now)))
			}
		case <-ctx.Done():
			log.Info("shutting down")
			sup.wait()
			return nil
		case <-hup:
			next, err := config.Load(*file)
			if err != nil {
				for _, e := range serveSplitErrors(err) {
					log.Error("reload rejected; keeping the running configuration", "err", e)
				}
				sup.sm.reloads.WithLabelValues("rejected").Inc()
				continue
			}
			if run != nil && !run.ended(time.Now()) {
				if err := run.check(next); err != nil {
					for _, e := range serveSplitErrors(err) {
						log.Error("reload rejected: the scenario's overrides do not fit it; keeping the running configuration", "err", e)
					}
					sup.sm.reloads.WithLabelValues("rejected").Inc()
					continue
				}
			}
			serveLogWarnings(log, next)
			if next.HTTP.Address != cfg.HTTP.Address {
				log.Warn("http.address changed; restart ralab to apply it", "running", cfg.HTTP.Address, "configured", next.HTTP.Address)
			}
			cfg = next
			applied = cfg
			if run != nil {
				applied, _ = run.effective(cfg, run.cur) // checked above
			}
			for _, err := range sup.apply(ctx, applied, true) {
				log.Error("reload partly applied; interface advertises without DHCPv6", "err", err)
			}
			sup.sm.reloads.WithLabelValues("applied").Inc()
			log.Info("configuration reloaded", "interfaces", len(cfg.Interfaces))
		case err := <-httpDone:
			cancel()
			sup.wait()
			return err
		case err := <-sup.fatal:
			cancel()
			sup.wait()
			return err
		}
	}
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

// journalOrNil returns the journal as an advertiser.SysctlJournal, nil
// (not a typed nil) when there is none.
func (s *serveSupervisor) journalOrNil() advertiser.SysctlJournal {
	if s.journal == nil {
		return nil
	}
	return s.journal
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

// serveLogWarnings logs the configuration's non-fatal warnings.
func serveLogWarnings(log *slog.Logger, cfg *config.Config) {
	for _, w := range cfg.Warnings {
		log.Warn("configuration", "warning", w)
	}
}

// serveSplitErrors returns the individual errors of a joined error.
func serveSplitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// serveSupervisor runs one advertiser, and a DHCPv6 server when enabled,
// per configured interface, and applies reloads.
type serveSupervisor struct {
	log  *slog.Logger
	am   *advertiser.Metrics
	dm   *dhcpv6.Metrics
	dnsm *dnsresponder.Metrics
	// om are the observers' series (ralab_clients, the outage series).
	om    *liveobserve.Metrics
	sm    *serveMetrics
	fatal chan error
	// journal records what is changed on the host (nil: not recorded).
	journal *hoststate.Journal

	mu   sync.Mutex
	ifcs map[string]*servedInterface
	// impairFor makes the impairments of each advertiser in the current
	// scenario phase; nil means none.
	impairFor func() *impair.Set
	// stopping maps an interface name to the done channels of its
	// advertiser and DHCPv6 server that are still shutting down, so that
	// a re-added interface starts only after them (their sysctl restore
	// and port 547 must not overlap the new ones).
	stopping map[string][]chan struct{}
	wg       sync.WaitGroup
}

// servedInterface is what runs for one interface.
type servedInterface struct {
	adv *advertiser.Advertiser
	// cfg is the configuration adv was last given.
	cfg      config.Interface
	cancel   context.CancelFunc
	done     chan struct{}
	dhcp     *dhcpv6.Server
	dhcpStop context.CancelFunc
	dhcpDone chan struct{}
	// dns is the configuration the running DNS responder serves;
	// dnsStop stops it and dnsDone is closed when it has removed its
	// addresses and routes. dnsStop is nil when no responder runs.
	dns     dnsresponder.ServeConfig
	dnsStop context.CancelFunc
	dnsDone chan struct{}
	// obs is the conformance observer ([interface.observe]).
	obs *serveObserver
}

// apply makes the running set match cfg: new interfaces start, removed
// ones stop (with final RAs), kept ones are reloaded (with reloadAll, even
// when their configuration is unchanged, as SIGHUP does). It returns the
// DHCPv6 servers that could not be created; their interfaces still
// advertise.
func (s *serveSupervisor) apply(ctx context.Context, cfg *config.Config, reloadAll bool) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	want := map[string]bool{}
	for _, ifc := range cfg.Interfaces {
		want[ifc.Name] = true
		si, ok := s.ifcs[ifc.Name]
		switch {
		case !ok:
			si = s.startAdvertiser(ctx, ifc)
			s.ifcs[ifc.Name] = si
		case reloadAll || !reflect.DeepEqual(si.cfg, ifc):
			if ifc.Observe != si.obs.cfg {
				s.log.Warn("[interface.observe] changed; restart ralab to apply it", "interface", ifc.Name)
			}
			si.adv.Reload(ifc)
			si.cfg = ifc
		}
		if err := s.applyDHCPv6(ctx, si, ifc); err != nil {
			errs = append(errs, err)
		}
		s.applyDNSResponder(ctx, si, ifc)
	}
	for name, si := range s.ifcs {
		if want[name] {
			continue
		}
		s.log.Info("interface removed from configuration; stopping", "interface", name)
		delete(s.ifcs, name)
		s.stopDHCPv6(name, si)
		s.stopDNSResponder(name, si)
		si.cancel()
		s.stopping[name] = append(s.stopping[name], si.done)
		go func() {
			<-si.done
			s.mu.Lock()
			defer s.mu.Unlock()
			if _, again := s.ifcs[name]; !again {
				si.adv.Forget()
			}
		}()
	}
	return errs
}

// serveWaitStopping waits for everything of name that is shutting down. The
// caller must not hold s.mu.
func serveWaitStopping(chans []chan struct{}) {
	for _, c := range chans {
		<-c
	}
}

// startAdvertiser starts the advertiser of ifc. The caller holds s.mu.
func (s *serveSupervisor) startAdvertiser(ctx context.Context, ifc config.Interface) *servedInterface {
	actx, cancel := context.WithCancel(ctx)
	so := &serveObserver{cfg: ifc.Observe}
	si := &servedInterface{
		adv: advertiser.New(ifc, advertiser.Options{Logger: s.log, Metrics: s.am,
			OnSent: so.onSent, OnEffect: so.onEffect, Journal: s.journalOrNil()}),
		cfg:    ifc,
		cancel: cancel,
		done:   make(chan struct{}),
		obs:    so,
	}
	if s.impairFor != nil {
		si.adv.SetImpairments(s.impairFor())
	}
	prev := s.stopping[ifc.Name]
	delete(s.stopping, ifc.Name)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(si.done)
		serveWaitStopping(prev)
		// The observer of an earlier instance of the interface has
		// written its files; this one starts them anew, and stops after
		// the final RAs.
		s.startObserver(actx, so, ifc)
		defer s.stopObserver(ifc.Name, so)
		if err := si.adv.Run(actx); err != nil {
			s.report(fmt.Errorf("interface %s: %w", ifc.Name, err))
		}
	}()
	return si
}

// applyDHCPv6 starts, updates or stops the DHCPv6 server of ifc. The
// caller holds s.mu.
func (s *serveSupervisor) applyDHCPv6(ctx context.Context, si *servedInterface, ifc config.Interface) error {
	ifc = s.impairedDHCPv6(si, ifc)
	switch {
	case !ifc.DHCPv6.Enabled:
		s.stopDHCPv6(ifc.Name, si)
	case si.dhcp != nil:
		si.dhcp.Update(ifc)
	default:
		// The server consults the advertiser's impairments for every
		// message (F9 drops and delays), so that both share one Set.
		srv, err := dhcpv6.NewServer(ifc, s.log, s.dm, dhcpv6.WithImpairments(si.adv.Impairments),
			dhcpv6.WithOnReply(si.obs.onReply), dhcpv6.WithOnEffect(si.obs.onEffect))
		if err != nil {
			return fmt.Errorf("interface %s: DHCPv6: %w", ifc.Name, err)
		}
		dctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		si.dhcp, si.dhcpStop, si.dhcpDone = srv, cancel, done
		// A server of this interface that is still stopping must release
		// port 547 first.
		prev := s.stopping[ifc.Name+"/dhcpv6"]
		delete(s.stopping, ifc.Name+"/dhcpv6")
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(done)
			serveWaitStopping(prev)
			s.runDHCPv6(dctx, ifc.Name, srv)
		}()
	}
	return nil
}

// runDHCPv6 runs srv until ctx ends, restarting it after transient
// errors; a permission error is fatal.
func (s *serveSupervisor) runDHCPv6(ctx context.Context, name string, srv *dhcpv6.Server) {
	for {
		err := srv.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, os.ErrPermission) {
			s.report(fmt.Errorf("interface %s: DHCPv6 needs root or CAP_NET_BIND_SERVICE: %w", name, err))
			return
		}
		s.log.Error("DHCPv6 server stopped; restarting in 5 s", "interface", name, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

// stopDHCPv6 stops the DHCPv6 server of si, if running. The caller holds
// s.mu.
func (s *serveSupervisor) stopDHCPv6(name string, si *servedInterface) {
	if si.dhcp == nil {
		return
	}
	si.dhcpStop()
	key := name + "/dhcpv6"
	s.stopping[key] = append(s.stopping[key], si.dhcpDone)
	si.dhcp, si.dhcpStop, si.dhcpDone = nil, nil, nil
}

// setImpairments gives every advertiser, and those started later, its own
// Set from f (nil: no impairments). Each interface's DHCPv6 server reads
// it through that advertiser's Impairments.
func (s *serveSupervisor) setImpairments(f func() *impair.Set) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.impairFor = f
	for _, si := range s.ifcs {
		var set *impair.Set
		if f != nil {
			set = f()
		}
		si.adv.SetImpairments(set)
	}
}

// impairedDHCPv6 returns ifc with the DHCPv6 configuration that si's
// impairments put in force, such as the server switched off (F10) or on
// (F11), or answering without DNS (F12). Those impairments change the
// configuration the same way whenever asked, so applying them when the
// server is started or updated is exact, and the server applying them
// again per message (WithImpairments) changes nothing more. Decisions
// about single messages (F9) are the server's.
func (s *serveSupervisor) impairedDHCPv6(si *servedInterface, ifc config.Interface) config.Interface {
	set := si.adv.Impairments()
	if set == nil {
		return ifc
	}
	var es []impair.Effect
	ifc.DHCPv6, es = set.DHCPv6ConfigFor(time.Now(), ifc)
	for _, e := range es {
		s.log.Info("impairment", "interface", ifc.Name, "name", e.Impairment, "fid", e.FID, "action", e.Action, "detail", e.Detail)
	}
	return ifc
}

// report passes the first fatal error to runServe.
func (s *serveSupervisor) report(err error) {
	select {
	case s.fatal <- err:
	default:
	}
}

// wait waits for everything started to finish (after ctx ended).
func (s *serveSupervisor) wait() { s.wg.Wait() }

// status returns every interface's status for /ra, in name order.
func (s *serveSupervisor) status() any {
	s.mu.Lock()
	names := make([]string, 0, len(s.ifcs))
	for n := range s.ifcs {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]advertiser.Status, 0, len(names))
	for _, n := range names {
		out = append(out, s.ifcs[n].adv.Status())
	}
	s.mu.Unlock()
	return out
}

// applyDNSResponder starts, restarts (when its configuration changed) or
// stops the lab DNS responder of ifc. The caller holds s.mu.
func (s *serveSupervisor) applyDNSResponder(ctx context.Context, si *servedInterface, ifc config.Interface) {
	// The serve configuration also holds the on-link prefixes, so a
	// changed prefix restarts the responder too. (A non-nil OnQuery hook
	// would never compare equal: set it on a copy inside the goroutine.)
	dcfg := ifc.DNSServeConfig()
	dcfg.Logger, dcfg.Metrics = s.log, s.dnsm
	if s.journal != nil {
		dcfg.Journal = s.journal
	}
	if si.dnsStop != nil && reflect.DeepEqual(si.dns, dcfg) {
		return
	}
	s.stopDNSResponder(ifc.Name, si)
	if !ifc.DNSResponder.Enabled {
		return
	}
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	si.dns, si.dnsStop, si.dnsDone = dcfg, cancel, done
	// A responder of this interface that is still stopping must remove
	// its addresses and free its port first.
	key := ifc.Name + "/dns"
	prev := s.stopping[key]
	delete(s.stopping, key)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		serveWaitStopping(prev)
		err := dnsresponder.Serve(dctx, dcfg)
		switch {
		case err == nil || dctx.Err() != nil:
		case errors.Is(err, os.ErrPermission):
			s.report(fmt.Errorf("interface %s: the DNS responder needs root or CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE: %w", ifc.Name, err))
		default:
			s.log.Error("DNS responder stopped; the interface keeps advertising", "interface", ifc.Name, "err", err)
		}
	}()
}

// stopDNSResponder stops the DNS responder of si, if running. The caller
// holds s.mu.
func (s *serveSupervisor) stopDNSResponder(name string, si *servedInterface) {
	if si.dnsStop == nil {
		return
	}
	si.dnsStop()
	key := name + "/dns"
	s.stopping[key] = append(s.stopping[key], si.dnsDone)
	si.dns, si.dnsStop, si.dnsDone = dnsresponder.ServeConfig{}, nil, nil
}
