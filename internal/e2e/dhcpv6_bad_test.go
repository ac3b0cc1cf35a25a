package e2e

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// DHCPv6 wire constants for crafting messages (RFC 8415 §7.2, §7.3, §21).
const (
	msgSolicit       = 1
	msgAdvertise     = 2
	msgRequest       = 3
	msgReply         = 7
	msgInfoRequest   = 11
	msgRelayForward  = 12
	msgRelayReply    = 13
	optClientID      = 1
	optServerID      = 2
	optIANA          = 3
	optORO           = 6
	optElapsedTime   = 8
	optRelayMsg      = 9
	optDNSServers    = 23
	optDomainList    = 24
	dhcpClientPort   = 546
	dhcpServerPort   = 547
	relayNestingTest = 12 // more than HOP_COUNT_LIMIT+1 = 9 (RFC 8415 §7.6)
	controlXID       = 0x20
)

// allDHCPAgents is All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1).
var allDHCPAgents = netip.MustParseAddr("ff02::1:2")

// dhcpOption encodes one DHCPv6 option (RFC 8415 §21.1).
func dhcpOption(code uint16, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, code)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

// dhcpMessage encodes a client/server message (RFC 8415 §8).
func dhcpMessage(typ byte, xid uint32, opts ...[]byte) []byte {
	b := []byte{typ, byte(xid >> 16), byte(xid >> 8), byte(xid)}
	for _, o := range opts {
		b = append(b, o...)
	}
	return b
}

// relayForward wraps msg in n Relay-Forward messages (RFC 8415 §9), the
// outermost with hop count n-1.
func relayForward(msg []byte, n int, peer netip.Addr) []byte {
	for i := range n {
		b := []byte{msgRelayForward, byte(i)}
		b = append(b, make([]byte, 16)...) // link-address unspecified
		p := peer.As16()
		b = append(b, p[:]...)
		msg = append(b, dhcpOption(optRelayMsg, msg)...)
	}
	return msg
}

// duidLL returns the DUID-LL (RFC 8415 §11.4) of an Ethernet address.
func duidLL(hw net.HardwareAddr) []byte {
	return append([]byte{0, 3, 0, 1}, hw...)
}

// dhcpSocket is a UDP socket on the DHCPv6 client port of a lab host.
type dhcpSocket struct {
	*net.UDPConn
	zone string
}

// openDHCPSocket binds UDP [::]:546 in h's namespace. Destinations are
// scoped with the numeric index of h's interface, which means that
// interface whatever namespace the sending thread is in.
func openDHCPSocket(t *testing.T, h *netlab.Host) *dhcpSocket {
	t.Helper()
	var s dhcpSocket
	err := h.Do(func() error {
		ifi, err := net.InterfaceByName(h.IfName)
		if err != nil {
			return err
		}
		s.zone = strconv.Itoa(ifi.Index)
		s.UDPConn, err = net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6unspecified, Port: dhcpClientPort})
		return err
	})
	if err != nil {
		t.Fatalf("opening a DHCPv6 client socket in %s: %v", h.Namespace, err)
	}
	t.Cleanup(func() { s.Close() })
	return &s
}

// send sends msg to the server port of dst on the host's link.
func (s *dhcpSocket) send(msg []byte, dst netip.Addr) error {
	_, err := s.WriteToUDPAddrPort(msg, netip.AddrPortFrom(dst.WithZone(s.zone), dhcpServerPort))
	return err
}

// receive returns the next datagram within wait, or nil when none came.
func (s *dhcpSocket) receive(wait time.Duration) ([]byte, error) {
	if err := s.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return nil, err
	}
	buf := make([]byte, 65536)
	n, err := s.Read(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// badMessage is a crafted message the server must not answer, with the
// discard reason it must count it under (dhcpv6.ErrDiscard*).
type badMessage struct {
	name   string
	msg    []byte
	dst    netip.Addr
	reason string
}

// badMessages returns the crafted messages of TestDHCPv6BadMessages, sent
// from a host with link-local address ll and DUID clientID.
func badMessages(ll netip.Addr, clientID []byte) []badMessage {
	cid := dhcpOption(optClientID, clientID)
	elapsed := dhcpOption(optElapsedTime, []byte{0, 0})
	oro := dhcpOption(optORO, []byte{0, optDNSServers, 0, optDomainList})
	ir := dhcpMessage(msgInfoRequest, 0x10, cid, elapsed, oro)
	foreignDUID := []byte{0, 3, 0, 1, 0x02, 0xee, 0xee, 0xee, 0xee, 0xee}
	return []badMessage{
		// RFC 8415 §16.12: an Information-Request with an IA option.
		{"information-request with IA_NA", dhcpMessage(msgInfoRequest, 0x11, cid, elapsed, oro,
			dhcpOption(optIANA, make([]byte, 12))), allDHCPAgents, "ia-in-information-request"},
		// RFC 8415 §16.12: a Server ID that is not this server's.
		{"information-request with foreign server id", dhcpMessage(msgInfoRequest, 0x12, cid, elapsed, oro,
			dhcpOption(optServerID, foreignDUID)), allDHCPAgents, "other-server-id"},
		// RFC 8415 §16: shorter than the 4-octet header.
		{"truncated header", []byte{msgInfoRequest, 0x13}, allDHCPAgents, "malformed"},
		// RFC 8415 §21.1: the last option runs past the end.
		{"truncated option", ir[:len(ir)-2], allDHCPAgents, "malformed"},
		// RFC 8415 §16.3, §16.10: messages only servers send.
		{"advertise", dhcpMessage(msgAdvertise, 0x14, cid), allDHCPAgents, "not-for-server"},
		{"reply", dhcpMessage(msgReply, 0x15, cid), allDHCPAgents, "not-for-server"},
		// RFC 8415 §16.14: a Relay-Reply goes to relays only.
		{"relay-reply", append([]byte{msgRelayReply, 0}, make([]byte, 32)...), allDHCPAgents, "not-for-server"},
		// Garbage: a type RFC 8415 §7.3 does not define, and an
		// Information-Request whose option header claims 65280 octets.
		{"garbage, unknown type", []byte{0xff, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01}, allDHCPAgents, "not-for-server"},
		{"garbage, huge option length", []byte{msgInfoRequest, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0x00, 0x01}, allDHCPAgents, "malformed"},
		// RFC 8415 §7.6, §19.1.1: deeper than any relay chain can nest.
		{"relay nesting too deep", relayForward(ir, relayNestingTest, ll), allDHCPAgents, "relay-too-deep"},
		// RFC 8415 §16: an Information-Request to a unicast address.
		{"information-request to unicast", ir, routerLL, "unicast"},
		// RFC 8415 §16.4: a Request must carry a Server ID.
		{"request without server id", dhcpMessage(msgRequest, 0x16, cid, elapsed,
			dhcpOption(optIANA, make([]byte, 12))), routerLL, "no-server-id"},
	}
}

// TestDHCPv6BadMessages sends crafted messages that RFC 8415 §16 says a
// server must discard, from one host to ff02::1:2 and to the router's
// link-local address, and checks for each that no answer comes, that
// ralab counts it under its discard reason in /metrics, and, from the
// capture, that the router sent nothing to that host. A good client
// (dhclient) on another host still gets its Reply afterwards.
func TestDHCPv6BadMessages(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "tshark", "tshark")
	if err := labclient.DHClient().Available(); err != nil {
		netlabtest.SkipOrFail(t, err.Error())
	}
	t.Parallel()
	l := newDHCPv6Lab(t, dhcpv6Config(false))
	bad := l.Host(t, "bad", "02:00:00:00:04:01")
	good := l.Host(t, "good", "02:00:00:00:04:02")
	sock := openDHCPSocket(t, bad)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	before, err := dhcpv6Metrics(ctx, l)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	want := map[string]float64{}
	for _, m := range badMessages(bad.LinkLocal(), duidLL(bad.MAC)) {
		if err := sock.send(m.msg, m.dst); err != nil {
			t.Fatalf("%s: sending: %v", m.name, err)
		}
		series := discardSeries(m.reason)
		want[series]++
		// Wait for the count: then the daemon has handled the message.
		// An answer ends the wait at once.
		var got map[string]float64
		waitFor(t, m.name+" to be counted as "+m.reason, 30*time.Second, func() (bool, string) {
			if reply, err := sock.receive(100 * time.Millisecond); err != nil || reply != nil {
				t.Fatalf("%s: got an answer %x (error %v), want none", m.name, reply, err)
			}
			got, err = dhcpv6Metrics(ctx, l)
			if err != nil {
				return false, err.Error()
			}
			return got[series]-before[series] >= want[series], fmt.Sprintf("%s = %v", series, got[series])
		})
		if reply, err := sock.receive(300 * time.Millisecond); err != nil || reply != nil {
			t.Errorf("%s: got an answer %x (error %v), want none", m.name, reply, err)
		}
	}
	// A good Information-Request from the same socket is answered, so the
	// silence above is the server's, not a deaf socket's.
	control := dhcpMessage(msgInfoRequest, controlXID, dhcpOption(optClientID, duidLL(bad.MAC)),
		dhcpOption(optElapsedTime, []byte{0, 0}), dhcpOption(optORO, []byte{0, optDNSServers}))
	if err := sock.send(control, allDHCPAgents); err != nil {
		t.Fatalf("sending the control Information-Request: %v", err)
	}
	reply, err := sock.receive(10 * time.Second)
	if err != nil || len(reply) < 4 || reply[0] != msgReply || [3]byte(reply[1:4]) != [3]byte{0, 0, controlXID} {
		t.Fatalf("control Information-Request: got %x (error %v), want a Reply with xid %06x", reply, err, controlXID)
	}

	after, err := dhcpv6Metrics(ctx, l)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	got := map[string]float64{}
	for s, v := range after {
		if d := v - before[s]; d != 0 && strings.HasPrefix(s, "ralab_dhcpv6_discards_total{") {
			got[s] = d
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("discards counted (-want +got):\n%s", diff)
	}
	replies := `ralab_dhcpv6_replies_sent_total{interface="lab0",type="reply"}`
	if n := after[replies] - before[replies]; n != 1 {
		t.Errorf("%v Replies sent for the bad messages and the control one, want 1", n)
	}

	// A good client still gets its Reply.
	inst, err := labclient.DHClient().Start(ctx, good, good.IfName)
	if err != nil {
		t.Fatalf("starting dhclient: %v", err)
	}
	if _, err := inst.WaitResolver(ctx, hasDHCPv6Config); err != nil {
		t.Fatalf("dhclient after the bad messages: %v", err)
	}

	path, _ := l.stopCapture(t)
	if rows := tsharkFields(t, path, fmt.Sprintf("udp.port == 546 && ipv6.src == %s && ipv6.dst == %s && dhcpv6.xid != %d", routerLL, bad.LinkLocal(), controlXID), []string{"frame.number", "dhcpv6.msgtype"}); len(rows) != 0 {
		t.Errorf("the router answered the bad messages: frames and types %v", rows)
	}
	checkReplies(t, path, map[netip.Addr]string{good.LinkLocal(): "dhclient"}, bad.LinkLocal())
	if t.Failed() {
		b, _ := os.ReadFile(l.ralab.Stderr)
		t.Logf("ralab log:\n%s", b)
	}
}
