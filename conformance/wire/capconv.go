package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// LINKTYPE_ values the reader handles (tcpdump.org link types).
const (
	linkTypeEthernet  = 1
	linkTypeDLTRaw12  = 12 // DLT_RAW on most BSDs; only in pcap files
	linkTypeDLTRaw14  = 14 // DLT_RAW on OpenBSD; only in pcap files
	linkTypeRaw       = 101
	linkTypeLinuxSLL  = 113
	linkTypeIPv4      = 228
	linkTypeIPv6      = 229
	linkTypeLinuxSLL2 = 276
)

// linkTypeNames names the link types of the captures users most often
// bring.
var linkTypeNames = map[uint16]string{
	0: "BSD loopback", 1: "Ethernet", 9: "PPP", 12: "raw IP", 14: "raw IP", 101: "raw IP",
	105: "IEEE 802.11", 108: "OpenBSD loopback", 113: "Linux cooked (SLL)", 127: "IEEE 802.11 radiotap",
	228: "raw IPv4", 229: "raw IPv6", 276: "Linux cooked v2 (SLL2)",
}

// LinkTypeName returns "NAME (LINKTYPE n)".
func LinkTypeName(lt uint16) string {
	if n, ok := linkTypeNames[lt]; ok {
		return fmt.Sprintf("%s (LINKTYPE %d)", n, lt)
	}
	return fmt.Sprintf("LINKTYPE %d", lt)
}

// maxLearned bounds the IP-to-MAC map of a LinkConverter.
const maxLearned = 1 << 16

// LinkConverter turns the records of one interface into Ethernet frames.
// Linux "cooked" records (SLL, SLL2) carry the sender's MAC but not the
// destination's; raw IP records carry neither. The destination of
// multicast is its group MAC (RFC 2464 §7, RFC 1112 §6.4); unicast MACs
// are learned per address from earlier packets. Raw IP senders get the
// MAC of their Neighbor Discovery link-layer option, else the one in an
// EUI-64 interface identifier (RFC 4291 §2.5.1), else a locally
// administered MAC hashed from the interface identifier: stable per
// address, not necessarily the host's.
type LinkConverter struct {
	lt      uint16
	learned map[netip.Addr]MAC
	buf     []byte
}

// newLinkConverter returns the converter of link type lt, or nil when it
// is not supported; pcap says the file is pcap (where 12 and 14 are
// DLT_RAW).
func newLinkConverter(lt uint16, pcap bool) *LinkConverter {
	switch lt {
	case linkTypeEthernet, linkTypeLinuxSLL, linkTypeLinuxSLL2, linkTypeRaw, linkTypeIPv4, linkTypeIPv6:
	case linkTypeDLTRaw12, linkTypeDLTRaw14:
		if !pcap {
			return nil
		}
		lt = linkTypeRaw
	default:
		return nil
	}
	return &LinkConverter{lt: lt, learned: make(map[netip.Addr]MAC)}
}

// Raw reports a link without link-layer addresses.
func (l *LinkConverter) Raw() bool {
	return l.lt == linkTypeRaw || l.lt == linkTypeIPv4 || l.lt == linkTypeIPv6
}

// Frame returns record b as an Ethernet frame, valid until the next call.
func (l *LinkConverter) Frame(b []byte) []byte {
	switch l.lt {
	case linkTypeEthernet:
		return b
	case linkTypeLinuxSLL, linkTypeLinuxSLL2:
		return l.cooked(b)
	}
	var et uint16
	switch {
	case l.lt == linkTypeIPv6, l.lt == linkTypeRaw && len(b) > 0 && b[0]>>4 == 6:
		et = 0x86dd
	case l.lt == linkTypeIPv4, l.lt == linkTypeRaw && len(b) > 0 && b[0]>>4 == 4:
		et = 0x0800
	}
	src, dst := l.rawMACs(et, b)
	return l.build(dst, src, et, b)
}

func (l *LinkConverter) build(dst, src MAC, et uint16, payload []byte) []byte {
	l.buf = append(l.buf[:0], dst[:]...)
	l.buf = append(l.buf, src[:]...)
	l.buf = binary.BigEndian.AppendUint16(l.buf, et)
	return append(l.buf, payload...)
}

// cooked converts a Linux cooked record, or returns b itself when it is
// too short to convert (the decoder then reports it).
func (l *LinkConverter) cooked(b []byte) []byte {
	var proto uint16
	var halen int
	var addr, payload []byte
	if l.lt == linkTypeLinuxSLL2 {
		// SLL2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1)
		// halen(1) address(8).
		if len(b) < 20 {
			return b
		}
		proto, halen, addr, payload = binary.BigEndian.Uint16(b[0:2]), int(b[11]), b[12:20], b[20:]
	} else {
		// SLL: pkttype(2) hatype(2) halen(2) address(8) protocol(2).
		if len(b) < 16 {
			return b
		}
		halen, addr, proto, payload = int(binary.BigEndian.Uint16(b[4:6])), b[6:14], binary.BigEndian.Uint16(b[14:16]),
			b[16:]
	}
	if halen != 6 {
		// No Ethernet sender (a tunnel, loopback): as raw IP.
		src, dst := l.rawMACs(proto, payload)
		return l.build(dst, src, proto, payload)
	}
	var src MAC
	copy(src[:], addr[:6])
	sip, dip := ipAddrs(proto, payload)
	if sip.IsValid() && !sip.IsUnspecified() && (len(l.learned) < maxLearned || l.learned[sip] != (MAC{})) {
		l.learned[sip] = src
	}
	return l.build(l.dstMAC(dip, false), src, proto, payload)
}

// ipAddrs returns the source and destination of an IPv6 or IPv4 packet.
func ipAddrs(et uint16, b []byte) (netip.Addr, netip.Addr) {
	switch {
	case et == 0x86dd && len(b) >= 40:
		return netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
	case et == 0x0800 && len(b) >= 20:
		return netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
	}
	return netip.Addr{}, netip.Addr{}
}

// dstMAC returns the destination MAC of a packet to a: the group MAC for
// multicast and broadcast, else the learned MAC (with derive, one derived
// from a; without, zero when unknown).
func (l *LinkConverter) dstMAC(a netip.Addr, derive bool) MAC {
	switch {
	case !a.IsValid():
		return MAC{}
	case a.Is6() && a.IsMulticast():
		d := a.As16()
		return MAC{0x33, 0x33, d[12], d[13], d[14], d[15]}
	case a.Is4() && a.IsMulticast():
		d := a.As4()
		return MAC{0x01, 0x00, 0x5e, d[1] & 0x7f, d[2], d[3]}
	case a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	}
	if m, ok := l.learned[a]; ok || !derive {
		return m
	}
	return l.macFor(a, MAC{}, false)
}

// rawMACs returns the MACs a raw IP packet would have had.
func (l *LinkConverter) rawMACs(et uint16, b []byte) (MAC, MAC) {
	sip, dip := ipAddrs(et, b)
	if !sip.IsValid() {
		return MAC{}, MAC{}
	}
	dst := l.dstMAC(dip, true)
	if sip.IsUnspecified() {
		return l.unspecifiedSender(et, b), dst
	}
	hint, ok := ndLinkAddress(b, sip)
	return l.macFor(sip, hint, ok), dst
}

// unspecifiedSender returns the MAC of a sender without an address: the
// owner of the target of a Duplicate Address Detection NS (RFC 4862
// §5.4.2), or a DHCPv4 client's chaddr (RFC 2131 §2).
func (l *LinkConverter) unspecifiedSender(et uint16, b []byte) MAC {
	if et == 0x86dd {
		if len(b) >= 64 && b[6] == protoICMPv6 && b[40] == icmpNS {
			return l.macFor(netip.AddrFrom16([16]byte(b[48:64])), MAC{}, false)
		}
		return MAC{}
	}
	ihl := int(b[0]&0x0f) * 4
	if b[9] != protoUDP || ihl < 20 || len(b) < ihl+8+34 || binary.BigEndian.Uint16(b[ihl:]) != 68 {
		return MAC{}
	}
	return MAC(b[ihl+8+28 : ihl+8+34])
}

// ndLinkAddress returns the link-layer address an ICMPv6 Neighbor
// Discovery message from src gives for src (RFC 4861 §4.6.1): the Source
// Link-Layer Address of an RS, RA or NS, the Target Link-Layer Address
// of an NA for src itself.
func ndLinkAddress(b []byte, src netip.Addr) (MAC, bool) {
	if len(b) < 48 || b[0]>>4 != 6 || b[6] != protoICMPv6 {
		return MAC{}, false
	}
	var off int
	want := uint8(1)
	switch b[40] {
	case icmpRS:
		off = 48
	case icmpRA:
		off = 56
	case icmpNS:
		off = 64
	case icmpNA:
		if len(b) < 64 || netip.AddrFrom16([16]byte(b[48:64])) != src {
			return MAC{}, false
		}
		off, want = 64, 2
	default:
		return MAC{}, false
	}
	for off+8 <= len(b) {
		l := int(b[off+1]) * 8
		if l == 0 {
			break
		}
		if b[off] == want {
			return MAC(b[off+2 : off+8]), true
		}
		off += l
	}
	return MAC{}, false
}

// macFor returns the MAC of address a: learned, else hint when has,
// else derived; the answer is remembered.
func (l *LinkConverter) macFor(a netip.Addr, hint MAC, has bool) MAC {
	if m, ok := l.learned[a]; ok {
		return m
	}
	m := hint
	if !has {
		m = derivedMAC(a)
	}
	if len(l.learned) < maxLearned {
		l.learned[a] = m
	}
	return m
}

// derivedMAC returns the MAC in a's EUI-64 interface identifier (RFC 4291
// §2.5.1, Appendix A), else a locally administered unicast MAC hashed
// (FNV-1a) from the interface identifier, or from an IPv4 address.
func derivedMAC(a netip.Addr) MAC {
	var id []byte
	if a.Is6() {
		b := a.As16()
		id = b[8:]
		if id[3] == 0xff && id[4] == 0xfe {
			return MAC{id[0] ^ 0x02, id[1], id[2], id[5], id[6], id[7]}
		}
	} else {
		b := a.As4()
		id = b[:]
	}
	h := uint64(14695981039346656037)
	for _, c := range id {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return MAC{byte(h>>40)&0xfc | 0x02, byte(h >> 32), byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}
}
