package impair

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/mdlayher/ndp"
)

// Sizes and codes from RFC 8200.
const (
	ipv6HeaderLen     = 40 // §3
	fragmentHeaderLen = 8  // §4.5
	nextHeaderICMPv6  = 58
	nextHeaderFrag    = 44
	nextHeaderHop     = 0
	nextHeaderRouting = 43
	// MinFragmentMTU is the smallest MTU Fragment accepts: the IPv6
	// header, the Fragment header and 8 bytes of data.
	MinFragmentMTU = ipv6HeaderLen + fragmentHeaderLen + 8
)

// ErrPacket reports bytes that Fragment or Packet cannot handle.
var ErrPacket = errors.New("impair: bad IPv6 packet")

// Packet returns the whole IPv6 packet carrying ra from src to dst: hop
// limit 255 (RFC 4861 §6.1.2) and a valid ICMPv6 checksum. A transport
// that must send fragments (F13) builds the packet with it.
func Packet(ra *ndp.RouterAdvertisement, src, dst netip.Addr) ([]byte, error) {
	if !src.Is6() || !dst.Is6() {
		return nil, fmt.Errorf("%w: source %v and destination %v must be IPv6", ErrPacket, src, dst)
	}
	body, err := ndp.MarshalMessageChecksum(ra, src, dst)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPacket, err)
	}
	if len(body) > 0xffff {
		return nil, fmt.Errorf("%w: payload of %d bytes exceeds 65535", ErrPacket, len(body))
	}
	b := make([]byte, ipv6HeaderLen+len(body))
	b[0] = 6 << 4
	binary.BigEndian.PutUint16(b[4:6], uint16(len(body)))
	b[6] = nextHeaderICMPv6
	b[7] = 255
	s, d := src.As16(), dst.As16()
	copy(b[8:24], s[:])
	copy(b[24:40], d[:])
	copy(b[40:], body)
	return b, nil
}

// Fragment splits the IPv6 packet pkt into fragments of at most mtu bytes
// each with identification id (RFC 8200 §4.5): every fragment repeats the
// IPv6 header, adds a Fragment header and carries a multiple of 8 bytes of
// the payload, except the last. A packet that already fits is sent as an
// atomic fragment (offset 0, M flag clear, RFC 6946), which RFC 6980 §5
// still requires hosts to drop when it carries Neighbor Discovery.
//
// pkt must have no Hop-by-Hop or Routing header (whose place would be in
// the unfragmentable part) and must not already be a fragment.
func Fragment(pkt []byte, mtu int, id uint32) ([][]byte, error) {
	if mtu < MinFragmentMTU {
		return nil, fmt.Errorf("%w: MTU %d is below %d", ErrPacket, mtu, MinFragmentMTU)
	}
	if len(pkt) < ipv6HeaderLen || pkt[0]>>4 != 6 {
		return nil, fmt.Errorf("%w: not an IPv6 packet", ErrPacket)
	}
	if n := int(binary.BigEndian.Uint16(pkt[4:6])); n != len(pkt)-ipv6HeaderLen {
		return nil, fmt.Errorf("%w: payload length field %d, but %d bytes follow the header",
			ErrPacket, n, len(pkt)-ipv6HeaderLen)
	}
	switch nh := pkt[6]; nh {
	case nextHeaderHop, nextHeaderRouting, nextHeaderFrag:
		return nil, fmt.Errorf("%w: next header %d is not supported", ErrPacket, nh)
	}
	payload := pkt[ipv6HeaderLen:]
	chunk := (mtu - ipv6HeaderLen - fragmentHeaderLen) &^ 7
	var out [][]byte
	for off := 0; off == 0 || off < len(payload); off += chunk {
		end := min(off+chunk, len(payload))
		more := end < len(payload)
		f := make([]byte, ipv6HeaderLen+fragmentHeaderLen+end-off)
		copy(f, pkt[:ipv6HeaderLen])
		binary.BigEndian.PutUint16(f[4:6], uint16(fragmentHeaderLen+end-off))
		f[6] = nextHeaderFrag
		h := f[ipv6HeaderLen:]
		h[0] = pkt[6]
		offField := uint16(off/8) << 3
		if more {
			offField |= 1
		}
		binary.BigEndian.PutUint16(h[2:4], offField)
		binary.BigEndian.PutUint32(h[4:8], id)
		copy(f[ipv6HeaderLen+fragmentHeaderLen:], payload[off:end])
		out = append(out, f)
	}
	return out, nil
}
