package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// ErrMalformed is wrapped by the error Decode returns when a frame had
// malformed pieces. The Packet is still valid: the well-formed parts were
// decoded.
var ErrMalformed = errors.New("malformed packet")

// MalformedError lists the malformed pieces of one frame.
type MalformedError struct {
	// Packet is the frame's packet number.
	Packet int
	// Problems are the malformed pieces.
	Problems []Problem
}

// Error implements error.
func (e *MalformedError) Error() string {
	msgs := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		msgs = append(msgs, p.Message)
	}
	return fmt.Sprintf("packet %d: %s", e.Packet, strings.Join(msgs, "; "))
}

// Unwrap returns ErrMalformed.
func (e *MalformedError) Unwrap() error { return ErrMalformed }

// CheckDecode is the Finding ID of a malformed piece that no field-guide
// check covers (a truncated header, an undecodable DNS message).
const CheckDecode = "DECODE"

// Problem is one malformed piece of a frame.
type Problem struct {
	// ID is the field-guide check the piece violates ("R1", "R5", ...),
	// or CheckDecode.
	ID string
	// RFC is the section that defines the format, if any.
	RFC string
	// Message describes the piece in one line.
	Message string
	// Warning marks problems that may be capture artefacts rather than
	// wire errors (a UDP checksum captured on the sending host before
	// checksum offload filled it in).
	Warning bool
}

// MAC is an Ethernet address.
type MAC [6]byte

// String returns m as lower-case colon-separated hex.
func (m MAC) String() string {
	const hex = "0123456789abcdef"
	var b [17]byte
	for i, c := range m {
		if i > 0 {
			b[i*3-1] = ':'
		}
		b[i*3] = hex[c>>4]
		b[i*3+1] = hex[c&0xf]
	}
	return string(b[:])
}

// Multicast reports whether m is a group address (I/G bit set).
func (m MAC) Multicast() bool { return m[0]&0x01 != 0 }

// LocallyAdministered reports whether the U/L bit (0x02 of the first
// octet) is set, as in randomised addresses (IEEE 802 §8.2).
func (m MAC) LocallyAdministered() bool { return m[0]&0x02 != 0 }

// IP protocol numbers (IANA).
const (
	protoHopByHop = 0
	protoTCP      = 6
	protoUDP      = 17
	protoRouting  = 43
	protoFragment = 44
	protoICMPv6   = 58
	protoDestOpts = 60
)

// ICMPv6 Neighbor Discovery message types (RFC 4861 §4).
const (
	icmpRS       = 133
	icmpRA       = 134
	icmpNS       = 135
	icmpNA       = 136
	icmpRedirect = 137
)

// Packet is one decoded frame. Only the parts the observer models are
// decoded; the pointers are nil for absent layers.
type Packet struct {
	// N is the packet number (1-based, capture order).
	N int
	// Time is the capture timestamp.
	Time time.Time
	// Length is the captured frame length.
	Length int

	// SrcMAC is the Ethernet source.
	SrcMAC MAC
	// DstMAC is the Ethernet destination.
	DstMAC MAC
	// VLAN is the 802.1Q VLAN ID, when HasVLAN.
	VLAN uint16
	// HasVLAN reports an 802.1Q tag.
	HasVLAN bool

	// IPVersion is 4 or 6, or 0 for other frames.
	IPVersion int
	// Src is the IP source.
	Src netip.Addr
	// Dst is the IP destination.
	Dst netip.Addr
	// HopLimit is the IPv6 hop limit or IPv4 TTL.
	HopLimit uint8
	// IPLength is the IP packet length from the header (IPv6: 40 plus the
	// payload length field).
	IPLength int
	// ExtHeaders are the IPv6 extension header types walked, in order.
	ExtHeaders []uint8
	// Fragmented reports an IPv6 Fragment header (or IPv4 fragment).
	Fragmented bool
	// FragmentOffset is the fragment offset in bytes.
	FragmentOffset int
	// Proto is the upper-layer protocol (58 ICMPv6, 17 UDP, 6 TCP).
	Proto uint8
	// SrcPort is the UDP or TCP source port.
	SrcPort uint16
	// DstPort is the UDP or TCP destination port.
	DstPort uint16

	// ICMPType is the ICMPv6 type, when Proto is 58.
	ICMPType uint8
	// ICMPCode is the ICMPv6 code.
	ICMPCode uint8
	// ICMPLength is the ICMPv6 message length.
	ICMPLength int
	// ICMPChecksumBad reports a wrong ICMPv6 checksum: hosts discard the
	// message (RFC 4443 §2.3).
	ICMPChecksumBad bool

	// RS is a Router Solicitation.
	RS *RouterSolicitation
	// RA is a Router Advertisement.
	RA *RouterAdvertisement
	// NS is a Neighbor Solicitation.
	NS *NeighborSolicitation
	// NA is a Neighbor Advertisement.
	NA *NeighborAdvertisement
	// DHCPv6 is a DHCPv6 message (UDP 546/547).
	DHCPv6 *DHCPv6
	// DNS is a DNS message (UDP or TCP 53).
	DNS *DNSMessage
	// DHCPv4 is a DHCPv4 message (UDP 67/68).
	DHCPv4 *DHCPv4

	// Problems are the malformed pieces.
	Problems []Problem
}

// Decode decodes one Ethernet frame captured at ts as packet number n. It
// never panics and never rejects a whole frame for one bad piece: the
// returned error, when not nil, is a *MalformedError (wrapping
// ErrMalformed) listing the malformed pieces, which are also in
// Packet.Problems, and the Packet holds everything else that decoded.
func Decode(frame []byte, ts time.Time, n int) (Packet, error) {
	p := Packet{N: n, Time: ts, Length: len(frame)}
	p.decodeEthernet(frame)
	if len(p.Problems) > 0 {
		return p, &MalformedError{Packet: n, Problems: p.Problems}
	}
	return p, nil
}

func (p *Packet) problem(id, rfc, format string, args ...any) {
	p.Problems = append(p.Problems, Problem{ID: id, RFC: rfc, Message: fmt.Sprintf(format, args...)})
}

func (p *Packet) decodeEthernet(b []byte) {
	if len(b) < 14 {
		p.problem(CheckDecode, "", "Ethernet frame of %d bytes is shorter than its 14-byte header", len(b))
		return
	}
	copy(p.DstMAC[:], b[0:6])
	copy(p.SrcMAC[:], b[6:12])
	et := binary.BigEndian.Uint16(b[12:14])
	b = b[14:]
	// IEEE 802.1Q (0x8100) and 802.1ad (0x88a8) tags; at most two.
	for i := 0; i < 2 && (et == 0x8100 || et == 0x88a8); i++ {
		if len(b) < 4 {
			p.problem(CheckDecode, "", "802.1Q tag truncated")
			return
		}
		p.HasVLAN = true
		p.VLAN = binary.BigEndian.Uint16(b[0:2]) & 0x0fff
		et = binary.BigEndian.Uint16(b[2:4])
		b = b[4:]
	}
	switch et {
	case 0x86dd:
		p.decodeIPv6(b)
	case 0x0800:
		p.decodeIPv4(b)
	}
}

// decodeIPv6 decodes an IPv6 packet (RFC 8200).
func (p *Packet) decodeIPv6(b []byte) {
	if len(b) < 40 {
		p.problem(CheckDecode, "RFC 8200 §3", "IPv6 header truncated: %d of 40 bytes", len(b))
		return
	}
	if b[0]>>4 != 6 {
		p.problem(CheckDecode, "RFC 8200 §3", "IPv6 EtherType with IP version %d", b[0]>>4)
		return
	}
	p.IPVersion = 6
	plen := int(binary.BigEndian.Uint16(b[4:6]))
	next := b[6]
	p.HopLimit = b[7]
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	p.IPLength = 40 + plen
	payload := b[40:]
	complete := true
	switch {
	case plen == 0:
		// A Jumbo Payload (RFC 2675) or nothing at all; take what we have.
		complete = false
	case plen < len(payload):
		payload = payload[:plen] // Ethernet padding
	case plen > len(payload):
		p.problem(CheckDecode, "RFC 8200 §3", "IPv6 payload truncated: %d of %d bytes captured", len(payload), plen)
		complete = false
	}
	next, payload, complete, ok := p.walkExtHeaders(next, payload, complete)
	if !ok {
		return
	}
	p.Proto = next
	p.decodeUpper6(next, payload, complete)
}

// walkExtHeaders walks the IPv6 extension headers (RFC 8200 §4) from
// next, returning the upper-layer protocol, its payload, whether the
// payload is complete, and false when there is no upper-layer header to
// decode (a malformed chain, or not the first fragment).
func (p *Packet) walkExtHeaders(next uint8, payload []byte, complete bool) (uint8, []byte, bool, bool) {
	for hops := 0; ; hops++ {
		if hops > 16 {
			p.problem(CheckDecode, "RFC 8200 §4", "more than 16 IPv6 extension headers")
			return next, nil, false, false
		}
		switch next {
		case protoHopByHop, protoRouting, protoDestOpts:
			if len(payload) < 8 {
				p.problem(CheckDecode, "RFC 8200 §4", "IPv6 extension header %d truncated", next)
				return next, nil, false, false
			}
			l := (int(payload[1]) + 1) * 8
			if l > len(payload) {
				p.problem(CheckDecode, "RFC 8200 §4", "IPv6 extension header %d of %d bytes exceeds the packet", next, l)
				return next, nil, false, false
			}
			p.ExtHeaders = append(p.ExtHeaders, next)
			next = payload[0]
			payload = payload[l:]
		case protoFragment:
			if len(payload) < 8 {
				p.problem(CheckDecode, "RFC 8200 §4.5", "IPv6 Fragment header truncated")
				return next, nil, false, false
			}
			p.ExtHeaders = append(p.ExtHeaders, next)
			p.Fragmented = true
			// 13 bits in 8-octet units, already shifted by 3
			p.FragmentOffset = int(binary.BigEndian.Uint16(payload[2:4]) &^ 7)
			next = payload[0]
			payload = payload[8:]
			complete = false
			if p.FragmentOffset != 0 {
				// Not the first fragment: no upper-layer header here.
				p.Proto = next
				return next, nil, false, false
			}
		default:
			return next, payload, complete, true
		}
	}
}

// decodeUpper6 decodes the upper-layer payload of protocol next.
func (p *Packet) decodeUpper6(next uint8, payload []byte, complete bool) {
	switch next {
	case protoICMPv6:
		if complete && len(payload) > 0 && payload[0] >= icmpRS && payload[0] <= icmpRedirect {
			// Only Neighbor Discovery is modelled: other ICMPv6
			// messages are not checked.
			p.verifyChecksum6(payload, protoICMPv6, "ICMPv6")
		}
		p.decodeICMPv6(payload)
		if p.Fragmented && p.ICMPType >= icmpRS && p.ICMPType <= icmpRedirect && p.ICMPType != icmpRA {
			// RAs get their own finding (R8); RFC 6980 §5 covers all ND.
			p.problem(CheckDecode, "RFC 6980 §5",
				"fragmented Neighbor Discovery message (ICMPv6 type %d): receivers MUST drop it", p.ICMPType)
		}
	case protoUDP:
		p.decodeUDP(payload, complete)
	case protoTCP:
		p.decodeTCP(payload)
	}
}

func (p *Packet) decodeIPv4(b []byte) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return // Not modelled; no need to complain about IPv4 at large.
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || ihl > len(b) || total < ihl {
		p.problem(CheckDecode, "RFC 791 §3.1", "IPv4 header length %d / total length %d invalid", ihl, total)
		return
	}
	p.IPVersion = 4
	p.IPLength = total
	p.HopLimit = b[8]
	p.Proto = b[9]
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	frag := binary.BigEndian.Uint16(b[6:8])
	if frag&0x3fff != 0 {
		p.Fragmented = true
		p.FragmentOffset = int(frag&0x1fff) * 8
		return
	}
	payload := b[ihl:]
	if total < len(b) {
		payload = b[ihl:total]
	}
	switch p.Proto {
	case protoUDP:
		p.decodeUDP(payload, false)
	case protoTCP:
		p.decodeTCP(payload)
	}
}

// verifyChecksum6 checks the Internet checksum of an ICMPv6 or UDP
// message over the IPv6 pseudo-header (RFC 8200 §8.1).
func (p *Packet) verifyChecksum6(b []byte, proto uint8, what string) {
	if len(b) < 8 {
		return
	}
	s, d := p.Src.As16(), p.Dst.As16()
	ph := sum16(sum16(0, s[:]), d[:]) + uint32(len(b)>>16) + uint32(len(b)&0xffff) + uint32(proto)
	if fold(sum16(ph, b)) == 0xffff {
		return
	}
	warning := false
	if proto == protoICMPv6 {
		p.ICMPChecksumBad = true
	} else {
		// A frame captured on the sending host before checksum offload
		// holds only the pseudo-header sum (Linux CHECKSUM_PARTIAL): that
		// is not a wire error.
		field := uint16(b[6])<<8 | uint16(b[7])
		if f := uint16(fold(ph)); field == f || field == ^f {
			return
		}
		warning = true
	}
	p.Problems = append(p.Problems,
		Problem{ID: CheckDecode, RFC: "RFC 8200 §8.1", Message: what + " checksum is wrong", Warning: warning})
}

// sum16 adds b to a ones' complement sum as 16-bit big-endian words.
func sum16(sum uint32, b []byte) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	return sum
}

// fold folds a 32-bit ones' complement sum to 16 bits.
func fold(sum uint32) uint32 {
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return sum
}

// UDP payloads the observer models.
const (
	udpOther = iota
	udpDNS
	udpDHCPv6
	udpDHCPv4
)

// udpKind classifies a datagram by its ports.
func (p *Packet) udpKind() int {
	switch {
	case p.SrcPort == 53 || p.DstPort == 53:
		return udpDNS
	case p.IPVersion == 6 && (p.SrcPort == 546 || p.SrcPort == 547 || p.DstPort == 546 || p.DstPort == 547):
		return udpDHCPv6
	case p.IPVersion == 4 && (p.SrcPort == 67 || p.SrcPort == 68) && (p.DstPort == 67 || p.DstPort == 68):
		return udpDHCPv4
	}
	return udpOther
}

// decodeUDP decodes a datagram on a port the observer models; others
// are not checked (their checksum and length do not matter to it).
func (p *Packet) decodeUDP(b []byte, complete bool) {
	if len(b) < 8 {
		p.problem(CheckDecode, "RFC 768", "UDP header truncated: %d of 8 bytes", len(b))
		return
	}
	p.SrcPort = binary.BigEndian.Uint16(b[0:2])
	p.DstPort = binary.BigEndian.Uint16(b[2:4])
	kind := p.udpKind()
	if kind == udpOther {
		return
	}
	ul := int(binary.BigEndian.Uint16(b[4:6]))
	if p.IPVersion == 6 && complete {
		if binary.BigEndian.Uint16(b[6:8]) == 0 {
			p.problem(CheckDecode, "RFC 8200 §8.1", "UDP checksum is zero, which IPv6 forbids")
		} else if ul == len(b) {
			p.verifyChecksum6(b, protoUDP, "UDP")
		}
	}
	if ul >= 8 && ul < len(b) {
		b = b[:ul]
	} else if ul > len(b) && complete {
		p.problem(CheckDecode, "RFC 768", "UDP length %d exceeds the %d bytes carried", ul, len(b))
	}
	payload := b[8:]
	switch kind {
	case udpDNS:
		p.DNS = p.decodeDNS(payload)
	case udpDHCPv6:
		p.DHCPv6 = p.decodeDHCPv6(payload, 0)
	case udpDHCPv4:
		p.DHCPv4 = p.decodeDHCPv4(payload)
	}
}

func (p *Packet) decodeTCP(b []byte) {
	if len(b) < 20 {
		return
	}
	p.SrcPort = binary.BigEndian.Uint16(b[0:2])
	p.DstPort = binary.BigEndian.Uint16(b[2:4])
	if p.SrcPort != 53 && p.DstPort != 53 {
		return
	}
	off := int(b[12]>>4) * 4
	if off < 20 || off > len(b) {
		return
	}
	payload := b[off:]
	// DNS over TCP prefixes each message with its length (RFC 1035
	// §4.2.2). Only segments that start a message are decoded; others
	// (continuations, bare ACKs) are not DNS messages on their own.
	if len(payload) < 2+12 {
		return
	}
	l := int(binary.BigEndian.Uint16(payload[0:2]))
	if l < 12 || l > len(payload)-2 {
		return
	}
	p.DNS = p.decodeDNS(payload[2 : 2+l])
}
