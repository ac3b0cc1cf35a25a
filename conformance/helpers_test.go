package conformance

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/miekg/dns"
)

// Test fixtures: one router, a few clients, fixed addresses.
var (
	t0         = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	routerMAC  = MAC{0x02, 0, 0, 0, 0x01, 0x01}
	router2MAC = MAC{0x02, 0, 0, 0, 0x01, 0x02}
	clientMAC  = MAC{0x02, 0, 0, 0, 0x02, 0x01}
	client2MAC = MAC{0x02, 0, 0, 0, 0x02, 0x02}
	routerLL   = netip.MustParseAddr("fe80::ff:fe00:101")
	router2LL  = netip.MustParseAddr("fe80::ff:fe00:102")
	clientLL   = netip.MustParseAddr("fe80::ff:fe00:201")
	client2LL  = netip.MustParseAddr("fe80::ff:fe00:202")
	allNodes   = netip.MustParseAddr("ff02::1")
	allRouters = netip.MustParseAddr("ff02::2")
	dnsServer  = netip.MustParseAddr("2001:db8::53")
	dnsServer2 = netip.MustParseAddr("2001:db8::54")
	unspec     = netip.IPv6Unspecified()
)

// groupMAC is the Ethernet group address of IPv6 multicast a (RFC 2464 §7).
func groupMAC(a netip.Addr) MAC {
	b := a.As16()
	return MAC{0x33, 0x33, b[12], b[13], b[14], b[15]}
}

// macOf returns the destination MAC for a: the group MAC for multicast.
func macOf(a netip.Addr, unicast MAC) MAC {
	if a.IsMulticast() {
		return groupMAC(a)
	}
	return unicast
}

// cksum computes the IPv6 upper-layer checksum (RFC 8200 §8.1).
func cksum(src, dst netip.Addr, proto uint8, b []byte) uint16 {
	var sum uint32
	add := func(buf []byte) {
		for i := 0; i+1 < len(buf); i += 2 {
			sum += uint32(buf[i])<<8 | uint32(buf[i+1])
		}
		if len(buf)%2 == 1 {
			sum += uint32(buf[len(buf)-1]) << 8
		}
	}
	s, d := src.As16(), dst.As16()
	add(s[:])
	add(d[:])
	sum += uint32(len(b)) + uint32(proto)
	add(b)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// ip6opts tweak a built frame.
type ip6opts struct {
	hop      uint8
	badSum   bool
	fragment bool
	vlan     uint16
}

// ip6 builds an Ethernet frame with an IPv6 packet carrying l4, filling
// in the ICMPv6 or UDP checksum.
func ip6(src, dst MAC, sip, dip netip.Addr, next uint8, l4 []byte, o ip6opts) []byte {
	if o.hop == 0 {
		o.hop = 255
	}
	l4 = append([]byte{}, l4...)
	switch next {
	case protoICMPv6:
		binary.BigEndian.PutUint16(l4[2:4], 0)
		binary.BigEndian.PutUint16(l4[2:4], cksum(sip, dip, next, l4))
		if o.badSum {
			l4[2] ^= 0xff
		}
	case protoUDP:
		binary.BigEndian.PutUint16(l4[6:8], 0)
		binary.BigEndian.PutUint16(l4[6:8], cksum(sip, dip, next, l4))
	}
	payload := l4
	nh := next
	if o.fragment {
		payload = append([]byte{next, 0, 0, 1, 0, 0, 0, 42}, l4...) // offset 0, M=1
		nh = protoFragment
	}
	b := make([]byte, 0, 14+4+40+len(payload))
	b = append(b, dst[:]...)
	b = append(b, src[:]...)
	if o.vlan != 0 {
		b = binary.BigEndian.AppendUint16(b, 0x8100)
		b = binary.BigEndian.AppendUint16(b, o.vlan)
	}
	b = binary.BigEndian.AppendUint16(b, 0x86dd)
	b = append(b, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	b = append(b, nh, o.hop)
	s, d := sip.As16(), dip.As16()
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	return append(b, payload...)
}

// ndpMsg marshals an ND message with mdlayher/ndp.
func ndpMsg(t testing.TB, m ndp.Message) []byte {
	t.Helper()
	b, err := ndp.MarshalMessage(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

// raSpec describes a test RA.
type raSpec struct {
	from     MAC
	src      netip.Addr
	dst      netip.Addr // default ff02::1
	dstMAC   MAC        // for unicast
	lifetime time.Duration
	m, o     bool
	rdnss    []ndp.RecursiveDNSServer
	extra    []ndp.Option
	raw      []byte // appended raw option bytes
	opts     ip6opts
}

// ra builds an RA frame.
func ra(t testing.TB, s raSpec) []byte {
	t.Helper()
	if s.from == (MAC{}) {
		s.from = routerMAC
	}
	if !s.src.IsValid() {
		s.src = routerLL
	}
	if !s.dst.IsValid() {
		s.dst = allNodes
	}
	m := &ndp.RouterAdvertisement{CurrentHopLimit: 64, ManagedConfiguration: s.m, OtherConfiguration: s.o, RouterLifetime: s.lifetime}
	for i := range s.rdnss {
		m.Options = append(m.Options, &s.rdnss[i])
	}
	m.Options = append(m.Options, s.extra...)
	b := append(ndpMsg(t, m), s.raw...)
	return ip6(s.from, macOf(s.dst, s.dstMAC), s.src, s.dst, protoICMPv6, b, s.opts)
}

// rdnss returns an RDNSS option list with one option.
func rdnss(lt time.Duration, servers ...netip.Addr) []ndp.RecursiveDNSServer {
	return []ndp.RecursiveDNSServer{{Lifetime: lt, Servers: servers}}
}

// rs builds a Router Solicitation from mac at src.
func rs(t testing.TB, mac MAC, src netip.Addr, opts ...ndp.Option) []byte {
	t.Helper()
	return ip6(mac, groupMAC(allRouters), src, allRouters, protoICMPv6, ndpMsg(t, &ndp.RouterSolicitation{Options: opts}), ip6opts{})
}

// solicitedNode returns the solicited-node group of a (RFC 4291 §2.7.1).
func solicitedNode(a netip.Addr) netip.Addr {
	b := a.As16()
	return netip.AddrFrom16([16]byte{0xff, 0x02, 11: 1, 12: 0xff, 13: b[13], 14: b[14], 15: b[15]})
}

// dad builds a DAD probe from mac for target.
func dad(t testing.TB, mac MAC, target netip.Addr) []byte {
	t.Helper()
	g := solicitedNode(target)
	return ip6(mac, groupMAC(g), unspec, g, protoICMPv6, ndpMsg(t, &ndp.NeighborSolicitation{TargetAddress: target}), ip6opts{})
}

// udp6 builds a UDP frame.
func udp6(src, dst MAC, sip, dip netip.Addr, sport, dport uint16, payload []byte) []byte {
	u := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(u[0:2], sport)
	binary.BigEndian.PutUint16(u[2:4], dport)
	binary.BigEndian.PutUint16(u[4:6], uint16(8+len(payload)))
	u = append(u, payload...)
	return ip6(src, dst, sip, dip, protoUDP, u, ip6opts{})
}

// opt6 encodes one DHCPv6 option.
func opt6(code uint16, data ...byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, code)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

// oro6 encodes an ORO.
func oro6(codes ...uint16) []byte {
	var d []byte
	for _, c := range codes {
		d = binary.BigEndian.AppendUint16(d, c)
	}
	return opt6(opt6ORO, d...)
}

// duidLL is a DUID-LL for mac (RFC 8415 §11.4).
func duidLL(mac MAC) []byte { return append([]byte{0, 3, 0, 1}, mac[:]...) }

// elapsed6 encodes an Elapsed Time option.
func elapsed6(cs uint16) []byte { return opt6(opt6Elapsed, byte(cs>>8), byte(cs)) }

// dns6 encodes option 23.
func dns6(servers ...netip.Addr) []byte {
	var d []byte
	for _, s := range servers {
		b := s.As16()
		d = append(d, b[:]...)
	}
	return opt6(opt6DNS, d...)
}

// msg6 encodes a DHCPv6 client/server message.
func msg6(typ uint8, xid uint32, opts ...[]byte) []byte {
	b := []byte{typ, byte(xid >> 16), byte(xid >> 8), byte(xid)}
	for _, o := range opts {
		b = append(b, o...)
	}
	return b
}

// ir builds an Information-Request from mac with the given options; nil
// opts means a well-formed one with ORO 23,24,32,83.
func ir(mac MAC, src netip.Addr, xid uint32, opts ...[]byte) []byte {
	if opts == nil {
		opts = [][]byte{opt6(opt6ClientID, duidLL(mac)...), elapsed6(0), oro6(23, 24, 32, 83)}
	}
	return udp6(mac, groupMAC(allDHCPAgents), src, allDHCPAgents, 546, 547, msg6(dhcp6InfoRequest, xid, opts...))
}

// reply builds a Reply from the router to mac.
func reply(mac MAC, dst netip.Addr, xid uint32, opts ...[]byte) []byte {
	return udp6(routerMAC, mac, routerLL, dst, 547, 546, msg6(dhcp6Reply, xid, opts...))
}

// query builds a DNS query from mac to server; answer the response.
func query(t testing.TB, mac MAC, src, server netip.Addr, id uint16) []byte {
	t.Helper()
	return queryName(t, mac, src, server, id, "example.org.")
}

// queryName builds a DNS AAAA query for name.
func queryName(t testing.TB, mac MAC, src, server netip.Addr, id uint16, name string) []byte {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeAAAA)
	m.Id = id
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return udp6(mac, routerMAC, src, server, 40000+id, 53, b)
}

func answer(t testing.TB, mac MAC, dst, server netip.Addr, id uint16) []byte {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion("example.org.", dns.TypeAAAA)
	q.Id = id
	m := new(dns.Msg)
	m.SetReply(q)
	rr, _ := dns.NewRR("example.org. 60 IN AAAA 2001:db8::1")
	m.Answer = append(m.Answer, rr)
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return udp6(routerMAC, mac, server, dst, 53, 40000+id, b)
}

// tf is a frame at an offset from t0.
type tf struct {
	at time.Duration
	b  []byte
}

// at is shorthand for a frame at s seconds.
func at(s float64, b []byte) tf { return tf{at: time.Duration(s * float64(time.Second)), b: b} }

// run feeds frames to a new tracker and reports as of end (seconds after
// t0; 0 means the last packet).
func run(frames []tf, end float64) *Report {
	tr := NewTracker(Options{})
	for _, f := range frames {
		tr.ObserveFrame(f.b, t0.Add(f.at))
	}
	var now time.Time
	if end > 0 {
		now = t0.Add(time.Duration(end * float64(time.Second)))
	}
	return tr.Report(now)
}

// clientOf returns the report entry of mac.
func clientOf(t testing.TB, r *Report, mac MAC) Client {
	t.Helper()
	for _, c := range r.Clients {
		if c.MAC == mac.String() {
			return c
		}
	}
	t.Fatalf("client %s not in report (clients: %d)", mac, len(r.Clients))
	return Client{}
}

// findingIDs lists "ID severity subject" for every finding with one of ids.
func findingIDs(r *Report, ids ...string) []string {
	var out []string
	match := func(f Finding) {
		for _, id := range ids {
			if f.ID == id {
				subj := f.Client + f.Router
				if subj == "" {
					subj = "link"
				}
				out = append(out, f.ID+" "+f.Severity+" "+subj)
			}
		}
	}
	for _, f := range r.Findings {
		match(f)
	}
	for _, rt := range r.Routers {
		for _, f := range rt.Findings {
			match(f)
		}
	}
	for _, c := range r.Clients {
		for _, f := range c.Findings {
			match(f)
		}
	}
	for _, h := range r.IPv4OnlyHosts {
		for _, f := range h.Findings {
			match(f)
		}
	}
	return out
}

// hw converts a MAC for ndp options.
func hw(m MAC) net.HardwareAddr { return net.HardwareAddr(m[:]) }

// ndpNA is a solicited NA for the client's link-local address.
var ndpNA = ndp.NeighborAdvertisement{Solicited: true, TargetAddress: clientLL}

// mustPrefix parses a prefix.
func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// clientView is the part of a client's report that tests compare.
type clientView struct {
	MAC        string
	Identified string
	Verdict    Verdict
}

// viewOf returns the clientView of every client of r.
func viewOf(r *Report) []clientView {
	var out []clientView
	if r == nil {
		return out
	}
	for _, c := range r.Clients {
		out = append(out, clientView{MAC: c.MAC, Identified: c.Identified, Verdict: c.Verdict})
	}
	return out
}
