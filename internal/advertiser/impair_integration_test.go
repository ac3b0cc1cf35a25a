package advertiser

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// schedSlack allows for timer and scheduling latency on a loaded 2-core
// machine, which the protocol does not govern (seen: 190 ms).
const schedSlack = 500 * time.Millisecond

// clientLL is the link-local address of the lab client c1 (MAC
// 02:00:00:00:02:01, modified EUI-64).
var clientLL = netip.MustParseAddr("fe80::ff:fe00:201")

// impairedLab is a lab running the advertiser with impairments.
type impairedLab struct {
	rtr, cli *netlab.Host
	capture  *netlab.Capture
	pcap     string
	helper   *netlab.Process
}

// startImpaired creates a lab whose client does not solicit by itself
// (so that only the test's rdisc6 sends RS), captures all IPv6 on the
// client's link with tcpdump, and runs the advertiser for ifc with the
// [impairment.NAME] tables of doc.
func startImpaired(t *testing.T, ifc config.Interface, doc string) *impairedLab {
	t.Helper()
	requireIntegration(t, "rdisc6", "tcpdump", "tshark")
	nl := netlabtest.New(t)
	l := &impairedLab{rtr: nl.Router(), cli: nl.Host(t, "c1", "02:00:00:00:02:01")}
	ctx := t.Context()
	if err := l.cli.Sysctl(ctx, "net.ipv6.conf."+l.cli.IfName+".router_solicitations", "0"); err != nil {
		t.Fatal(err)
	}
	// The kernel solicited when the host came up: take the link down and
	// up so that it starts again without.
	for _, state := range []string{"down", "up"} {
		if out, err := l.cli.Run(ctx, "ip", "link", "set", l.cli.IfName, state); err != nil {
			t.Fatalf("link %s: %v: %s", state, err, out)
		}
	}
	// All IPv6, not "icmp6": fragments carry next header 44.
	l.capture = startPcap(t, l.cli, "ip6")
	l.pcap = l.capture.Path()
	l.helper = startAdvertiser(t, l.rtr, helperEnv+"="+mustJSON(t, ifc), helperImpairEnv+"="+doc)
	return l
}

// out returns what the advertiser logged so far.
func (l *impairedLab) out() string { return processOutput(l.helper) }

// stopCapture stops tcpdump so that its file is complete.
func (l *impairedLab) stopCapture(t *testing.T) {
	t.Helper()
	if _, err := l.capture.Stop(); err != nil {
		t.Fatalf("stopping the capture: %v", err)
	}
}

// fields runs tshark on the capture and returns one line per frame
// matching filter, with the given fields separated by "|".
func (l *impairedLab) fields(t *testing.T, filter string, fields ...string) []string {
	t.Helper()
	args := []string{"-r", l.pcap, "-n", "-Y", filter, "-T", "fields", "-E", "separator=|"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	var lines []string
	for _, s := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if s != "" {
			lines = append(lines, s)
		}
	}
	return lines
}

// solicit runs rdisc6 in the client until it gets an RA, retrying while
// the client's link is still coming up ("Network is unreachable"). It
// waits 4 s for the answer: a multicast answer may wait for
// MIN_DELAY_BETWEEN_RAS plus MAX_RA_DELAY_TIME (RFC 4861 §6.2.6).
func (l *impairedLab) solicit(t *testing.T) {
	t.Helper()
	netlabtest.WaitFor(t, "rdisc6 to get an RA", 30*time.Second, func() bool {
		out, err := l.cli.Run(t.Context(), "rdisc6", "-1", "-r", "1", "-w", "4000", l.cli.IfName)
		if err != nil {
			t.Logf("rdisc6: %v: %s", err, out)
			time.Sleep(time.Second)
		}
		return err == nil
	})
}

// defaultRoutes returns the client's IPv6 default routes as ip prints
// them.
func (l *impairedLab) defaultRoutes(t *testing.T) string {
	t.Helper()
	out, err := l.cli.Run(t.Context(), "ip", "-6", "route", "show", "default")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// fastInterface advertises every 3 to 4 s (RFC 4861 §6.2.1 minimum
// MaxRtrAdvInterval), with a router lifetime a client installs.
func fastInterface() config.Interface {
	return config.Interface{
		Name:           netlab.BridgeName,
		HopLimit:       64,
		RouterLifetime: 1800 * time.Second,
		MinInterval:    3 * time.Second,
		MaxInterval:    4 * time.Second,
		SourceLLA:      true,
		RDNSS:          []config.RDNSS{{Servers: []netip.Addr{netip.MustParseAddr("2001:db8::53")}, Lifetime: 12 * time.Second}},
	}
}

// TestNamespaceFragmentedRA checks F13's fragment mode on the wire: tshark
// sees each RA as IPv6 fragments that reassemble to an ICMPv6 RA, no RA
// goes out whole, and the client's kernel ignores them (RFC 6980 §5), so
// it installs no default route.
func TestNamespaceFragmentedRA(t *testing.T) {
	t.Parallel()
	l := startImpaired(t, fastInterface(), "[impairment.frag]\ntype = \"ra-oversize\"\nmode = \"fragment\"\nmtu = 64\n")
	netlabtest.WaitFor(t, "three fragmented RAs", 60*time.Second, func() bool {
		return strings.Count(l.out(), "action=fragment") >= 3
	})
	time.Sleep(500 * time.Millisecond)
	l.stopCapture(t)

	frags := l.fields(t, "ipv6.fraghdr", "eth.src", "ipv6.src", "ipv6.dst", "ipv6.hlim", "ipv6.fraghdr.offset", "ipv6.fraghdr.more", "icmpv6.type")
	t.Logf("fragments:\n%s", strings.Join(frags, "\n"))
	reassembled := 0
	for _, f := range frags {
		p := strings.Split(f, "|")
		if p[0] != netlab.RouterMAC || p[1] != routerLL.String() || p[2] != "ff02::1" || p[3] != "255" {
			t.Errorf("fragment %q: want from %s %v to ff02::1 with hop limit 255", f, netlab.RouterMAC, routerLL)
		}
		if p[6] == "134" {
			reassembled++
		}
	}
	// 48-octet RA (header, SLLA, RDNSS) in 16-octet pieces: 3 fragments.
	if len(frags) < 9 || reassembled < 3 {
		t.Errorf("%d fragments, %d reassembled to an RA; want at least 9 and 3", len(frags), reassembled)
	}
	if whole := l.fields(t, "icmpv6.type == 134 && !ipv6.fraghdr", "frame.number"); len(whole) > 0 {
		t.Errorf("unfragmented RAs in frames %v", whole)
	}
	if r := l.defaultRoutes(t); strings.TrimSpace(r) != "" {
		t.Errorf("client installed a default route from fragmented RAs: %s", r)
	}
}

// TestNamespaceSecondRouter checks F15's wire mechanism: RAs from the fake
// router's MAC and link-local address, announcing its own RDNSS, arrive
// beside the daemon's, and the client's kernel takes both as routers.
func TestNamespaceSecondRouter(t *testing.T) {
	t.Parallel()
	l := startImpaired(t, fastInterface(), "[impairment.rogue]\ntype = \"second-router\"\n")
	netlabtest.WaitFor(t, "default routes via both routers", 60*time.Second, func() bool {
		r := l.defaultRoutes(t)
		return strings.Contains(r, "fe80::ff:fe00:5302") && strings.Contains(r, routerLL.String())
	})
	l.stopCapture(t)
	ras := l.fields(t, "icmpv6.type == 134", "eth.src", "ipv6.src", "ipv6.hlim", "icmpv6.opt.rdnss", "icmpv6.opt.linkaddr")
	t.Logf("RAs:\n%s", strings.Join(ras, "\n"))
	var ours, rogue int
	for _, r := range ras {
		switch r {
		case netlab.RouterMAC + "|" + routerLL.String() + "|255|2001:db8::53|" + netlab.RouterMAC:
			ours++
		case "02:00:00:00:53:02|fe80::ff:fe00:5302|255|2001:db8:ffff::53|02:00:00:00:53:02":
			rogue++
		default:
			t.Errorf("unexpected RA %q", r)
		}
	}
	if ours == 0 || rogue == 0 {
		t.Errorf("%d RAs from the daemon and %d from the second router, want both", ours, rogue)
	}
}

// TestNamespaceMulticastToUnicast checks F3: with an empty binding table
// multicast RAs reach no one; after the client's RS it gets unicast RAs,
// and no RA ever goes to ff02::1.
func TestNamespaceMulticastToUnicast(t *testing.T) {
	t.Parallel()
	l := startImpaired(t, fastInterface(), "[impairment.unicast]\ntype = \"ra-mcast-to-unicast\"\n")
	netlabtest.WaitFor(t, "a multicast RA dropped for lack of clients", 60*time.Second, func() bool {
		return strings.Contains(l.out(), "no client in the binding table")
	})
	rs := time.Now()
	l.solicit(t)
	netlabtest.WaitFor(t, "three unicast RAs after the RS", 60*time.Second, func() bool {
		n := 0
		for _, r := range readRAs(t, l.pcap) {
			if r.At.After(rs) && r.Dst == clientLL {
				n++
			}
		}
		return n >= 3
	})
	l.stopCapture(t)
	ras := l.fields(t, "icmpv6.type == 134", "frame.time_epoch", "ipv6.dst")
	rss := l.fields(t, "icmpv6.type == 133", "frame.time_epoch")
	t.Logf("RS at %v; RAs:\n%s", rss, strings.Join(ras, "\n"))
	if len(rss) == 0 {
		t.Fatal("no RS in the capture")
	}
	for _, r := range ras {
		p := strings.Split(r, "|")
		if p[1] != clientLL.String() {
			t.Errorf("RA %q: want unicast to %v only", r, clientLL)
		}
		if p[0] < rss[0] {
			t.Errorf("RA %q before the client's first RS at %s", r, rss[0])
		}
	}
}

// TestNamespaceThrottlePassesSolicited checks F1: after the first
// unsolicited RA of the period the throttler drops the others, but the
// answer to an RS passes, within MAX_RA_DELAY_TIME of it.
func TestNamespaceThrottlePassesSolicited(t *testing.T) {
	t.Parallel()
	ifc := fastInterface()
	// Initial RAs 16 s apart (RFC 4861 §6.2.4 cap), so that no multicast
	// RA coalesces with the unicast answer.
	ifc.MinInterval, ifc.MaxInterval = 30*time.Second, 60*time.Second
	ifc.RDNSS[0].Lifetime = 180 * time.Second
	ifc.UnicastSolicited = true
	l := startImpaired(t, ifc, "[impairment.throttle]\ntype = \"ra-throttle\"\nperiod = \"60s\"\nmax_through = 10\nat_least = 1\nat_most = 1\n")
	var first time.Time
	netlabtest.WaitFor(t, "the first RA", 60*time.Second, func() bool {
		for _, r := range readRAs(t, l.pcap) {
			first = r.At
			return true
		}
		return false
	})
	time.Sleep(time.Until(first.Add(4 * time.Second)))
	l.solicit(t)
	netlabtest.WaitFor(t, "the second initial RA to be throttled", 60*time.Second, func() bool {
		return strings.Contains(l.out(), "throttled")
	})
	time.Sleep(500 * time.Millisecond)
	l.stopCapture(t)

	pkts := readPackets(t, l.pcap)
	var multicast []time.Time
	var rsAt, answerAt time.Time
	for _, p := range pkts {
		switch {
		case len(p.ICMP) == 0:
		case p.ICMP[0] == 133 && answerAt.IsZero():
			rsAt = p.At
		case p.ICMP[0] == 134 && p.Dst.IsMulticast():
			multicast = append(multicast, p.At)
		case p.ICMP[0] == 134 && p.Dst == clientLL && !rsAt.IsZero() && answerAt.IsZero():
			answerAt = p.At
		}
	}
	if len(multicast) != 1 {
		t.Errorf("%d multicast RAs, want 1 (the others throttled): %v", len(multicast), multicast)
	}
	if answerAt.IsZero() {
		t.Fatal("the RS got no unicast answer")
	}
	d := answerAt.Sub(rsAt)
	t.Logf("solicited RA %v after the RS", d)
	if d < 0 || d > MaxRADelayTime+schedSlack {
		t.Errorf("answer %v after the RS, want within %v (+%v)", d, MaxRADelayTime, schedSlack)
	}
}
