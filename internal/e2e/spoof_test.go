package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/ralab/ralab/internal/netlab"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// spoofConfig serves stateless DHCPv6 and the lab DNS responder with
// their default limits, and metrics on the router namespace's loopback.
const spoofConfig = `
[http]
address = "[::1]:9430"

[[interface]]
name = "lab0"
other_config = true
max_interval = "10s"

  [[interface.prefix]]
  prefix = "2001:db8:1::/64"

  [[interface.rdnss]]
  servers = ["2001:db8:1::53"]

  [[interface.dnssl]]
  domains = ["lab.example"]

  [interface.dhcpv6]
  enabled = true

  [interface.dns_responder]
  enabled = true
    [[interface.dns_responder.record]]
    name = "www"
    type = "AAAA"
    value = "2001:db8:1::80"
`

// Spoofed flood parameters (issue 10): 150 messages a second for 6 s from
// 32 on-link addresses that no host owns, so that nobody answers the
// router's Neighbor Solicitations for them. Each address sends about 4.7
// messages a second, below every rate limit and above the replies the
// neighbour guard lets through unchecked (udpio.Budget in udpio.Window). The legitimate client asks
// every 250 ms from 1.5 s into the flood, when a send buffer that holds
// the replies to the spoofed addresses has filled, until 5.5 s.
const (
	spoofRate      = 150
	spoofFor       = 6 * time.Second
	spoofSources   = 32
	legitStart     = 1500 * time.Millisecond
	legitEvery     = 250 * time.Millisecond
	legitExchanges = 16
	legitWait      = time.Second
)

// dnsServer is the responder address of spoofConfig.
var dnsServer = netip.MustParseAddr("2001:db8:1::53")

// spoofer sends UDP datagrams from addresses its host does not own
// (IPV6_FREEBIND lets the kernel accept any source in IPV6_PKTINFO).
type spoofer struct {
	pc      *ipv6.PacketConn
	ifIndex int
}

// openSpoofer opens a spoofer in h's namespace on UDP port 546.
func openSpoofer(t *testing.T, h *netlab.Host) *spoofer {
	t.Helper()
	var s spoofer
	err := h.Do(func() error {
		ifi, err := net.InterfaceByName(h.IfName)
		if err != nil {
			return err
		}
		s.ifIndex = ifi.Index
		lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_FREEBIND, 1)
			})
			if err != nil {
				return err
			}
			return serr
		}}
		pc, err := lc.ListenPacket(t.Context(), "udp6", fmt.Sprintf("[::]:%d", dhcpClientPort))
		if err != nil {
			return err
		}
		s.pc = ipv6.NewPacketConn(pc)
		return nil
	})
	if err != nil {
		t.Fatalf("opening a spoofing socket in %s: %v", h.Namespace, err)
	}
	t.Cleanup(func() { s.pc.Close() })
	return &s
}

// flood sends spoofFor × spoofRate datagrams made by msg(i) to dst from
// spoofSources addresses made by src(i), round robin, evenly paced, and
// returns how many it sent. A send the kernel refuses, as when the
// neighbour table that all namespaces share is full (table_fulls in
// /proc/net/stat/ndisc_cache), is skipped; flood fails only when more
// than half are.
func (s *spoofer) flood(msg func(i int) []byte, src func(i int) netip.Addr, dst netip.AddrPort) (int, error) {
	n := int(spoofFor.Seconds() * spoofRate)
	to := &net.UDPAddr{IP: dst.Addr().AsSlice(), Port: int(dst.Port())}
	if dst.Addr().IsLinkLocalMulticast() || dst.Addr().IsLinkLocalUnicast() {
		to.Zone = strconv.Itoa(s.ifIndex)
	}
	start := time.Now()
	sent := 0
	var last error
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / spoofRate)))
		cm := &ipv6.ControlMessage{Src: src(i % spoofSources).AsSlice(), IfIndex: s.ifIndex}
		if _, err := s.pc.WriteTo(msg(i), cm, to); err != nil {
			last = err
			continue
		}
		sent++
	}
	if sent < n/2 {
		return sent, fmt.Errorf("only %d of %d spoofed datagrams sent: %w", sent, n, last)
	}
	return sent, nil
}

// spoofedLinkLocal and spoofedGlobal are the flood's source addresses:
// fe80::5:0 upwards and 2001:db8:1::5:0 upwards, owned by nobody.
func spoofedLinkLocal(i int) netip.Addr {
	return netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 13: 5, 14: byte(i >> 8), 15: byte(i)})
}

func spoofedGlobal(i int) netip.Addr {
	return netip.AddrFrom16([16]byte{0: 0x20, 1: 0x01, 2: 0x0d, 3: 0xb8, 5: 1, 13: 5, 14: byte(i >> 8), 15: byte(i)})
}

// buildIR builds an Information-Request with transaction ID
// xid, a DUID-LL client identifier and an ORO for DNS servers and
// domains.
func buildIR(xid uint32, hw net.HardwareAddr) []byte {
	return dhcpMessage(msgInfoRequest, xid,
		dhcpOption(optClientID, duidLL(hw)),
		dhcpOption(optORO, []byte{0, 23, 0, 24}))
}

// legitIR asks ralab for configuration with one Information-Request at a
// time from c's own link-local address on s and reports how many of exchanges
// were answered with a Reply of the same transaction ID within legitWait.
func legitIR(t *testing.T, c *netlab.Host, s *dhcpSocket, exchanges int) int {
	t.Helper()
	answered := 0
	for i := range exchanges {
		next := time.Now().Add(legitEvery)
		xid := uint32(0x100000 + i)
		if err := s.send(buildIR(xid, c.MAC), allDHCPAgents); err != nil {
			t.Errorf("legitimate Information-Request %d: %v", i, err)
			continue
		}
		deadline := time.Now().Add(legitWait)
		for time.Now().Before(deadline) {
			b, err := s.receive(time.Until(deadline))
			if err != nil || b == nil {
				break
			}
			if len(b) >= 4 && b[0] == msgReply && uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]) == xid {
				answered++
				break
			}
		}
		time.Sleep(time.Until(next))
	}
	return answered
}

// legitDNS queries the responder for www.lab.example AAAA once per
// legitEvery from c's SLAAC address and reports how many of exchanges
// were answered within legitWait.
func legitDNS(t *testing.T, c *netlab.Host, exchanges int) int {
	t.Helper()
	var conn *net.UDPConn
	err := c.Do(func() error {
		var err error
		conn, err = net.ListenUDP("udp6", &net.UDPAddr{IP: slaacAddr(c).AsSlice()})
		return err
	})
	if err != nil {
		t.Fatalf("DNS client socket in %s: %v", c.Namespace, err)
	}
	defer conn.Close()
	answered := 0
	buf := make([]byte, 2048)
	for i := range exchanges {
		next := time.Now().Add(legitEvery)
		q := new(dns.Msg)
		q.SetQuestion("www.lab.example.", dns.TypeAAAA)
		q.Id = uint16(0x4000 + i)
		b, err := q.Pack()
		if err != nil {
			t.Errorf("packing DNS query %d: %v", i, err)
			continue
		}
		if _, err := conn.WriteToUDPAddrPort(b, netip.AddrPortFrom(dnsServer, 53)); err != nil {
			t.Errorf("legitimate DNS query %d: %v", i, err)
			continue
		}
		deadline := time.Now().Add(legitWait)
		for {
			if err := conn.SetReadDeadline(deadline); err != nil {
				t.Errorf("DNS client socket: %v", err)
				return answered
			}
			n, err := conn.Read(buf)
			if err != nil {
				break
			}
			var r dns.Msg
			if r.Unpack(buf[:n]) == nil && r.Id == q.Id && r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1 {
				answered++
				break
			}
		}
		time.Sleep(time.Until(next))
	}
	return answered
}

// spoofQuery is a DNS query for www.lab.example AAAA with ID i.
func spoofQuery(i int) []byte {
	q := new(dns.Msg)
	q.SetQuestion("www.lab.example.", dns.TypeAAAA)
	q.Id = uint16(i)
	b, _ := q.Pack()
	return b
}

// underSpoofedFlood runs flood and, from legitStart into it, legit, and
// returns how many datagrams the flood sent and how many exchanges legit
// saw answered.
func underSpoofedFlood(t *testing.T, flood func() (int, error), legit func() int) (sent, answered int) {
	t.Helper()
	var wg sync.WaitGroup
	var ferr error
	wg.Go(func() { sent, ferr = flood() })
	time.Sleep(legitStart)
	answered = legit()
	wg.Wait()
	if ferr != nil {
		t.Fatal(ferr)
	}
	return sent, answered
}

// TestSpoofedOnLinkFlood checks that neither the DHCPv6 server nor the
// DNS responder blocks behind replies to on-link sources that never
// answer Neighbor Discovery (issue 10): while another host sends 150
// Information-Requests, then 150 DNS queries, a second from 32 spoofed
// on-link addresses, every request of a legitimate client is answered
// within a second, the replies to the spoofed sources are counted as
// dropped for an unresolved neighbour, and the "not sent" log stays
// within its rate limit.
func TestSpoofedOnLinkFlood(t *testing.T) {
	t.Parallel()
	l := newLab(t, spoofConfig)
	c1 := l.Host(t, "c1", mac1)
	c2 := l.Host(t, "c2", mac2)
	for _, c := range []*netlab.Host{c1, c2} {
		waitFor(t, c.Name+"'s SLAAC address", 60*time.Second, func() (bool, string) {
			return hasAddress(t.Context(), c, slaacAddr(c))
		})
	}
	l.waitLog(t, "the DNS responder to listen", "DNS responder listening")
	ds := openDHCPSocket(t, c1)
	if got := legitIR(t, c1, ds, 1) + legitDNS(t, c1, 1); got != 2 {
		t.Fatalf("before the flood: %d of 2 exchanges answered", got)
	}
	sp := openSpoofer(t, c2)
	fullsBefore := neighbourTableFulls(t)

	dhcpSent, dhcpOK := underSpoofedFlood(t, func() (int, error) {
		return sp.flood(func(i int) []byte { return buildIR(uint32(i), c2.MAC) },
			spoofedLinkLocal, netip.AddrPortFrom(allDHCPAgents, dhcpServerPort))
	}, func() int { return legitIR(t, c1, ds, legitExchanges) })
	t.Logf("DHCPv6: %d spoofed Information-Requests sent; %d of %d legitimate ones answered", dhcpSent, dhcpOK, legitExchanges)
	// Let the kernel give up on the spoofed neighbours.
	time.Sleep(4 * time.Second)
	dnsSent, dnsOK := underSpoofedFlood(t, func() (int, error) {
		return sp.flood(spoofQuery, spoofedGlobal, netip.AddrPortFrom(dnsServer, 53))
	}, func() int { return legitDNS(t, c1, legitExchanges) })
	t.Logf("DNS: %d spoofed queries sent; %d of %d legitimate ones answered", dnsSent, dnsOK, legitExchanges)

	var note string
	if n := neighbourTableFulls(t) - fullsBefore; n > 0 {
		// The table is global: other namespaces (other tests) can fill it.
		note = fmt.Sprintf(" (the kernel's neighbour table, shared by every namespace, overflowed %d times meanwhile: sends fail with EINVAL whatever the server does)", n)
	}
	if dhcpOK != legitExchanges {
		t.Errorf("DHCPv6 under the spoofed flood: %d of %d legitimate Information-Requests answered%s", dhcpOK, legitExchanges, note)
	}
	if dnsOK != legitExchanges {
		t.Errorf("DNS under the spoofed flood: %d of %d legitimate queries answered%s", dnsOK, legitExchanges, note)
	}
	checkSpoofMetrics(t, l)
	checkNotSentLogs(t, l)
}

// neighbourTableFulls returns how often the kernel's IPv6 neighbour table
// overflowed (table_fulls of /proc/net/stat/ndisc_cache, summed over the
// CPUs).
func neighbourTableFulls(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/net/stat/ndisc_cache")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	col := slices.Index(strings.Fields(lines[0]), "table_fulls")
	if col < 0 {
		t.Fatalf("/proc/net/stat/ndisc_cache has no table_fulls column:\n%s", b)
	}
	var sum uint64
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if col < len(f) {
			v, err := strconv.ParseUint(f[col], 16, 64)
			if err != nil {
				t.Fatalf("/proc/net/stat/ndisc_cache: %v", err)
			}
			sum += v
		}
	}
	return sum
}

// checkSpoofMetrics checks that replies to the spoofed sources were
// dropped for their unresolved neighbours and that no legitimate reply
// was lost to a full send buffer.
func checkSpoofMetrics(t *testing.T, l *lab) {
	t.Helper()
	all, err := scrapeMetrics(t.Context(), l.Router())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`ralab_dhcpv6_discards_total{interface="lab0",reason="neighbour-unresolved"}`,
		`ralab_dns_dropped_total{interface="lab0",reason="neighbour-unresolved"}`,
	} {
		t.Logf("%s %v", s, all[s])
		if all[s] == 0 {
			t.Errorf("%s = 0, want replies to spoofed sources counted", s)
		}
	}
	for _, s := range []string{
		`ralab_dhcpv6_discards_total{interface="lab0",reason="send-buffer-full"}`,
		`ralab_dns_dropped_total{interface="lab0",reason="send-buffer-full"}`,
		`ralab_dhcpv6_kernel_receive_drops_total{interface="lab0"}`,
		`ralab_dns_dropped_total{interface="lab0",reason="receive-queue-full"}`,
	} {
		t.Logf("%s %v", s, all[s])
		if all[s] != 0 {
			t.Errorf("%s = %v, want 0", s, all[s])
		}
	}
}

// checkNotSentLogs checks that the logs of replies not sent stay within
// their limit of 10 records a second.
func checkNotSentLogs(t *testing.T, l *lab) {
	t.Helper()
	b, err := os.ReadFile(l.ralab.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	limit := 10 * int(2*spoofFor.Seconds()+6)
	for _, m := range []string{"dhcpv6 reply not sent", "DNS response not sent"} {
		n := bytes.Count(b, []byte(m))
		t.Logf("%q logged %d times", m, n)
		if n == 0 || n > limit {
			t.Errorf("%q logged %d times, want 1 to %d", m, n, limit)
		}
	}
}
