package frametest

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/mdlayher/ndp"
	"github.com/miekg/dns"
	"github.com/ralab/ralab/internal/capture"
)

// MAC is an Ethernet address; conformance/wire.MAC values assign to it.
type MAC = [6]byte

// Protocol numbers, DHCPv6 message types and option codes, link types,
// and pcapng block and option codes the builders write, kept apart from
// the decoder's own.
const (
	ProtoUDP      = 17
	ProtoFragment = 44
	ProtoICMPv6   = 58

	DHCPv6InfoRequest = 11
	DHCPv6Reply       = 7
	DHCPv6RelayRepl   = 13

	Opt6ClientID = 1
	Opt6ServerID = 2
	Opt6ORO      = 6
	Opt6Elapsed  = 8
	Opt6RelayMsg = 9
	Opt6DNS      = 23
	Opt6IRT      = 32

	LinkTypeEthernet  = 1
	LinkTypeDLTRaw12  = 12
	LinkTypeDLTRaw14  = 14
	LinkTypeRaw       = 101
	LinkTypeLinuxSLL  = 113
	LinkTypeIPv6      = 229
	LinkTypeLinuxSLL2 = 276

	BlockSHB = 0x0a0d0d0a
	BlockIDB = 1
	BlockISB = 5
	BlockEPB = 6

	OptIfName    = 2
	OptIfTsresol = 9
	OptIfTsoff   = 14
	OptIsbStart  = 2
	OptIsbEnd    = 3
)

// AllDHCPAgents is All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1).
var AllDHCPAgents = netip.MustParseAddr("ff02::1:2")

// Fixtures: one router, a few clients, fixed addresses.
// Test fixtures: one router, a few clients, fixed addresses.
var (
	T0         = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	RouterMAC  = MAC{0x02, 0, 0, 0, 0x01, 0x01}
	Router2MAC = MAC{0x02, 0, 0, 0, 0x01, 0x02}
	ClientMAC  = MAC{0x02, 0, 0, 0, 0x02, 0x01}
	Client2MAC = MAC{0x02, 0, 0, 0, 0x02, 0x02}
	RouterLL   = netip.MustParseAddr("fe80::ff:fe00:101")
	Router2LL  = netip.MustParseAddr("fe80::ff:fe00:102")
	ClientLL   = netip.MustParseAddr("fe80::ff:fe00:201")
	Client2LL  = netip.MustParseAddr("fe80::ff:fe00:202")
	AllNodes   = netip.MustParseAddr("ff02::1")
	AllRouters = netip.MustParseAddr("ff02::2")
	DNSServer  = netip.MustParseAddr("2001:db8::53")
	DNSServer2 = netip.MustParseAddr("2001:db8::54")
	Unspec     = netip.IPv6Unspecified()
)

// GroupMAC is the Ethernet group address of IPv6 multicast a (RFC 2464 §7).
func GroupMAC(a netip.Addr) MAC {
	b := a.As16()
	return MAC{0x33, 0x33, b[12], b[13], b[14], b[15]}
}

// MACOf returns the destination MAC for a: the group MAC for multicast.
func MACOf(a netip.Addr, unicast MAC) MAC {
	if a.IsMulticast() {
		return GroupMAC(a)
	}
	return unicast
}

// Cksum computes the IPv6 upper-layer checksum (RFC 8200 §8.1).
func Cksum(src, dst netip.Addr, proto uint8, b []byte) uint16 {
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

// IP6Opts tweak a built frame.
type IP6Opts struct {
	Hop      uint8
	BadSum   bool
	Fragment bool
	VLAN     uint16
}

// IP6 builds an Ethernet frame with an IPv6 packet carrying l4, filling
// in the ICMPv6 or UDP checksum.
func IP6(src, dst MAC, sip, dip netip.Addr, next uint8, l4 []byte, o IP6Opts) []byte {
	if o.Hop == 0 {
		o.Hop = 255
	}
	l4 = append([]byte{}, l4...)
	switch next {
	case ProtoICMPv6:
		binary.BigEndian.PutUint16(l4[2:4], 0)
		binary.BigEndian.PutUint16(l4[2:4], Cksum(sip, dip, next, l4))
		if o.BadSum {
			l4[2] ^= 0xff
		}
	case ProtoUDP:
		binary.BigEndian.PutUint16(l4[6:8], 0)
		binary.BigEndian.PutUint16(l4[6:8], Cksum(sip, dip, next, l4))
	}
	payload := l4
	nh := next
	if o.Fragment {
		payload = append([]byte{next, 0, 0, 1, 0, 0, 0, 42}, l4...) // offset 0, M=1
		nh = ProtoFragment
	}
	b := make([]byte, 0, 14+4+40+len(payload))
	b = append(b, dst[:]...)
	b = append(b, src[:]...)
	if o.VLAN != 0 {
		b = binary.BigEndian.AppendUint16(b, 0x8100)
		b = binary.BigEndian.AppendUint16(b, o.VLAN)
	}
	b = binary.BigEndian.AppendUint16(b, 0x86dd)
	b = append(b, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	b = append(b, nh, o.Hop)
	s, d := sip.As16(), dip.As16()
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	return append(b, payload...)
}

// NDPMsg marshals an ND message with mdlayher/ndp.
func NDPMsg(t testing.TB, m ndp.Message) []byte {
	t.Helper()
	b, err := ndp.MarshalMessage(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

// RASpec describes a test RA.
type RASpec struct {
	From     MAC
	Src      netip.Addr
	Dst      netip.Addr // default ff02::1
	DstMAC   MAC        // for unicast
	Lifetime time.Duration
	M, O     bool
	RDNSS    []ndp.RecursiveDNSServer
	Extra    []ndp.Option
	Raw      []byte // appended raw option bytes
	Opts     IP6Opts
}

// RA builds an RA frame.
func RA(t testing.TB, s RASpec) []byte {
	t.Helper()
	if s.From == (MAC{}) {
		s.From = RouterMAC
	}
	if !s.Src.IsValid() {
		s.Src = RouterLL
	}
	if !s.Dst.IsValid() {
		s.Dst = AllNodes
	}
	m := &ndp.RouterAdvertisement{CurrentHopLimit: 64, ManagedConfiguration: s.M, OtherConfiguration: s.O,
		RouterLifetime: s.Lifetime}
	for i := range s.RDNSS {
		m.Options = append(m.Options, &s.RDNSS[i])
	}
	m.Options = append(m.Options, s.Extra...)
	b := append(NDPMsg(t, m), s.Raw...)
	return IP6(s.From, MACOf(s.Dst, s.DstMAC), s.Src, s.Dst, ProtoICMPv6, b, s.Opts)
}

// RDNSS returns an RDNSS option list with one option.
func RDNSS(lt time.Duration, servers ...netip.Addr) []ndp.RecursiveDNSServer {
	return []ndp.RecursiveDNSServer{{Lifetime: lt, Servers: servers}}
}

// RS builds a Router Solicitation from mac at src.
func RS(t testing.TB, mac MAC, src netip.Addr, opts ...ndp.Option) []byte {
	t.Helper()
	return IP6(mac, GroupMAC(AllRouters), src, AllRouters, ProtoICMPv6,
		NDPMsg(t, &ndp.RouterSolicitation{Options: opts}), IP6Opts{})
}

// SolicitedNode returns the solicited-node group of a (RFC 4291 §2.7.1).
func SolicitedNode(a netip.Addr) netip.Addr {
	b := a.As16()
	return netip.AddrFrom16([16]byte{0xff, 0x02, 11: 1, 12: 0xff, 13: b[13], 14: b[14], 15: b[15]})
}

// DAD builds a DAD probe from mac for target.
func DAD(t testing.TB, mac MAC, target netip.Addr) []byte {
	t.Helper()
	g := SolicitedNode(target)
	return IP6(mac, GroupMAC(g), Unspec, g, ProtoICMPv6, NDPMsg(t, &ndp.NeighborSolicitation{TargetAddress: target}),
		IP6Opts{})
}

// UDP6 builds a UDP frame.
func UDP6(src, dst MAC, sip, dip netip.Addr, sport, dport uint16, payload []byte) []byte {
	u := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(u[0:2], sport)
	binary.BigEndian.PutUint16(u[2:4], dport)
	binary.BigEndian.PutUint16(u[4:6], uint16(8+len(payload)))
	u = append(u, payload...)
	return IP6(src, dst, sip, dip, ProtoUDP, u, IP6Opts{})
}

// Opt6 encodes one DHCPv6 option.
func Opt6(code uint16, data ...byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, code)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

// ORO6 encodes an ORO.
func ORO6(codes ...uint16) []byte {
	var d []byte
	for _, c := range codes {
		d = binary.BigEndian.AppendUint16(d, c)
	}
	return Opt6(Opt6ORO, d...)
}

// DUIDLL is a DUID-LL for mac (RFC 8415 §11.4).
func DUIDLL(mac MAC) []byte { return append([]byte{0, 3, 0, 1}, mac[:]...) }

// Elapsed6 encodes an Elapsed Time option.
func Elapsed6(cs uint16) []byte { return Opt6(Opt6Elapsed, byte(cs>>8), byte(cs)) }

// DNS6 encodes option 23.
func DNS6(servers ...netip.Addr) []byte {
	var d []byte
	for _, s := range servers {
		b := s.As16()
		d = append(d, b[:]...)
	}
	return Opt6(Opt6DNS, d...)
}

// Msg6 encodes a DHCPv6 client/server message.
func Msg6(typ uint8, xid uint32, opts ...[]byte) []byte {
	b := []byte{typ, byte(xid >> 16), byte(xid >> 8), byte(xid)}
	for _, o := range opts {
		b = append(b, o...)
	}
	return b
}

// IR builds an Information-Request from mac with the given options; nil
// opts means a well-formed one with ORO 23,24,32,83.
func IR(mac MAC, src netip.Addr, xid uint32, opts ...[]byte) []byte {
	if opts == nil {
		opts = [][]byte{Opt6(Opt6ClientID, DUIDLL(mac)...), Elapsed6(0), ORO6(23, 24, 32, 83)}
	}
	return UDP6(mac, GroupMAC(AllDHCPAgents), src, AllDHCPAgents, 546, 547, Msg6(DHCPv6InfoRequest, xid, opts...))
}

// Reply builds a Reply from the router to mac.
func Reply(mac MAC, dst netip.Addr, xid uint32, opts ...[]byte) []byte {
	return UDP6(RouterMAC, mac, RouterLL, dst, 547, 546, Msg6(DHCPv6Reply, xid, opts...))
}

// Query builds a DNS query from mac to server.
func Query(t testing.TB, mac MAC, src, server netip.Addr, id uint16) []byte {
	t.Helper()
	return QueryName(t, mac, src, server, id, "example.org.")
}

// QueryName builds a DNS AAAA query for name.
func QueryName(t testing.TB, mac MAC, src, server netip.Addr, id uint16, name string) []byte {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeAAAA)
	m.Id = id
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return UDP6(mac, RouterMAC, src, server, 40000+id, 53, b)
}

// Answer builds the response to Query.
func Answer(t testing.TB, mac MAC, dst, server netip.Addr, id uint16) []byte {
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
	return UDP6(RouterMAC, mac, server, dst, 53, 40000+id, b)
}

// TF is a frame at an offset from T0.
type TF struct {
	At    time.Duration
	Frame []byte
}

// At is shorthand for a frame at s seconds.
func At(s float64, b []byte) TF { return TF{At: time.Duration(s * float64(time.Second)), Frame: b} }

// NgFile builds pcapng files block by block, in either byte order, with
// the options the capture reader interprets.
type NgFile struct {
	B   []byte
	Big bool
}

// Order is the byte order of the file.
func (w *NgFile) Order() binary.AppendByteOrder {
	if w.Big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// Block appends a block of type typ around body (padded to 4 bytes).
func (w *NgFile) Block(typ uint32, body []byte) *NgFile {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	w.B = w.Order().AppendUint32(w.B, typ)
	w.B = w.Order().AppendUint32(w.B, n)
	w.B = append(w.B, body...)
	w.B = w.Order().AppendUint32(w.B, n)
	return w
}

// Opt encodes one option; Opts ends a list.
func (w *NgFile) Opt(code uint16, v []byte) []byte {
	b := w.Order().AppendUint16(nil, code)
	b = w.Order().AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// Opts ends an option list.
func (w *NgFile) Opts(o ...[]byte) []byte {
	return append(bytes.Join(o, nil), 0, 0, 0, 0)
}

// Shb adds a Section Header Block.
func (w *NgFile) Shb() *NgFile {
	b := w.Order().AppendUint32(nil, 0x1a2b3c4d)
	b = w.Order().AppendUint16(b, 1)
	b = w.Order().AppendUint16(b, 0)
	b = w.Order().AppendUint64(b, ^uint64(0))
	return w.Block(BlockSHB, b)
}

// Idb adds an interface; tsresol 0 leaves the default (µs).
func (w *NgFile) Idb(lt uint16, name string, tsresol uint8, tsoffset int64) *NgFile {
	b := w.Order().AppendUint16(nil, lt)
	b = w.Order().AppendUint16(b, 0)
	b = w.Order().AppendUint32(b, 262144)
	var o [][]byte
	if name != "" {
		o = append(o, w.Opt(OptIfName, []byte(name)))
	}
	if tsresol != 0 {
		o = append(o, w.Opt(OptIfTsresol, []byte{tsresol}))
	}
	if tsoffset != 0 {
		o = append(o, w.Opt(OptIfTsoff, w.Order().AppendUint64(nil, uint64(tsoffset))))
	}
	return w.Block(BlockIDB, append(b, w.Opts(o...)...))
}

// TS appends a 64-bit timestamp as two 32-bit halves.
func (w *NgFile) TS(b []byte, ts uint64) []byte {
	b = w.Order().AppendUint32(b, uint32(ts>>32))
	return w.Order().AppendUint32(b, uint32(ts))
}

// Epb adds an Enhanced Packet Block.
func (w *NgFile) Epb(iface uint32, ts uint64, data []byte) *NgFile {
	b := w.Order().AppendUint32(nil, iface)
	b = w.TS(b, ts)
	b = w.Order().AppendUint32(b, uint32(len(data)))
	b = w.Order().AppendUint32(b, uint32(len(data)))
	return w.Block(BlockEPB, append(b, data...))
}

// Isb adds an Interface Statistics Block with isb_endtime end.
func (w *NgFile) Isb(iface uint32, ts, end uint64) *NgFile {
	b := w.TS(w.Order().AppendUint32(nil, iface), ts)
	return w.Block(BlockISB, append(b, w.Opts(w.Opt(OptIsbEnd, w.TS(nil, end)))...))
}

// LinkRecord converts an Ethernet frame to a record of link type lt.
func LinkRecord(lt uint16, f []byte) []byte {
	src, proto, payload := f[6:12], f[12:14], f[14:]
	switch lt {
	case LinkTypeLinuxSLL:
		hdr := append([]byte{0, 0, 0, 1, 0, 6}, src...)
		return append(append(append(hdr, 0, 0), proto...), payload...)
	case LinkTypeLinuxSLL2:
		hdr := append(append([]byte{}, proto...), 0, 0, 0, 0, 0, 2, 0, 1, 0, 6)
		return append(append(append(hdr, src...), 0, 0), payload...)
	case LinkTypeEthernet:
		return f
	}
	return payload
}

// PcapOf writes frames as a pcap file of link type lt.
func PcapOf(t testing.TB, lt uint16, frames []TF) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriterNanos(&buf)
	if err := w.WriteFileHeader(65536, layers.LinkType(lt)); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		rec := LinkRecord(lt, f.Frame)
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: T0.Add(f.At), CaptureLength: len(rec),
			Length: len(rec)}, rec); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// NgOf writes frames as a pcapng file of one interface of link type lt.
func NgOf(lt uint16, frames []TF) []byte {
	w := (&NgFile{}).Shb().Idb(lt, "", 9, 0)
	for _, f := range frames {
		w.Epb(0, uint64(T0.Add(f.At).UnixNano()), LinkRecord(lt, f.Frame))
	}
	return w.B
}

// CapWriter writes frames through internal/capture's pcapng writer, the
// one ralab's own captures come from, with an interface statistics block
// ending at end when end is set.
func CapWriter(t testing.TB, frames []TF, end time.Duration) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, "lab0")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.WritePacket(capture.Packet{Time: T0.Add(f.At), Data: f.Frame, Length: len(f.Frame)}); err != nil {
			t.Fatal(err)
		}
	}
	if end != 0 {
		if err := w.WriteStats(capture.Stats{}, T0, T0.Add(end)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Clients builds a synthetic capture: n clients joining, soliciting,
// asking DHCPv6 and querying DNS, with periodic RAs (the benchmarks'
// load).
func Clients(t testing.TB, n int) []TF {
	sid := Opt6(Opt6ServerID, DUIDLL(RouterMAC)...)
	var frames []TF
	ts := 0.0
	for i := 0; i < n; i++ {
		mac := MAC{0x02, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}
		ll := netip.AddrFrom16([16]byte{0xfe, 0x80, 11: 0xff, 12: 0xfe, 13: byte(i >> 16), 14: byte(i >> 8),
			15: byte(i)})
		cid := Opt6(Opt6ClientID, DUIDLL(mac)...)
		frames = append(frames,
			At(ts, DAD(t, mac, ll)), At(ts+0.1, RS(t, mac, ll)),
			At(ts+0.2, IR(mac, ll, uint32(i), cid, Elapsed6(0), ORO6(23, 24, 32, 83))),
			At(ts+0.21,
				UDP6(RouterMAC, mac, RouterLL, ll, 547, 546, Msg6(DHCPv6Reply, uint32(i), sid, cid, DNS6(DNSServer)))))
		for q := 0; q < 8; q++ {
			frames = append(frames, At(ts+0.3+float64(q), Query(t, mac, ll, DNSServer, uint16(q))),
				At(ts+0.31+float64(q), Answer(t, mac, ll, DNSServer, uint16(q))))
		}
		if i%10 == 0 {
			frames = append(frames, At(ts+0.5,
				RA(t, RASpec{Lifetime: 1800 * time.Second, O: true, RDNSS: RDNSS(1800*time.Second, DNSServer)})))
		}
		ts += 4
	}
	return frames
}

// Seeds are one frame of each kind the decoder models, for fuzz corpora:
// an RA with RDNSS, DNSSL and PREF64, an Information-Request and its
// Reply, a DNS query, a DAD probe, an RS and a Relay-Reply.
func Seeds(t testing.TB) [][]byte {
	return [][]byte{
		RA(t, RASpec{Lifetime: 600 * time.Second, O: true, RDNSS: RDNSS(600*time.Second, DNSServer),
			Extra: []ndp.Option{&ndp.DNSSearchList{Lifetime: time.Minute, DomainNames: []string{"a.example"}},
				&ndp.PREF64{Lifetime: time.Minute, Prefix: netip.MustParsePrefix("64:ff9b::/96")}}}),
		IR(ClientMAC, ClientLL, 1),
		Reply(ClientMAC, ClientLL, 1, DNS6(DNSServer), Opt6(Opt6IRT, 0, 0, 1, 0)),
		Query(t, ClientMAC, ClientLL, DNSServer, 1),
		DAD(t, ClientMAC, ClientLL),
		RS(t, ClientMAC, ClientLL),
		UDP6(RouterMAC, ClientMAC, RouterLL, ClientLL, 547, 546,
			Msg6(DHCPv6RelayRepl, 0, make([]byte, 30), Opt6(Opt6RelayMsg, Msg6(DHCPv6Reply, 1, DNS6(DNSServer))...))),
	}
}
