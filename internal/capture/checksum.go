package capture

import (
	"encoding/binary"
)

// EtherTypes of 802.1Q and 802.1ad VLAN tags, and where each protocol
// keeps its checksum.
const (
	etherTypeVLAN  = 0x8100
	etherTypeQinQ  = 0x88a8
	ipv4MoreFrags  = 0x2000
	checksumOffTCP = 16
	checksumOffUDP = 6
	checksumOffICM = 2
)

// fillChecksum computes and stores the transport checksum of an Ethernet
// frame whose sender left it to checksum offload (the kernel reports
// TP_STATUS_CSUMNOTREADY): the frame then carries a partial sum, not what
// goes on the wire. It handles TCP, UDP and ICMPv6 directly after an IPv6
// header, and TCP and UDP in an unfragmented IPv4 packet, behind up to two
// VLAN tags. It reports whether it changed anything; other or incomplete
// frames are left alone.
func fillChecksum(frame []byte) bool {
	off := 12
	for range 2 {
		if len(frame) < off+2 {
			return false
		}
		et := binary.BigEndian.Uint16(frame[off:])
		if et != etherTypeVLAN && et != etherTypeQinQ {
			break
		}
		off += 4
	}
	if len(frame) < off+2 {
		return false
	}
	et := binary.BigEndian.Uint16(frame[off:])
	ip := frame[off+2:]
	switch et {
	case etherTypeIPv6:
		return fillIPv6(ip)
	case etherTypeIPv4:
		return fillIPv4(ip)
	}
	return false
}

// fillIPv6 fills the checksum of the upper-layer message after the fixed
// IPv6 header, over the RFC 8200 §8.1 pseudo-header.
func fillIPv6(ip []byte) bool {
	if len(ip) < 40 || ip[0]>>4 != 6 {
		return false
	}
	plen := int(binary.BigEndian.Uint16(ip[4:6]))
	nh := ip[6]
	if len(ip) < 40+plen {
		return false
	}
	l4 := ip[40 : 40+plen]
	var pseudo [40]byte
	copy(pseudo[0:32], ip[8:40])
	binary.BigEndian.PutUint32(pseudo[32:36], uint32(plen))
	pseudo[39] = nh
	return fillL4(l4, nh, pseudo[:], protoICMPv6)
}

// fillIPv4 fills the TCP or UDP checksum of an unfragmented IPv4 packet,
// over the RFC 768 / RFC 9293 §3.1 pseudo-header.
func fillIPv4(ip []byte) bool {
	if len(ip) < 20 || ip[0]>>4 != 4 {
		return false
	}
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:4]))
	frag := binary.BigEndian.Uint16(ip[6:8])
	if ihl < 20 || total < ihl || len(ip) < total || frag&(ipv4MoreFrags|ipv4FragOffsetMask) != 0 {
		return false
	}
	proto := ip[9]
	l4 := ip[ihl:total]
	var pseudo [12]byte
	copy(pseudo[0:8], ip[12:20])
	pseudo[9] = proto
	binary.BigEndian.PutUint16(pseudo[10:12], uint16(len(l4)))
	// ICMPv4 has no pseudo-header and is not offloaded: not handled.
	return fillL4(l4, proto, pseudo[:], 0)
}

// fillL4 stores the checksum of a TCP, UDP or (when icmp is its protocol
// number) ICMP message l4 with protocol proto over pseudo.
func fillL4(l4 []byte, proto uint8, pseudo []byte, icmp uint8) bool {
	var at int
	switch {
	case proto == protoTCP:
		at = checksumOffTCP
	case proto == protoUDP:
		at = checksumOffUDP
	case icmp != 0 && proto == icmp:
		at = checksumOffICM
	default:
		return false
	}
	if len(l4) < at+2 {
		return false
	}
	l4[at], l4[at+1] = 0, 0
	sum := ^fold(sum16(sum16(0, pseudo), l4))
	// A UDP checksum that computes to zero is sent as all ones: zero
	// means "no checksum" (RFC 768; RFC 8200 §8.1).
	if proto == protoUDP && sum == 0 {
		sum = 0xffff
	}
	binary.BigEndian.PutUint16(l4[at:], sum)
	return true
}

// sum16 adds b to the running one's complement sum acc as big-endian
// 16-bit words, padding an odd final byte with zero (RFC 1071).
func sum16(acc uint32, b []byte) uint32 {
	for len(b) >= 2 {
		acc += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

// fold folds carries into a 16-bit one's complement sum.
func fold(acc uint32) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}
