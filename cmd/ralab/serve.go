package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/ralab/ralab/dhcpv6"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/httpstatus"
)

func init() {
	commands["serve"] = command{
		summary: "send Router Advertisements (and stateless DHCPv6) as configured",
		run:     runServe,
	}
}

// runServe implements "ralab serve -c FILE".
func runServe(ctx context.Context, args []string) error {
	fs := newFlagSet("serve")
	file := fs.String("c", "", "configuration `file` (required)")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	format := fs.String("log-format", "text", "log `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ralab serve -c FILE [--log-level debug|info|warn|error] [--log-format text|json]\n\n"+
			"Sends Router Advertisements on every configured interface and answers\n"+
			"stateless DHCPv6 where enabled. SIGHUP re-reads FILE; SIGINT/SIGTERM send\n"+
			"final RAs and exit.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "ralab serve: -c FILE is required and no arguments are accepted")
		fs.Usage()
		return errUsage
	}
	log, err := serveLogger(os.Stderr, *level, *format)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ralab serve: %v\n", err)
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
	if err := advertiser.CheckPrivileges(); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	sup := &serveSupervisor{
		log:      log,
		am:       advertiser.NewMetrics(reg),
		dm:       dhcpv6.NewMetrics(reg),
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
			httpDone <- httpstatus.Serve(ctx, ln, httpstatus.Handler(reg, sup.status), log)
		}()
	}

	if errs := sup.apply(ctx, cfg); len(errs) > 0 {
		cancel()
		sup.wait()
		return errors.Join(errs...)
	}
	log.Info("ralab serving", "config", *file, "interfaces", len(cfg.Interfaces))
	for {
		select {
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
				continue
			}
			serveLogWarnings(log, next)
			if next.HTTP.Address != cfg.HTTP.Address {
				log.Warn("http.address changed; restart ralab to apply it", "running", cfg.HTTP.Address, "configured", next.HTTP.Address)
			}
			cfg = next
			for _, err := range sup.apply(ctx, cfg) {
				log.Error("reload partly applied; interface advertises without DHCPv6", "err", err)
			}
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

// serveLogger returns a slog logger writing to w.
func serveLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
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
	log   *slog.Logger
	am    *advertiser.Metrics
	dm    *dhcpv6.Metrics
	fatal chan error

	mu   sync.Mutex
	ifcs map[string]*servedInterface
	// stopping maps an interface name to the done channels of its
	// advertiser and DHCPv6 server that are still shutting down, so that
	// a re-added interface starts only after them (their sysctl restore
	// and port 547 must not overlap the new ones).
	stopping map[string][]chan struct{}
	wg       sync.WaitGroup
}

// servedInterface is what runs for one interface.
type servedInterface struct {
	adv      *advertiser.Advertiser
	cancel   context.CancelFunc
	done     chan struct{}
	dhcp     *dhcpv6.Server
	dhcpStop context.CancelFunc
	dhcpDone chan struct{}
}

// apply makes the running set match cfg: new interfaces start, removed
// ones stop (with final RAs), kept ones are reloaded. It returns the
// DHCPv6 servers that could not be created; their interfaces still
// advertise.
func (s *serveSupervisor) apply(ctx context.Context, cfg *config.Config) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	want := map[string]bool{}
	for _, ifc := range cfg.Interfaces {
		want[ifc.Name] = true
		si, ok := s.ifcs[ifc.Name]
		if !ok {
			si = s.startAdvertiser(ctx, ifc)
			s.ifcs[ifc.Name] = si
		} else {
			si.adv.Reload(ifc)
		}
		if err := s.applyDHCPv6(ctx, si, ifc); err != nil {
			errs = append(errs, err)
		}
	}
	for name, si := range s.ifcs {
		if want[name] {
			continue
		}
		s.log.Info("interface removed from configuration; stopping", "interface", name)
		delete(s.ifcs, name)
		s.stopDHCPv6(name, si)
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
	si := &servedInterface{
		adv:    advertiser.New(ifc, advertiser.Options{Logger: s.log, Metrics: s.am}),
		cancel: cancel,
		done:   make(chan struct{}),
	}
	prev := s.stopping[ifc.Name]
	delete(s.stopping, ifc.Name)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(si.done)
		serveWaitStopping(prev)
		if err := si.adv.Run(actx); err != nil {
			s.report(fmt.Errorf("interface %s: %w", ifc.Name, err))
		}
	}()
	return si
}

// applyDHCPv6 starts, updates or stops the DHCPv6 server of ifc. The
// caller holds s.mu.
func (s *serveSupervisor) applyDHCPv6(ctx context.Context, si *servedInterface, ifc config.Interface) error {
	switch {
	case !ifc.DHCPv6.Enabled:
		s.stopDHCPv6(ifc.Name, si)
	case si.dhcp != nil:
		si.dhcp.Update(ifc)
	default:
		srv, err := dhcpv6.NewServer(ifc, s.log, s.dm)
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
