package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// dhcpv6Client is one real client of TestDHCPv6Clients and the host it
// runs on.
type dhcpv6Client struct {
	client *labclient.Client
	host   string
	mac    string
	// use is what the client does with the DHCPv6 DNS of a Reply.
	use dhcpv6Use
}

// dhcpv6Use is what a client does with the DNS servers of a DHCPv6 Reply.
type dhcpv6Use int

const (
	// applies: the client holds them, as learned from DHCPv6.
	applies dhcpv6Use = iota
	// ignores: the client keeps only the RA's DNS; the test asserts that.
	ignores
	// racy: the client holds the RA's DNS and, depending on timing, the
	// Reply's; the test asserts the RA's and logs which happened.
	racy
)

// dhcpv6Clients are the DHCPv6 clients the lab installs, one host each.
func dhcpv6Clients() []dhcpv6Client {
	return []dhcpv6Client{
		{labclient.DHClient(), "dhcl", "02:00:00:00:03:01", applies},
		{labclient.DHCP6C(), "w6c", "02:00:00:00:03:02", applies},
		{labclient.DHCP6CInfo(), "w6ci", "02:00:00:00:03:03", applies},
		{labclient.Dibbler(), "dibb", "02:00:00:00:03:04", applies},
		{labclient.DHCPCD(), "dcpd", "02:00:00:00:03:05", applies},
		// systemd-networkd 252 completes the Information-Request
		// exchange but never puts the DHCPv6 DNS servers into its link
		// state file; only the RA's RDNSS shows (lab-recipes.md,
		// "Observed quirks").
		{labclient.Networkd(), "nwd", "02:00:00:00:03:06", ignores},
		// NetworkManager 1.42 (issue 14) applies DHCPv6 DNS beside the
		// RA's, and tells them apart.
		{labclient.NetworkManager(), "nmgr", "02:00:00:00:03:07", applies},
		// ConnMan 1.41 (issue 14) always gets the Reply and records its
		// servers on its service, but in most runs the service, already
		// "ready" from SLAAC, falls back to "configuration" for the
		// exchange and stays there, and the servers never reach its
		// resolv.conf; in some they do. The RA's RDNSS always does.
		{labclient.ConnMan(), "conn", "02:00:00:00:03:08", racy},
	}
}

// requireClients skips t (fails it in CI) unless every client and tshark
// is installed.
func requireClients(t *testing.T, cs []dhcpv6Client) {
	t.Helper()
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "tshark", "tshark")
	for _, c := range cs {
		if err := c.client.Available(); err != nil {
			netlabtest.SkipOrFail(t, err.Error())
		}
	}
}

// hasDHCPv6Config is the WaitResolver condition for a client that applies
// DHCPv6 DNS: it holds every DHCPv6 server and domain as learned from
// DHCPv6.
func hasDHCPv6Config(r labclient.Resolver) bool {
	d := r.From(labclient.SourceDHCPv6)
	for _, a := range dhcpDNS {
		if !slices.Contains(d.Addrs(), a) {
			return false
		}
	}
	for _, n := range dhcpDomains {
		if !slices.Contains(d.Names(), n) {
			return false
		}
	}
	return true
}

// startClient starts c on h and waits until it holds what it is expected
// to hold: the DHCPv6 servers and domains, or for networkd and ConnMan the RA's server
// plus ralab's log of a reply to it.
func startClient(ctx context.Context, l *lab, h *netlab.Host, c dhcpv6Client) (*labclient.Instance, error) {
	inst, err := c.client.Start(ctx, h, h.IfName)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", c.client.Name, err)
	}
	if c.use == applies {
		if _, err := inst.WaitResolver(ctx, hasDHCPv6Config); err != nil {
			return inst, fmt.Errorf("%s: %w", c.client.Name, err)
		}
		return inst, nil
	}
	if _, err := inst.WaitResolver(ctx, labclient.HasServers(raDNS)); err != nil {
		return inst, fmt.Errorf("%s (RA DNS): %w", c.client.Name, err)
	}
	for !l.logHas(replyLogged(h.LinkLocal())) {
		select {
		case <-ctx.Done():
			return inst, fmt.Errorf("%s: ralab logged no DHCPv6 reply to %s: %w", c.client.Name, h.LinkLocal(), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	return inst, nil
}

// TestDHCPv6Clients runs every DHCPv6 client the lab installs against "ralab
// serve", each on its own host and all at once: each sends an
// Information-Request and ends up with ralab's DHCPv6 DNS servers and
// domains (not the RA's), except systemd-networkd 252 and ConnMan 1.41, shown to
// complete the exchange yet keep only the RA's DNS. Every Reply on the
// wire is then checked with tshark.
func TestDHCPv6Clients(t *testing.T) {
	cs := dhcpv6Clients()
	requireClients(t, cs)
	t.Parallel()
	l := newDHCPv6Lab(t, dhcpv6Config(false))

	// Generous: eight clients start at once on a loaded two-core
	// machine, and WIDE dhcp6c waits up to INF_MAX_DELAY (1 s, RFC 8415
	// §7.6) before its first message.
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	// Hosts are added one after the other (netlab.Lab.AddHost rewrites
	// the lab's marker file through one temporary name, so concurrent
	// calls race); the clients then run in parallel.
	hosts := make([]*netlab.Host, len(cs))
	for i, c := range cs {
		hosts[i] = l.Host(t, c.host, c.mac)
	}
	insts := make([]*labclient.Instance, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() { insts[i], errs[i] = startClient(ctx, l, hosts[i], c) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	for i, c := range cs {
		r, err := insts[i].Resolver()
		if err != nil {
			t.Fatalf("%s: %v", c.client.Name, err)
		}
		if c.use != applies {
			continue
		}
		// The RA's server must not be reported as learned from DHCPv6:
		// the source of what the client holds is provable.
		d := r.From(labclient.SourceDHCPv6)
		if diff := cmp.Diff(sortedAddrs(dhcpDNS), sortedAddrs(d.Addrs()), equateAddr); diff != "" {
			t.Errorf("%s: DHCPv6 servers (-want +got):\n%s", c.client.Name, diff)
		}
		if diff := cmp.Diff(dhcpDomains, d.Names()); diff != "" {
			t.Errorf("%s: DHCPv6 domains (-want +got):\n%s", c.client.Name, diff)
		}
	}

	path, _ := l.stopCapture(t)
	byLL := map[netip.Addr]string{}
	for i, c := range cs {
		byLL[hosts[i].LinkLocal()] = c.client.Name
	}
	checkReplies(t, path, byLL)

	// networkd, ConnMan: the Reply is on the wire (checkReplies), so give them a few
	// seconds to apply it, then assert their documented behaviour.
	time.Sleep(3 * time.Second)
	for i, c := range cs {
		if c.use != applies {
			checkNotApplied(t, insts[i], c.use)
		}
	}
}

// checkNotApplied checks a client that ignores DHCPv6 DNS, or applies it
// only sometimes, some seconds after its Reply: it still holds the RA's
// server, and the Reply's servers only if its use is racy.
func checkNotApplied(t *testing.T, inst *labclient.Instance, use dhcpv6Use) {
	t.Helper()
	name := inst.Client.Name
	r, err := inst.Resolver()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	applied := slices.ContainsFunc(dhcpDNS, func(a netip.Addr) bool { return slices.Contains(r.Addrs(), a) })
	if applied && use == ignores {
		t.Errorf("%s now applies DHCPv6 DNS (%v); dhcpv6Clients documents that it does not: update it", name, r.Addrs())
	}
	if !slices.Contains(r.Addrs(), raDNS) {
		t.Errorf("%s lost the RA's DNS server %s: %v", name, raDNS, r.Addrs())
	}
	t.Logf("%s got a valid DHCPv6 Reply and holds %v (DHCPv6 DNS applied: %v)", name, r.Addrs(), applied)
}

// irFields and replyFields are the tshark fields checkReplies reads.
var (
	irFields    = []string{"frame.number", "ipv6.src", "dhcpv6.xid", "dhcpv6.duid.bytes", "dhcpv6.duidll.link_layer_addr", "dhcpv6.requested_option_code"}
	replyFields = []string{"frame.number", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "dhcpv6.msgtype", "dhcpv6.xid",
		"dhcpv6.duid.bytes", "dhcpv6.duidll.link_layer_addr", "dhcpv6.dns_server", "dhcpv6.search_list_entry", "dhcpv6.lifetime",
		"_ws.malformed", "_ws.expert.severity"}
)

// informationRequest is an Information-Request as tshark decodes it.
type informationRequest struct {
	frame, client, xid string
	// clientID is the Client ID DUID, and clientLL its link-layer
	// address when it is a DUID-LL; each has at most one element.
	clientID, clientLL []string
	oro                []string
}

// checkReplies validates, with tshark, every DHCPv6 message the router
// sent in the capture at path: each is a Reply (type 7) to an
// Information-Request from one of the hosts in clients (link-local
// address to client name), with its xid, the Client ID echoed, ralab's
// DUID-LL as Server ID, the DHCPv6 DNS servers and domains, the
// Information Refresh Time when the client asked for it, from port 547 to
// port 546, with nothing malformed or flagged by tshark's expert; every
// Information-Request got exactly one Reply and every client sent one.
// Messages from and to the hosts in ignore are left out.
func checkReplies(t *testing.T, path string, clients map[netip.Addr]string, ignore ...netip.Addr) {
	t.Helper()
	irFilter, replyFilter := "dhcpv6.msgtype == 11", "dhcpv6 && ipv6.src == "+routerLL.String()
	if len(ignore) > 0 {
		set := " in {" + strings.Join(addrStrings(ignore), " ") + "}"
		irFilter += " && !(ipv6.src" + set + ")"
		replyFilter += " && !(ipv6.dst" + set + ")"
	}
	irs := map[string][]informationRequest{}
	asked := map[string]bool{}
	for _, row := range tsharkFields(t, path, irFilter, irFields) {
		ir := informationRequest{frame: row[0], client: row[1], xid: row[2], clientID: splitField(row[3]), clientLL: splitField(row[4]), oro: splitField(row[5])}
		name := clients[netip.MustParseAddr(ir.client)]
		if name == "" {
			t.Errorf("frame %s: Information-Request from unknown host %s", ir.frame, ir.client)
			continue
		}
		asked[name] = true
		irs[ir.client+"/"+ir.xid] = append(irs[ir.client+"/"+ir.xid], ir)
	}
	for _, name := range clients {
		if !asked[name] {
			t.Errorf("%s sent no Information-Request", name)
		}
	}

	replies := map[string]int{}
	rows := tsharkFields(t, path, replyFilter, replyFields)
	for _, row := range rows {
		frame, dst, xid := row[0], row[2], row[6]
		key := dst + "/" + xid
		replies[key]++
		reqs := irs[key]
		if len(reqs) == 0 {
			t.Errorf("frame %s: router sent DHCPv6 type %s xid %s to %s, answering no Information-Request", frame, row[5], xid, dst)
			continue
		}
		ir := reqs[0]
		wantLifetime := ""
		if slices.Contains(ir.oro, optInfoRefreshTime) {
			wantLifetime = fmt.Sprint(refreshTime)
		}
		want := []string{
			ir.frame, routerLL.String(), ir.client, "547", "546", "7", ir.xid,
			strings.Join(append(slices.Clone(ir.clientID), serverDUID), ","),
			strings.Join(append(slices.Clone(ir.clientLL), netlab.RouterMAC), ","),
			quoteList(dhcpDNS), fqdnList(dhcpDomains), wantLifetime,
			"", "",
		}
		got := slices.Clone(row)
		got[0] = ir.frame // the frame number only identifies the packet
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("frame %s: Reply to %s (%s, frame %s) differs, fields %v (-want +got):\n%s",
				frame, clients[netip.MustParseAddr(ir.client)], ir.client, ir.frame, replyFields, diff)
		}
	}
	for key, reqs := range irs {
		if replies[key] != len(reqs) {
			t.Errorf("%s (%s): %d Information-Requests with xid %s, %d Replies",
				clients[netip.MustParseAddr(reqs[0].client)], reqs[0].client, len(reqs), reqs[0].xid, replies[key])
		}
	}
	t.Logf("checked %d Replies to %d Information-Requests from %d clients", len(rows), len(irs), len(clients))
}

// quoteList joins addresses with commas, as tshark aggregates them.
func quoteList(as []netip.Addr) string {
	return strings.Join(addrStrings(as), ",")
}

// addrStrings returns the addresses as strings.
func addrStrings(as []netip.Addr) []string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return s
}

// fqdnList joins domains with commas, each with the trailing dot tshark
// prints for a fully qualified name.
func fqdnList(domains []string) string {
	return strings.Join(domains, ".,") + "."
}
