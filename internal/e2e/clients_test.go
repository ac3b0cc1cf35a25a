package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// DNS servers and domains the client tests announce.
var (
	dns1 = netip.MustParseAddr("2001:db8:1::53")
	dns2 = netip.MustParseAddr("2001:db8:1::54")
	dns3 = netip.MustParseAddr("2001:db8:1::55")

	testDomains = []string{"lab.example", "corp.example"}

	// equateAddr lets cmp compare netip.Addr values, which have
	// unexported fields, with ==.
	equateAddr = cmpopts.EquateComparable(netip.Addr{})
)

// clientConfig returns a configuration announcing servers and the
// domains lab.example and corp.example. Router, RDNSS and DNSSL lifetimes
// are long (1800 s, 600 s), so that a client that drops one within
// seconds does so because ralab withdrew it, not because it expired. O is
// off: these tests are about what clients take from RAs.
func clientConfig(servers ...netip.Addr) string {
	q := make([]string, len(servers))
	for i, s := range servers {
		q[i] = fmt.Sprintf("%q", s)
	}
	return `
[[interface]]
name = "lab0"
max_interval = "10s"
router_lifetime = "1800s"
unicast_solicited = true
source_lla = true

  [[interface.prefix]]
  prefix = "2001:db8:1::/64"

  [[interface.rdnss]]
  servers = [` + strings.Join(q, ", ") + `]
  lifetime = "600s"

  [[interface.dnssl]]
  domains = ["lab.example", "corp.example"]
  lifetime = "600s"
`
}

// slaacAddr returns the address h forms in 2001:db8:1::/64 from its MAC
// with a modified EUI-64 interface identifier (RFC 4862 §5.5.3, RFC 4291
// Appendix A): its link-local address with the prefix replaced.
func slaacAddr(h *netlab.Host) netip.Addr {
	b := h.LinkLocal().As16()
	copy(b[:8], netip.MustParseAddr("2001:db8:1::").AsSlice()[:8])
	return netip.AddrFrom16(b)
}

// clientLab is a lab with ralab and two clients: c1 configured by its
// kernel (SLAAC, default route) with rdnssd for DNS, and c2 configured by
// dhcpcd.
type clientLab struct {
	*lab
	c1, c2         *netlab.Host
	rdnssd, dhcpcd *labclient.Instance
}

// newClientLab starts ralab with cfg and both clients, and waits until
// each holds want as its servers, the domains (dhcpcd only; rdnssd knows
// no DNSSL), its SLAAC address and a default route via the router.
func newClientLab(t *testing.T, cfg string, want ...netip.Addr) *clientLab {
	t.Helper()
	netlabtest.RequireTool(t, "rdnssd", "rdnssd")
	netlabtest.RequireTool(t, "dhcpcd", "dhcpcd-base")
	l := &clientLab{lab: newLab(t, cfg)}
	l.c1 = l.Host(t, "c1", mac1)
	l.c2 = l.Host(t, "c2", mac2)
	var err error
	if l.rdnssd, err = labclient.RDNSSD().Start(t.Context(), l.c1, l.c1.IfName); err != nil {
		t.Fatalf("starting rdnssd: %v", err)
	}
	if l.dhcpcd, err = labclient.DHCPCD().Start(t.Context(), l.c2, l.c2.IfName); err != nil {
		t.Fatalf("starting dhcpcd: %v", err)
	}
	l.waitServers(t, want, testDomains)
	for _, h := range []*netlab.Host{l.c1, l.c2} {
		waitFor(t, h.Name+"'s SLAAC address "+slaacAddr(h).String(), 60*time.Second, func() (bool, string) {
			return hasAddress(t.Context(), h, slaacAddr(h))
		})
		waitFor(t, h.Name+"'s default route via "+routerLL.String(), 60*time.Second, func() (bool, string) {
			return hasDefaultVia(t.Context(), h, routerLL)
		})
	}
	return l
}

// raServers returns the servers and domains inst learned from RAs.
func raServers(inst *labclient.Instance) ([]netip.Addr, []string, error) {
	r, err := inst.Resolver()
	if err != nil {
		return nil, nil, err
	}
	// rdnssd does not record a source: everything it holds is from RAs.
	ra := r.From(labclient.SourceRA)
	ra.Servers = append(ra.Servers, r.From(labclient.SourceUnknown).Servers...)
	addrs := ra.Addrs()
	slices.SortFunc(addrs, netip.Addr.Compare)
	return addrs, ra.Names(), nil
}

// waitServers waits until both clients hold exactly want as their RA
// servers, and dhcpcd exactly domains as its search list (rdnssd knows no
// DNSSL), failing t after a minute: far longer than the initial RAs take
// (at most 16 s apart, RFC 4861 §6.2.4) and than a loaded machine needs
// to start the clients.
func (l *clientLab) waitServers(t *testing.T, want []netip.Addr, domains []string) {
	t.Helper()
	want = slices.Clone(want)
	slices.SortFunc(want, netip.Addr.Compare)
	for _, inst := range []*labclient.Instance{l.rdnssd, l.dhcpcd} {
		waitFor(t, inst.Client.Name+" to hold "+fmt.Sprint(want), 60*time.Second, func() (bool, string) {
			if inst.Process.Exited() {
				t.Fatalf("%s exited: %v", inst.Client.Name, inst.Process.Err())
			}
			servers, got, err := raServers(inst)
			if err != nil {
				return false, err.Error()
			}
			why := fmt.Sprintf("servers %v, domains %v", servers, got)
			if !slices.Equal(servers, want) {
				return false, why
			}
			if inst.Client.Name == "dhcpcd" && !slices.Equal(got, domains) {
				return false, why
			}
			return true, why
		})
	}
}

// TestClientsGetDNS checks that rdnssd and dhcpcd end up with ralab's
// RDNSS servers (and dhcpcd with its DNSSL domains, in order) in their
// resolver state, and that both hosts form a SLAAC address from the
// announced prefix and their MAC and install a default route via the
// router's link-local address (C7 prerequisites; F11/F12 do not apply:
// RDNSS is announced).
func TestClientsGetDNS(t *testing.T) {
	t.Parallel()
	l := newClientLab(t, clientConfig(dns1, dns2), dns1, dns2)
	r, err := l.dhcpcd.Resolver()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]netip.Addr{dns1, dns2}, r.From(labclient.SourceRA).Addrs(), equateAddr); diff != "" {
		t.Errorf("dhcpcd's RA servers, in order (-want +got):\n%s", diff)
	}
	if n := len(r.From(labclient.SourceDHCPv6).Servers); n != 0 {
		t.Errorf("dhcpcd holds %d DHCPv6 servers with O=0", n)
	}
}

// TestStopWithdraws stops ralab with SIGTERM and checks that its final
// RAs (one to MAX_FINAL_RTR_ADVERTISEMENTS, RFC 4861 §6.2.5) carry router
// lifetime 0 and, with withdraw_on_stop on by default, RDNSS and DNSSL
// lifetime 0 (RFC 8106 §5.1, §5.2), and that the clients act on them long
// before anything would expire: both hosts drop the default route via the
// router, dhcpcd drops the servers and domains, and rdnssd drops the
// servers (rdnssd 1.0.5 removes a server announced with lifetime 0 at
// once, as RFC 8106 §5.1 says; this test pins that behaviour down).
func TestStopWithdraws(t *testing.T) {
	t.Parallel()
	l := newClientLab(t, clientConfig(dns1, dns2), dns1, dns2)
	stopAt := time.Now()
	if err := l.ralab.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := l.ralab.Wait(ctx); err != nil {
		t.Fatalf("ralab did not exit cleanly on SIGTERM: %v\n%s", err, netlabtest.Tail(l.ralab.Stderr, 2000))
	}
	if exit := time.Since(stopAt); exit > 10*time.Second {
		t.Errorf("ralab took %v to exit after SIGTERM", exit)
	}
	// Everything has a lifetime of at least 600 s: dropping it within
	// react (and within waitServers's minute) is the withdrawal at work.
	const react = 15 * time.Second
	for _, h := range []*netlab.Host{l.c1, l.c2} {
		waitFor(t, h.Name+" to drop its default route via the router", react, func() (bool, string) {
			ok, why := hasDefaultVia(t.Context(), h, routerLL)
			return !ok, why
		})
	}
	l.waitServers(t, nil, nil)

	_, pkts := l.stopCapture(t)
	// A periodic RA may slip in between stopAt and the daemon handling
	// SIGTERM; from the first final RA (router lifetime 0) on, every RA
	// must be final.
	after := between(routerAds(t, pkts), stopAt, time.Now())
	first := slices.IndexFunc(after, func(r routerAd) bool { return r.Msg.RouterLifetime == 0 })
	if first < 0 {
		t.Fatalf("%d RAs after SIGTERM, none with router lifetime 0", len(after))
	}
	final := after[first:]
	if len(final) > 3 {
		t.Errorf("%d final RAs, want at most MAX_FINAL_RTR_ADVERTISEMENTS (3)", len(final))
	}
	for _, r := range final {
		m := r.Msg
		if r.Dst != allNodes || m.RouterLifetime != 0 {
			t.Errorf("final RA to %s has router lifetime %v, want multicast with 0", r.Dst, m.RouterLifetime)
		}
		got := rdnssLifetimes(m)
		if diff := cmp.Diff(map[netip.Addr]time.Duration{dns1: 0, dns2: 0}, got, equateAddr); diff != "" {
			t.Errorf("final RA's RDNSS lifetimes (-want +got):\n%s", diff)
		}
		for _, o := range m.Options {
			if o.DNSSL != nil && o.DNSSL.Lifetime != 0 {
				t.Errorf("final RA's DNSSL %v has lifetime %v, want 0", o.DNSSL.Domains, o.DNSSL.Lifetime)
			}
		}
	}
	t.Logf("%d final RAs, %v after SIGTERM to the last", len(final), final[len(final)-1].At.Sub(stopAt))
}

// TestReloadSwitchesServers rewrites ralab's configuration with another
// RDNSS server, sends SIGHUP, and checks that the first RA after the
// reload announces the removed servers with lifetime 0 beside the new one
// (ra.Withdrawn) and that rdnssd and dhcpcd end up holding only the new
// server, within waitServers's minute although the old ones had 600 s left.
func TestReloadSwitchesServers(t *testing.T) {
	t.Parallel()
	l := newClientLab(t, clientConfig(dns1, dns2), dns1, dns2)
	// In-place write: the file is only read on SIGHUP.
	if err := os.WriteFile(l.configPath(), []byte(clientConfig(dns3)), 0o644); err != nil {
		t.Fatal(err)
	}
	hupAt := time.Now()
	if err := l.ralab.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	l.waitServers(t, []netip.Addr{dns3}, testDomains)
	t.Logf("clients switched servers %v after SIGHUP", time.Since(hupAt))
	if l.ralab.Exited() {
		t.Fatalf("ralab exited after SIGHUP: %v", l.ralab.Err())
	}

	_, pkts := l.stopCapture(t)
	// The reload RA is the first multicast RA with the new server (a
	// periodic RA may slip in between hupAt and the daemon reading the
	// file).
	after := multicast(between(routerAds(t, pkts), hupAt, time.Now()))
	i := slices.IndexFunc(after, func(r routerAd) bool { _, ok := rdnssLifetimes(r.Msg)[dns3]; return ok })
	if i < 0 {
		t.Fatalf("%d multicast RAs after SIGHUP, none announcing %s", len(after), dns3)
	}
	want := map[netip.Addr]time.Duration{dns1: 0, dns2: 0, dns3: 600 * time.Second}
	if diff := cmp.Diff(want, rdnssLifetimes(after[i].Msg), equateAddr); diff != "" {
		t.Errorf("reload RA (%v after SIGHUP): RDNSS lifetimes (-want +got):\n%s", after[i].At.Sub(hupAt), diff)
	}
	for _, r := range after[i+1:] {
		if diff := cmp.Diff(map[netip.Addr]time.Duration{dns3: 600 * time.Second}, rdnssLifetimes(r.Msg), equateAddr); diff != "" {
			t.Errorf("later RA at %s: RDNSS lifetimes (-want +got):\n%s", r.At.Format(time.StampMicro), diff)
		}
	}
}

// TestBusClientsGetDNS runs NetworkManager and ConnMan (issue 14) against
// "ralab serve" with RDNSS and DNSSL and the O flag off: each ends up with
// ralab's servers and domains (NetworkManager knows they came from the
// RA; ConnMan's resolv.conf does not say), forms its SLAAC address from
// the prefix and its MAC (NetworkManager's keyfile default is EUI-64,
// ConnMan leaves SLAAC to the kernel) and has a default route via the
// router.
func TestBusClientsGetDNS(t *testing.T) {
	clients := []*labclient.Client{labclient.NetworkManager(), labclient.ConnMan()}
	for _, c := range clients {
		if err := c.Available(); err != nil {
			netlabtest.SkipOrFail(t, err.Error())
		}
	}
	t.Parallel()
	l := newLab(t, clientConfig(dns1, dns2))
	hosts := []*netlab.Host{l.Host(t, "nmgr", "02:00:00:00:02:07"), l.Host(t, "conn", "02:00:00:00:02:08")}
	srcs := []labclient.Source{labclient.SourceRA, labclient.SourceUnknown}
	for i, c := range clients {
		inst, err := c.Start(t.Context(), hosts[i], hosts[i].IfName)
		if err != nil {
			t.Fatalf("starting %s: %v", c.Name, err)
		}
		want := labclient.Resolver{Servers: []labclient.Server{{Addr: dns1, Source: srcs[i]}, {Addr: dns2, Source: srcs[i]}}}
		for _, d := range testDomains {
			want.Domains = append(want.Domains, labclient.Domain{Name: d, Source: srcs[i]})
		}
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		got, err := inst.WaitResolver(ctx, func(r labclient.Resolver) bool { return len(r.Servers) >= 2 && len(r.Domains) >= 2 })
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, equateAddr); diff != "" {
			t.Errorf("%s resolver (-want +got):\n%s", c.Name, diff)
		}
	}
	for _, h := range hosts {
		waitFor(t, h.Name+"'s SLAAC address "+slaacAddr(h).String(), 60*time.Second, func() (bool, string) {
			return hasAddress(t.Context(), h, slaacAddr(h))
		})
		waitFor(t, h.Name+"'s default route via "+routerLL.String(), 60*time.Second, func() (bool, string) {
			return hasDefaultVia(t.Context(), h, routerLL)
		})
	}
}
