package e2e

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// statusNoAddrsAvail is the NoAddrsAvail status code (RFC 8415 §21.13).
const statusNoAddrsAvail = "2"

// TestDHCPv6SolicitNoAddrsAvail checks that ralab, a stateless server,
// answers a Solicit with an Advertise whose IA_NA carries status
// NoAddrsAvail (RFC 8415 §18.3.9): for a crafted Solicit read back on the
// socket, and for the Solicits of dhcpcd under M=1. tshark validates every
// Advertise on the wire: type 2, the Solicit's xid, the Client ID echoed,
// ralab's DUID-LL, status code 2 and nothing malformed; every Solicit got
// exactly one Advertise.
func TestDHCPv6SolicitNoAddrsAvail(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "tshark", "tshark")
	if err := labclient.DHCPCD().Available(); err != nil {
		netlabtest.SkipOrFail(t, err.Error())
	}
	t.Parallel()
	l := newDHCPv6Lab(t, dhcpv6Config(true))
	crafted := l.Host(t, "sol", "02:00:00:00:05:01")
	real := l.Host(t, "dcpd", "02:00:00:00:05:02")
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	inst, err := labclient.DHCPCD().Start(ctx, real, real.IfName)
	if err != nil {
		t.Fatalf("starting dhcpcd: %v", err)
	}

	sock := openDHCPSocket(t, crafted)
	const xid = 0x30
	solicit := dhcpMessage(msgSolicit, xid, dhcpOption(optClientID, duidLL(crafted.MAC)),
		dhcpOption(optElapsedTime, []byte{0, 0}), dhcpOption(optORO, []byte{0, optDNSServers}),
		dhcpOption(optIANA, []byte{0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0}))
	if err := sock.send(solicit, allDHCPAgents); err != nil {
		t.Fatalf("sending Solicit: %v", err)
	}
	adv, err := sock.receive(10 * time.Second)
	if err != nil || len(adv) < 4 || adv[0] != msgAdvertise || [3]byte(adv[1:4]) != [3]byte{0, 0, xid} {
		t.Fatalf("Solicit: got %x (error %v), want an Advertise with xid %06x", adv, err, xid)
	}

	l.waitLog(t, "an Advertise to dhcpcd", replyLogged(real.LinkLocal()))
	if err := inst.Stop(); err != nil {
		t.Fatalf("stopping dhcpcd: %v", err)
	}
	// Let an answer to a Solicit sent just before the stop reach the
	// capture.
	time.Sleep(time.Second)
	path, _ := l.stopCapture(t)
	checkAdvertises(t, path, map[netip.Addr]string{crafted.LinkLocal(): "crafted", real.LinkLocal(): "dhcpcd"})
}

// solicitFields and advertiseFields are the tshark fields
// checkAdvertises reads.
var (
	solicitFields   = []string{"frame.number", "ipv6.src", "dhcpv6.xid", "dhcpv6.duid.bytes", "dhcpv6.iaid"}
	advertiseFields = []string{"frame.number", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "dhcpv6.msgtype", "dhcpv6.xid",
		"dhcpv6.duid.bytes", "dhcpv6.iaid", "dhcpv6.status_code", "_ws.malformed", "_ws.expert.severity"}
)

// checkAdvertises validates, with tshark, every DHCPv6 message the router
// sent in the capture at path: each is an Advertise (type 2) answering a
// Solicit from one of clients, from port 547 to 546, with its xid, the
// Client ID echoed and ralab's DUID-LL, every IA_NA echoed with status
// NoAddrsAvail inside, and nothing malformed; every Solicit got exactly
// one Advertise and every client sent one.
func checkAdvertises(t *testing.T, path string, clients map[netip.Addr]string) {
	t.Helper()
	solicits := map[string][][]string{}
	asked := map[string]bool{}
	for _, row := range tsharkFields(t, path, "dhcpv6.msgtype == 1", solicitFields) {
		name := clients[netip.MustParseAddr(row[1])]
		if name == "" {
			t.Errorf("frame %s: Solicit from unknown host %s", row[0], row[1])
			continue
		}
		asked[name] = true
		key := row[1] + "/" + row[2]
		solicits[key] = append(solicits[key], row)
	}
	for _, name := range clients {
		if !asked[name] {
			t.Errorf("%s sent no Solicit", name)
		}
	}
	answered := map[string]int{}
	rows := tsharkFields(t, path, "dhcpv6 && ipv6.src == "+routerLL.String(), advertiseFields)
	for _, row := range rows {
		key := row[2] + "/" + row[6]
		answered[key]++
		reqs := solicits[key]
		if len(reqs) == 0 {
			t.Errorf("frame %s: router sent DHCPv6 type %s xid %s to %s, answering no Solicit", row[0], row[5], row[6], row[2])
			continue
		}
		s := reqs[0]
		// One IA_NA with status NoAddrsAvail per IA_NA of the Solicit;
		// without one, the status is at the top level.
		var status []string
		for range max(len(splitField(s[4])), 1) {
			status = append(status, statusNoAddrsAvail)
		}
		want := []string{s[0], routerLL.String(), s[1], "547", "546", "2", s[2],
			strings.Join(append(splitField(s[3]), serverDUID), ","), s[4], strings.Join(status, ","), "", ""}
		got := append([]string{s[0]}, row[1:]...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("frame %s: Advertise to %s (frame %s) differs, fields %v (-want +got):\n%s",
				row[0], clients[netip.MustParseAddr(s[1])], s[0], advertiseFields, diff)
		}
	}
	for key, reqs := range solicits {
		if answered[key] != len(reqs) {
			t.Errorf("%s: %d Solicits with xid %s, %d Advertises", clients[netip.MustParseAddr(reqs[0][1])], len(reqs), reqs[0][2], answered[key])
		}
	}
	t.Logf("checked %d Advertises to %d Solicits from %d clients", len(rows), len(solicits), len(clients))
	if len(rows) == 0 {
		t.Errorf("no Advertise in %s", path)
	}
}
