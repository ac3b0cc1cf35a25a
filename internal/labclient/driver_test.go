package labclient_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// waitTimeout bounds every wait for a client: generous, because CI is a
// loaded 2-core machine running many labs at once.
const waitTimeout = 90 * time.Second

// The reference servers hand out these.
var (
	dns1    = netip.MustParseAddr("2001:db8:1::53")
	dns2    = netip.MustParseAddr("2001:db8:1::54")
	domain  = "lab.example"
	lanPref = netip.MustParsePrefix("2001:db8:1::/64")
)

// radvdConf is the reference RA: prefix, RDNSS and DNSSL, O flag off.
// MaxRtrAdvInterval 10 s keeps unsolicited RAs frequent for clients that
// never solicit (rdnssd); lifetimes are 3 × MaxRtrAdvInterval (RFC 8106
// §5.1).
const radvdConf = `interface lab0 {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 10;
	AdvOtherConfigFlag %s;
	prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; };
	%s
};
`

// radvdDNS is the RDNSS and DNSSL part of radvdConf.
const radvdDNS = `RDNSS 2001:db8:1::53 2001:db8:1::54 { AdvRDNSSLifetime 30; };
	DNSSL lab.example { AdvDNSSLLifetime 30; };`

// startRadvd runs radvd with conf in the router namespace.
func startRadvd(t *testing.T, l *netlabtest.Lab, conf string) {
	t.Helper()
	netlabtest.RequireTool(t, "radvd", "radvd")
	rtr := l.Router()
	path := filepath.Join(rtr.Dir(), "radvd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rtr.Start(t.Context(), "radvd", "radvd", "-n", "-C", path, "-p", filepath.Join(rtr.Dir(), "radvd.pid"), "-m", "stderr"); err != nil {
		t.Fatal(err)
	}
}

// dnsmasqConf is a stateless DHCPv6 server only: no DNS (port=0), no RA,
// bound to lab0, running as root so it can write the lab's state dir.
const dnsmasqConf = `port=0
interface=lab0
bind-interfaces
no-resolv
no-hosts
user=root
dhcp-range=::,static
dhcp-option=option6:dns-server,[2001:db8:1::53],[2001:db8:1::54]
dhcp-option=option6:domain-search,lab.example
dhcp-leasefile=%s
log-dhcp
log-facility=-
`

// startDnsmasq gives lab0 an address in the prefix (dnsmasq's
// "constructor" needs one) and runs dnsmasq in the router namespace.
func startDnsmasq(t *testing.T, l *netlabtest.Lab) string {
	t.Helper()
	netlabtest.RequireTool(t, "dnsmasq", "dnsmasq-base")
	rtr := l.Router()
	if _, err := rtr.Run(t.Context(), "ip", "addr", "add", "2001:db8:1::1/64", "dev", netlab.BridgeName); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(rtr.Dir(), "dnsmasq.conf")
	conf := fmt.Sprintf(dnsmasqConf, filepath.Join(rtr.Dir(), "dnsmasq.leases"))
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := rtr.Start(t.Context(), "dnsmasq", "dnsmasq", "-d", "-C", path)
	if err != nil {
		t.Fatal(err)
	}
	return p.Stderr
}

// startClients adds one host per client (MACs 02:00:00:00:02:01, ...)
// and starts the client there.
func startClients(t *testing.T, l *netlabtest.Lab, clients ...*labclient.Client) []*labclient.Instance {
	t.Helper()
	var out []*labclient.Instance
	for i, c := range clients {
		if err := c.Available(); err != nil {
			netlabtest.SkipOrFail(t, err.Error())
		}
		h := l.Host(t, fmt.Sprintf("c%d", i+1), fmt.Sprintf("02:00:00:00:02:%02x", i+1))
		inst, err := c.Start(t.Context(), h, h.IfName)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, inst)
	}
	return out
}

// want is what a client should hold.
type want struct {
	servers []labclient.Server
	domains []labclient.Domain
}

func dnsFrom(src labclient.Source, withDomain bool) want {
	w := want{servers: []labclient.Server{{Addr: dns1, Source: src}, {Addr: dns2, Source: src}}}
	if withDomain {
		w.domains = []labclient.Domain{{Name: domain, Source: src}}
	}
	return w
}

// checkResolver waits until inst holds both reference servers, then
// compares what it holds with w, ignoring order.
func checkResolver(t *testing.T, inst *labclient.Instance, w want) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	r, err := inst.WaitResolver(ctx, labclient.HasServers(dns1, dns2))
	if err != nil {
		t.Errorf("%s: %v", inst.Client.Name, err)
		return
	}
	sortS := cmp.Transformer("sort", func(in []labclient.Server) []labclient.Server {
		out := slices.Clone(in)
		slices.SortFunc(out, func(a, b labclient.Server) int { return a.Addr.Compare(b.Addr) })
		return out
	})
	got := want{servers: r.Servers, domains: r.Domains}
	if diff := cmp.Diff(w, got, cmp.AllowUnexported(want{}), sortS,
		cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("%s resolver (-want +got):\n%s", inst.Client.Name, diff)
	}
	checkHeld(t, inst, r)
}

// checkHeld checks that Held, the matrix's cheap read, soon shows the
// servers and domains of r, the client's Resolver.
func checkHeld(t *testing.T, inst *labclient.Instance, r labclient.Resolver) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h, err := inst.Held()
		if err == nil && slices.Equal(sortedAddrs(h), sortedAddrs(r)) && slices.Equal(h.Names(), r.Names()) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: Held = %+v, %v; Resolver = %+v", inst.Client.Name, h, err, r)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sortedAddrs returns r's server addresses, sorted.
func sortedAddrs(r labclient.Resolver) []netip.Addr {
	out := r.Addrs()
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

// waitSLAAC waits until h has a usable global address in lanPref.
func waitSLAAC(t *testing.T, h *netlab.Host) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		as, err := h.Addresses(t.Context())
		if err == nil && slices.ContainsFunc(as, func(a netlab.Address) bool {
			return a.Global() && a.Usable() && lanPref.Contains(a.Addr())
		}) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("host %s: no SLAAC address in %v: %+v, %v", h.Name, lanPref, as, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestRAClients runs the RA-consuming clients against radvd sending
// RDNSS and DNSSL with the O flag off.
func TestRAClients(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	l := netlabtest.New(t)
	startRadvd(t, l, fmt.Sprintf(radvdConf, "off", radvdDNS))
	insts := startClients(t, l, labclient.RDNSSD(), labclient.DHCPCD(), labclient.Networkd(),
		labclient.NetworkManager(), labclient.ConnMan())
	wants := map[string]want{
		"rdnssd": dnsFrom(labclient.SourceRA, true),
		"dhcpcd": dnsFrom(labclient.SourceRA, true),
		// networkd's state file does not record sources.
		"networkd":       dnsFrom(labclient.SourceUnknown, true),
		"networkmanager": dnsFrom(labclient.SourceRA, true),
		// ConnMan's resolv.conf does not record sources.
		"connman": dnsFrom(labclient.SourceUnknown, true),
	}
	for _, inst := range insts {
		checkResolver(t, inst, wants[inst.Client.Name])
		waitSLAAC(t, inst.Host)
		waitDefaultRoute(t, inst.Host)
	}
}

// waitDefaultRoute waits until h has a default route via the router's
// link-local address.
func waitDefaultRoute(t *testing.T, h *netlab.Host) {
	t.Helper()
	gw := netlab.LinkLocal(mustMAC(t, netlab.RouterMAC))
	deadline := time.Now().Add(waitTimeout)
	for {
		rs, err := h.DefaultRoutes(t.Context())
		if err == nil && slices.ContainsFunc(rs, func(r netlab.Route) bool { return r.Gateway == gw && r.Dev == h.IfName }) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("host %s: no default route via %v: %+v, %v", h.Name, gw, rs, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func mustMAC(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	mac, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return mac
}

// TestDHCPv6Clients runs the DHCPv6 clients against dnsmasq as a
// stateless DHCPv6 server, with radvd sending the O flag and no RDNSS or
// DNSSL, so DNS is only available through DHCPv6 (F11 in the field
// guide).
func TestDHCPv6Clients(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	l := netlabtest.New(t)
	etcBefore, _ := filepath.Glob("/etc/dibbler.*")
	dnsmasqLog := startDnsmasq(t, l)
	startRadvd(t, l, fmt.Sprintf(radvdConf, "on", ""))
	insts := startClients(t, l, labclient.DHClient(), labclient.DHCP6C(), labclient.DHCP6CInfo(),
		labclient.Dibbler(), labclient.DHCPCD(), labclient.Networkd(), labclient.NetworkManager(), labclient.ConnMan())
	wants := map[string]want{
		"networkmanager": dnsFrom(labclient.SourceDHCPv6, true),
		"dhclient":       dnsFrom(labclient.SourceDHCPv6, true),
		"dhcp6c":         dnsFrom(labclient.SourceDHCPv6, true),
		// dhcp6c -i sends no ORO; dnsmasq answers with DNS anyway.
		"dhcp6c-i": dnsFrom(labclient.SourceDHCPv6, true),
		"dibbler":  dnsFrom(labclient.SourceDHCPv6, true),
		"dhcpcd":   dnsFrom(labclient.SourceDHCPv6, true),
	}
	// Clients that complete the Information-Request exchange but do not
	// apply DHCPv6 DNS: systemd-networkd 252 never puts it in its state
	// file (lab-recipes.md). ConnMan 1.41 records the servers on its
	// service, but in most runs the service, already "ready" from SLAAC,
	// falls back to "configuration" for the exchange and stays there, so
	// they never reach its resolv.conf (nor its D-Bus Nameservers); in
	// some runs they do.
	ignoring := map[string]*labclient.Instance{}
	for _, inst := range insts {
		if inst.Client.Name == "networkd" || inst.Client.Name == "connman" {
			ignoring[inst.Client.Name] = inst
			continue
		}
		checkResolver(t, inst, wants[inst.Client.Name])
	}
	// By now every other client has its Reply; give these as long again
	// before checking. If this fails, the client learned to apply
	// DHCPv6 DNS: update lab-recipes.md and this test.
	time.Sleep(5 * time.Second)
	log, err := os.ReadFile(dnsmasqLog)
	if err != nil {
		t.Fatal(err)
	}
	for name, inst := range ignoring {
		waitSLAAC(t, inst.Host)
		r, err := inst.Resolver()
		switch {
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case name == "connman" && len(r.Servers) > 0:
			checkResolver(t, inst, dnsFrom(labclient.SourceUnknown, true))
			t.Logf("%s applied DHCPv6 DNS this time: %+v", name, r)
		case len(r.Servers) != 0:
			t.Errorf("%s resolver = %+v; want no servers (known behaviour)", name, r)
		}
		// ... although dnsmasq answered its Information-Request.
		mac := inst.Host.MAC.String()
		if !regexp.MustCompile(`(\d+) client MAC address: ` + mac + `\n.*(\d+) DHCPINFORMATION-REQUEST`).Match(log) {
			t.Errorf("dnsmasq saw no Information-Request from %s (%s)", name, mac)
		}
	}

	// dibbler's resolv.conf rewrites stayed inside its overlay.
	if etcAfter, _ := filepath.Glob("/etc/dibbler.*"); len(etcAfter) > len(etcBefore) {
		t.Errorf("files left in the host's /etc: %v (before: %v)", etcAfter, etcBefore)
	}
}
