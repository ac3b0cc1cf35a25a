package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/advertiser/advertisertest"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/supervisor"
)

// slack is what a test allows the advertisers' timers beyond an RFC 4861
// bound, on a loaded machine.
const slack = 750 * time.Millisecond

// lab is a supervisor running on fake links: lab0 has index 1, lab1
// index 2, and so on.
type lab struct {
	t      *testing.T
	sup    *supervisor.Supervisor
	reg    *prometheus.Registry
	links  *advertisertest.Links
	dialer *advertisertest.Dialer
	file   string
	cancel context.CancelFunc
	ctx    context.Context
}

// newLab returns a supervisor whose advertisers run on fake links for the
// interfaces names, all usable.
func newLab(t *testing.T, names ...string) *lab {
	t.Helper()
	return newLabOverlay(t, nil, names...)
}

// newLabOverlay is newLab with an overlay (nil: none).
func newLabOverlay(t *testing.T, o supervisor.Overlay, names ...string) *lab {
	t.Helper()
	l := &lab{t: t, reg: prometheus.NewRegistry(), links: &advertisertest.Links{}, dialer: &advertisertest.Dialer{},
		file: filepath.Join(t.TempDir(), "ralab.toml")}
	for i, n := range names {
		l.links.Link(n).Set(advertisertest.Usable(i + 1))
	}
	l.sup = supervisor.New(supervisor.Options{Registerer: l.reg, Overlay: o, Advertiser: advertiser.Options{
		Sysctl: advertisertest.Sysctls(t, names...), Watch: l.links.Watch, Dial: l.dialer.Dial}})
	l.ctx, l.cancel = context.WithCancel(context.Background())
	t.Cleanup(l.stop)
	return l
}

// stop cancels everything and waits for it.
func (l *lab) stop() {
	l.cancel()
	l.sup.Wait()
}

// load writes a configuration file and loads it.
func (l *lab) load(doc string) (*config.Config, error) {
	l.t.Helper()
	if err := os.WriteFile(l.file, []byte(doc), 0o644); err != nil {
		l.t.Fatal(err)
	}
	return config.Load(l.file)
}

// start loads doc and starts the supervisor with it.
func (l *lab) start(doc string) {
	l.t.Helper()
	cfg, err := l.load(doc)
	if err != nil {
		l.t.Fatalf("configuration: %v", err)
	}
	if errs := l.sup.Start(l.ctx, cfg); len(errs) > 0 {
		l.t.Fatalf("Start: %v", errs)
	}
}

// reload loads doc as SIGHUP does and hands it to the supervisor.
func (l *lab) reload(doc string) bool {
	l.t.Helper()
	cfg, err := l.load(doc)
	return l.sup.Reload(l.ctx, cfg, err)
}

// reloads returns ralab_config_reloads_total{result}.
func (l *lab) reloads(result string) float64 {
	l.t.Helper()
	return gauge(l.t, l.reg, "ralab_config_reloads_total", "result", result)
}

// gauge returns the value of the series name{label=value} in reg.
func gauge(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					if m.Counter != nil {
						return m.GetCounter().GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}

// iface is a configuration table for interface name announcing dns.
func iface(name, dns string) string {
	return fmt.Sprintf("[[interface]]\nname = %q\nmax_interval = \"200s\"\n  [[interface.rdnss]]\n  servers = [%q]\n", name, dns)
}

// TestReloadKeepsConfigOnBadInput checks SIGHUP: an invalid file is
// rejected and counted, and the advertiser goes on with the running
// configuration (no reload RA); a valid one is applied at once (a reload
// RA that withdraws the old RDNSS and announces the new).
func TestReloadKeepsConfigOnBadInput(t *testing.T) {
	t.Parallel()
	l := newLab(t, "lab0")
	l.start(iface("lab0", "2001:db8::53"))
	c := l.dialer.WaitLink(t, 1, 1, 5*time.Second)
	advertisertest.NextRA(t, c, slack)

	for _, bad := range []string{
		"[[interface]]\nname = \"lab0\"\nmax_interval = \"1s\"\n", // below RFC 4861's 4 s
		"[[interface]\n", // not TOML
	} {
		if l.reload(bad) {
			t.Errorf("Reload(%q) = true, want rejected", bad)
		}
	}
	if got := l.reloads("rejected"); got != 2 {
		t.Errorf("%v rejected reloads counted, want 2", got)
	}
	advertisertest.NoRA(t, c, advertiser.MinDelayBetweenRAs+slack)

	if !l.reload(iface("lab0", "2001:db8::54")) {
		t.Fatal("Reload of a valid file = false")
	}
	rdnss := advertisertest.NextRA(t, c, advertiser.MinDelayBetweenRAs+slack).RDNSS()
	if diff := cmp.Diff(map[string]time.Duration{"2001:db8::53": 0, "2001:db8::54": 200 * 3 * time.Second}, rdnss); diff != "" {
		t.Errorf("RDNSS of the reload RA (-want +got):\n%s", diff)
	}
	if got := l.reloads("applied"); got != 1 {
		t.Errorf("%v applied reloads counted, want 1", got)
	}
}

// TestFaultStaysOnItsInterface breaks lab1 in turn (its socket fails,
// then the link goes away) and checks that lab0 keeps answering, Fatal
// stays quiet, and lab1 recovers each time with a new socket.
func TestFaultStaysOnItsInterface(t *testing.T) {
	t.Parallel()
	l := newLab(t, "lab0", "lab1")
	l.start(iface("lab0", "2001:db8::53") + iface("lab1", "2001:db8::54"))
	c0 := l.dialer.WaitLink(t, 1, 1, 5*time.Second)
	c1 := l.dialer.WaitLink(t, 2, 1, 5*time.Second)
	advertisertest.NextRA(t, c0, slack)
	advertisertest.NextRA(t, c1, slack)

	c1.Fail(errors.New("read: no such device"))
	// An RS on lab0 still gets its answer.
	c0.Receive(advertisertest.RS(nil), 255, advertisertest.Usable(9).LinkLocal)
	if ra := advertisertest.NextRA(t, c0, advertiser.MaxRADelayTime+slack).RA; ra.RouterLifetime == 0 {
		t.Error("lab0 answered with router lifetime 0")
	}
	c1b := l.dialer.WaitLink(t, 2, 2, 5*time.Second)
	advertisertest.NextRA(t, c1b, advertiser.MinDelayBetweenRAs+slack)

	l.links.Link("lab1").Set(advertisertest.Gone)
	select {
	case <-c1b.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("the socket of the vanished lab1 is still open")
	}
	l.links.Link("lab1").Set(advertisertest.Usable(2))
	c1c := l.dialer.WaitLink(t, 2, 3, 5*time.Second)
	advertisertest.NextRA(t, c1c, advertiser.MinDelayBetweenRAs+slack)
	c0.Receive(advertisertest.RS(nil), 255, advertisertest.Usable(10).LinkLocal)
	advertisertest.NextRA(t, c0, advertiser.MaxRADelayTime+slack)
	select {
	case err := <-l.sup.Fatal():
		t.Errorf("Fatal: %v", err)
	default:
	}
}

// TestPermissionIsFatal checks that an advertiser that may not open its
// socket reaches Fatal, naming its interface.
func TestPermissionIsFatal(t *testing.T) {
	t.Parallel()
	l := newLab(t, "lab0")
	l.dialer.Err = func(advertiser.LinkState) error { return fmt.Errorf("listen: %w", os.ErrPermission) }
	l.start(iface("lab0", "2001:db8::53"))
	select {
	case err := <-l.sup.Fatal():
		if !errors.Is(err, advertiser.ErrPermission) || !strings.Contains(err.Error(), "lab0") {
			t.Errorf("Fatal = %v, want ErrPermission for lab0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no fatal error")
	}
}

// TestObserverFailureKeepsRAs configures an observer whose directory
// cannot be created (under a file): the interface advertises anyway,
// ralab_observer_running says 0 and no live report is offered.
func TestObserverFailureKeepsRAs(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l := newLab(t, "lab0")
	l.start(iface("lab0", "2001:db8::53") + fmt.Sprintf("  [interface.observe]\n  enabled = true\n  dir = %q\n", filepath.Join(file, "observe")))
	c := l.dialer.WaitLink(t, 1, 1, 5*time.Second)
	advertisertest.NextRA(t, c, slack)
	if got := gauge(t, l.reg, "ralab_observer_running", "interface", "lab0"); got != 0 {
		t.Errorf("ralab_observer_running = %v, want 0", got)
	}
	if got := l.sup.Observed(); len(got) != 0 {
		t.Errorf("Observed = %v, want none", got)
	}
	select {
	case err := <-l.sup.Fatal():
		t.Errorf("Fatal: %v", err)
	default:
	}
}

// TestShutdown checks that removing an interface from the configuration
// stops it with final RAs, and that ending the context sends the final
// RAs of the others, closes their sockets and restores their sysctls
// before Wait returns.
func TestShutdown(t *testing.T) {
	t.Parallel()
	l := newLab(t, "lab0", "lab1")
	l.start(iface("lab0", "2001:db8::53") + iface("lab1", "2001:db8::54"))
	c0 := l.dialer.WaitLink(t, 1, 1, 5*time.Second)
	c1 := l.dialer.WaitLink(t, 2, 1, 5*time.Second)
	advertisertest.NextRA(t, c0, slack)
	advertisertest.NextRA(t, c1, slack)

	if !l.reload(iface("lab0", "2001:db8::53")) {
		t.Fatal("Reload = false")
	}
	finals := func(c *advertisertest.Conn) {
		t.Helper()
		select {
		case <-c.Closed():
		case <-time.After(10 * time.Second):
			t.Fatalf("the socket of link %d is still open", c.Link.Index)
		}
		n := 0
		for len(c.Sent) > 0 {
			if ra := advertisertest.NextRA(t, c, time.Second).RA; ra.RouterLifetime == 0 {
				n++
			}
		}
		if n != advertiser.MaxFinalRtrAdvertisements {
			t.Errorf("%d final RAs on link %d, want %d", n, c.Link.Index, advertiser.MaxFinalRtrAdvertisements)
		}
	}
	finals(c1)
	if got := l.sup.Status().([]advertiser.Status); len(got) != 1 || got[0].Interface != "lab0" {
		t.Errorf("Status after removing lab1: %+v", got)
	}

	l.stop()
	finals(c0)
}

// lifetimeOverlay sets every interface's router lifetime, as a scenario
// phase's override does, and refuses configurations of more than one
// interface.
type lifetimeOverlay struct{ lifetime time.Duration }

func (o *lifetimeOverlay) Check(cfg *config.Config) error {
	if len(cfg.Interfaces) > 1 {
		return errors.New("one interface only")
	}
	return nil
}

func (o *lifetimeOverlay) Apply(cfg *config.Config) *config.Config {
	out := *cfg
	out.Interfaces = slices.Clone(cfg.Interfaces)
	for i := range out.Interfaces {
		out.Interfaces[i].RouterLifetime = o.lifetime
	}
	return &out
}

// TestOverlay checks that the overlay shapes what is advertised from the
// start, that a reload it does not fit is rejected, and that Refresh
// announces its change at once.
func TestOverlay(t *testing.T) {
	t.Parallel()
	o := &lifetimeOverlay{lifetime: 1234 * time.Second}
	l := newLabOverlay(t, o, "lab0")
	l.start(iface("lab0", "2001:db8::53"))
	c := l.dialer.WaitLink(t, 1, 1, 5*time.Second)
	if ra := advertisertest.NextRA(t, c, slack).RA; ra.RouterLifetime != o.lifetime {
		t.Errorf("router lifetime %v, want the overlay's %v", ra.RouterLifetime, o.lifetime)
	}
	if l.reload(iface("lab0", "2001:db8::53") + iface("lab1", "2001:db8::54")) {
		t.Error("Reload of a configuration the overlay refuses = true")
	}
	if got := l.reloads("rejected"); got != 1 {
		t.Errorf("%v rejected reloads counted, want 1", got)
	}
	o.lifetime = 600 * time.Second
	l.sup.Refresh(l.ctx)
	if ra := advertisertest.NextRA(t, c, advertiser.MinDelayBetweenRAs+slack).RA; ra.RouterLifetime != o.lifetime {
		t.Errorf("router lifetime after Refresh %v, want %v", ra.RouterLifetime, o.lifetime)
	}
}
