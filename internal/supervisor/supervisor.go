package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/dhcpv6"
	"github.com/ralab/ralab/internal/dnsresponder"
	"github.com/ralab/ralab/internal/hoststate"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/liveobserve"
)

// Options configure a Supervisor.
type Options struct {
	// Logger receives the logs of the supervisor and of every part; nil
	// discards them.
	Logger *slog.Logger
	// Registerer receives the metrics of the supervisor and of every
	// part; nil keeps them unregistered.
	Registerer prometheus.Registerer
	// Journal records what is changed on the host, for crash recovery;
	// nil records nothing.
	Journal *hoststate.Journal
	// Generator names the program in the observers' reports.
	Generator string
	// Overlay, when set, changes the configuration of the file on top
	// (a scenario's phase overrides).
	Overlay Overlay
	// Advertiser are the options of every advertiser; the supervisor
	// sets their Logger, Metrics, OnSent, OnEffect and Journal. Tests set
	// Watch, Dial and Sysctl (package advertisertest).
	Advertiser advertiser.Options
}

// Overlay changes the served configuration on top of the file's, such as
// the overrides of the scenario phase in force.
type Overlay interface {
	// Check reports why cfg, a reloaded configuration, cannot take the
	// overlay; it is then rejected.
	Check(cfg *config.Config) error
	// Apply returns cfg as the overlay changes it now. Check has
	// accepted cfg.
	Apply(cfg *config.Config) *config.Config
}

// Supervisor runs one advertiser per configured interface, with its
// DHCPv6 server, DNS responder and observer when enabled, and applies
// reloads.
type Supervisor struct {
	log     *slog.Logger
	am      *advertiser.Metrics
	dm      *dhcpv6.Metrics
	dnsm    *dnsresponder.Metrics
	om      *liveobserve.Metrics
	sm      *metrics
	fatal   chan error
	journal *hoststate.Journal
	gen     string
	overlay Overlay
	advOpts advertiser.Options

	mu sync.Mutex
	// cfg is the configuration of the file in force, before the overlay.
	cfg  *config.Config
	ifcs map[string]*served
	// impairFor makes the impairments of each advertiser in the current
	// scenario phase; nil means none.
	impairFor func() *impair.Set
	// stopping maps an interface name (and name/dhcpv6, name/dns) to the
	// done channels of its parts that are still shutting down, so that a
	// re-added interface starts only after them (their sysctl restore,
	// port 547 and addresses must not overlap the new ones).
	stopping map[string][]chan struct{}
	wg       sync.WaitGroup
}

// served is what runs for one interface.
type served struct {
	adv *advertiser.Advertiser
	// cfg is the configuration adv was last given.
	cfg    config.Interface
	cancel context.CancelFunc
	done   chan struct{}
	// dhcp is the running DHCPv6 server, dhcpPart its goroutine.
	dhcp     *dhcpv6.Server
	dhcpPart part
	// dns is the configuration the running DNS responder serves; its
	// part is done when it has removed its addresses and routes.
	dns     dnsresponder.ServeConfig
	dnsPart part
	// obs is the conformance observer ([interface.observe]).
	obs *observer
}

// New returns a Supervisor that runs nothing yet; Start starts it.
func New(o Options) *Supervisor {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Supervisor{
		log:      o.Logger,
		am:       advertiser.NewMetrics(o.Registerer),
		dm:       dhcpv6.NewMetrics(o.Registerer),
		dnsm:     dnsresponder.NewMetrics(o.Registerer),
		om:       liveobserve.NewMetrics(o.Registerer),
		sm:       newMetrics(o.Registerer),
		fatal:    make(chan error, 1),
		journal:  o.Journal,
		gen:      o.Generator,
		overlay:  o.Overlay,
		advOpts:  o.Advertiser,
		ifcs:     map[string]*served{},
		stopping: map[string][]chan struct{}{},
	}
}

// Start starts every interface of cfg; the parts run until ctx ends. The
// errors are of DHCPv6 servers that could not be created; their
// interfaces advertise. The caller has logged cfg's warnings
// (LogWarnings).
func (s *Supervisor) Start(ctx context.Context, cfg *config.Config) []error {
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()
	return s.apply(ctx, s.effective(cfg), true)
}

// Reload applies next, a configuration read again after SIGHUP, or nil
// and the error that kept it from being read. A configuration that could
// not be read, or that the overlay does not fit, is logged and counted as
// rejected, and the running one stays; Reload then returns false.
func (s *Supervisor) Reload(ctx context.Context, next *config.Config, loadErr error) bool {
	if loadErr != nil {
		s.reject("reload rejected; keeping the running configuration", loadErr)
		return false
	}
	if s.overlay != nil {
		if err := s.overlay.Check(next); err != nil {
			s.reject("reload rejected: the scenario's overrides do not fit it; keeping the running configuration", err)
			return false
		}
	}
	LogWarnings(s.log, next)
	s.mu.Lock()
	prev := s.cfg
	s.cfg = next
	s.mu.Unlock()
	if next.HTTP.Address != prev.HTTP.Address {
		s.log.Warn("http.address changed; restart ralab to apply it",
			"running", prev.HTTP.Address, "configured", next.HTTP.Address)
	}
	for _, err := range s.apply(ctx, s.effective(next), true) {
		s.log.Error("reload partly applied; interface advertises without DHCPv6", "err", err)
	}
	s.sm.reloads.WithLabelValues("applied").Inc()
	s.log.Info("configuration reloaded", "interfaces", len(next.Interfaces))
	return true
}

// reject logs each error of a rejected reload and counts it.
func (s *Supervisor) reject(msg string, err error) {
	for _, e := range config.Split(err) {
		s.log.Error(msg, "err", e)
	}
	s.sm.reloads.WithLabelValues("rejected").Inc()
}

// Refresh applies the overlay again, after it changed (a new scenario
// phase): it reloads the advertisers whose configuration changed and
// updates every DHCPv6 server for the new impairments.
func (s *Supervisor) Refresh(ctx context.Context) {
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	for _, err := range s.apply(ctx, s.effective(cfg), false) {
		s.log.Error("phase partly applied; interface advertises without DHCPv6", "err", err)
	}
}

// effective returns cfg with the overlay applied.
func (s *Supervisor) effective(cfg *config.Config) *config.Config {
	if s.overlay == nil {
		return cfg
	}
	return s.overlay.Apply(cfg)
}

// Fatal receives the first error that no retry can fix, such as missing
// privileges; the daemon should stop.
func (s *Supervisor) Fatal() <-chan error { return s.fatal }

// Wait waits for everything started to finish, after ctx ended: the
// final RAs sent, sysctls and addresses restored, reports written.
func (s *Supervisor) Wait() { s.wg.Wait() }

// LogWarnings logs the configuration's non-fatal warnings.
func LogWarnings(log *slog.Logger, cfg *config.Config) {
	for _, w := range cfg.Warnings {
		log.Warn("configuration", "warning", w)
	}
}

// apply makes the running set match cfg: new interfaces start, removed
// ones stop (with final RAs), kept ones are reloaded (with reloadAll, even
// when their configuration is unchanged, as SIGHUP does). It returns the
// DHCPv6 servers that could not be created; their interfaces still
// advertise.
func (s *Supervisor) apply(ctx context.Context, cfg *config.Config, reloadAll bool) []error {
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
		if !want[name] {
			s.stopInterface(name, si)
		}
	}
	return errs
}

// stopInterface stops everything of the interface name, removed from the
// configuration. The caller holds s.mu.
func (s *Supervisor) stopInterface(name string, si *served) {
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

// waitStopping waits for the parts of an interface that are shutting
// down. The caller must not hold s.mu.
func waitStopping(chans []chan struct{}) {
	for _, c := range chans {
		<-c
	}
}

// part is the goroutine of a server of one interface (DHCPv6, DNS
// responder): stop ends it, done is closed when it has released what it
// held. The zero part is not running.
type part struct {
	stop context.CancelFunc
	done chan struct{}
}

// startPart runs run in a goroutine of its own once every part of key
// that is still stopping has stopped (a new server of an interface must
// not bind a port or add an address the old one still holds). The caller
// holds s.mu.
func (s *Supervisor) startPart(ctx context.Context, key string, run func(context.Context)) part {
	pctx, cancel := context.WithCancel(ctx)
	p := part{stop: cancel, done: make(chan struct{})}
	prev := s.takeStopping(key)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(p.done)
		waitStopping(prev)
		run(pctx)
	}()
	return p
}

// stopPart stops p, if running, and keeps it under key until it has
// stopped. It reports whether p was running. The caller holds s.mu.
func (s *Supervisor) stopPart(key string, p part) bool {
	if p.stop == nil {
		return false
	}
	p.stop()
	s.stopping[key] = append(s.stopping[key], p.done)
	return true
}

// takeStopping returns and forgets the done channels of key. The caller
// holds s.mu.
func (s *Supervisor) takeStopping(key string) []chan struct{} {
	prev := s.stopping[key]
	delete(s.stopping, key)
	return prev
}

// startAdvertiser starts the advertiser of ifc. The caller holds s.mu.
func (s *Supervisor) startAdvertiser(ctx context.Context, ifc config.Interface) *served {
	actx, cancel := context.WithCancel(ctx)
	so := &observer{cfg: ifc.Observe}
	o := s.advOpts
	o.Logger, o.Metrics, o.OnSent, o.OnEffect, o.Journal = s.log, s.am, so.onSent, so.onEffect, s.sysctlJournal()
	si := &served{adv: advertiser.New(ifc, o), cfg: ifc, cancel: cancel, done: make(chan struct{}), obs: so}
	if s.impairFor != nil {
		si.adv.SetImpairments(s.impairFor())
	}
	prev := s.takeStopping(ifc.Name)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(si.done)
		waitStopping(prev)
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

// sysctlJournal returns the journal as an advertiser.SysctlJournal, nil
// (not a typed nil) when there is none.
func (s *Supervisor) sysctlJournal() advertiser.SysctlJournal {
	if s.journal == nil {
		return nil
	}
	return s.journal
}

// SetImpairments gives every advertiser, and those started later, its own
// Set from f (nil: no impairments). Each interface's DHCPv6 server reads
// it through that advertiser's Impairments.
func (s *Supervisor) SetImpairments(f func() *impair.Set) {
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

// report passes the first fatal error to Fatal.
func (s *Supervisor) report(err error) {
	select {
	case s.fatal <- err:
	default:
	}
}

// Status returns every interface's advertiser status, for /ra, in name
// order.
func (s *Supervisor) Status() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.ifcs))
	for n := range s.ifcs {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]advertiser.Status, 0, len(names))
	for _, n := range names {
		out = append(out, s.ifcs[n].adv.Status())
	}
	return out
}
