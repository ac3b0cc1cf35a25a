package wire

import (
	"encoding/binary"
	"net/netip"
	"strings"

	"github.com/ralab/ralab/internal/dnsname"
	"github.com/ralab/ralab/internal/ra/limits"
)

// RouterSolicitation is an ICMPv6 Router Solicitation (RFC 4861 §4.1).
type RouterSolicitation struct {
	// Options are its options.
	Options NDOptions
}

// RouterAdvertisement is an ICMPv6 Router Advertisement (RFC 4861 §4.2).
type RouterAdvertisement struct {
	// CurHopLimit is the Cur Hop Limit field.
	CurHopLimit uint8
	// Managed is the M flag.
	Managed bool
	// Other is the O flag.
	Other bool
	// Preference is the 2-bit Prf field (RFC 4191 §2.2): 1 high, 0
	// medium, 3 low, 2 reserved.
	Preference uint8
	// RouterLifetime is the Router Lifetime in seconds.
	RouterLifetime uint16
	// ReachableTime is the Reachable Time in milliseconds.
	ReachableTime uint32
	// RetransTimer is the Retrans Timer in milliseconds.
	RetransTimer uint32
	// Options are its options.
	Options NDOptions
}

// NeighborSolicitation is an ICMPv6 Neighbor Solicitation (RFC 4861 §4.3).
type NeighborSolicitation struct {
	// Target is the target address.
	Target netip.Addr
	// Options are its options.
	Options NDOptions
}

// NeighborAdvertisement is an ICMPv6 Neighbor Advertisement (RFC 4861
// §4.4).
type NeighborAdvertisement struct {
	// Router is the R flag.
	Router bool
	// Solicited is the S flag.
	Solicited bool
	// Override is the O flag.
	Override bool
	// Target is the target address.
	Target netip.Addr
	// Options are its options.
	Options NDOptions
}

// NDOptions are the options of one ND message, decoded by a tolerant
// walker: a malformed option is recorded as a Problem and skipped, the
// others are kept.
type NDOptions struct {
	// SourceLLA is the Source Link-Layer Address (type 1), if HasSourceLLA.
	SourceLLA MAC
	// HasSourceLLA reports a Source Link-Layer Address option.
	HasSourceLLA bool
	// TargetLLA is the Target Link-Layer Address (type 2), if HasTargetLLA.
	TargetLLA MAC
	// HasTargetLLA reports a Target Link-Layer Address option.
	HasTargetLLA bool
	// Prefixes are Prefix Information options (type 3).
	Prefixes []NDPrefix
	// MTU is the MTU option (type 5) value, if HasMTU.
	MTU uint32
	// HasMTU reports an MTU option.
	HasMTU bool
	// Routes are Route Information options (type 24, RFC 4191).
	Routes []NDRoute
	// RDNSS are Recursive DNS Server options (type 25, RFC 8106) that a
	// host would accept.
	RDNSS []NDRDNSS
	// DNSSL are DNS Search List options (type 31, RFC 8106).
	DNSSL []NDDNSSL
	// PREF64 are PREF64 options (type 38, RFC 8781) a host would accept.
	PREF64 []NDPREF64
	// CaptivePortal is the captive portal URI (type 37, RFC 8910).
	CaptivePortal string
	// HasCaptivePortal reports a captive portal option.
	HasCaptivePortal bool
	// Unknown are the types of options not decoded.
	Unknown []uint8
	// ZeroLength reports an option with length 0: RFC 4861 §4.6 makes
	// hosts discard the whole message.
	ZeroLength bool
}

// NDPrefix is a Prefix Information option (RFC 4861 §4.6.2).
type NDPrefix struct {
	// Prefix is the prefix.
	Prefix netip.Prefix
	// OnLink is the L flag.
	OnLink bool
	// Autonomous is the A flag.
	Autonomous bool
	// Valid is the valid lifetime in seconds.
	Valid uint32
	// Preferred is the preferred lifetime in seconds.
	Preferred uint32
}

// NDRoute is a Route Information option (RFC 4191 §2.3).
type NDRoute struct {
	// Prefix is the route prefix.
	Prefix netip.Prefix
	// Preference is the 2-bit Prf field.
	Preference uint8
	// Lifetime is the route lifetime in seconds.
	Lifetime uint32
}

// NDRDNSS is a Recursive DNS Server option (RFC 8106 §5.1).
type NDRDNSS struct {
	// Lifetime is in seconds; 0 withdraws, 0xffffffff is infinity.
	Lifetime uint32
	// Servers are the addresses.
	Servers []netip.Addr
}

// NDDNSSL is a DNS Search List option (RFC 8106 §5.2).
type NDDNSSL struct {
	// Lifetime is in seconds.
	Lifetime uint32
	// Domains are the names, without a trailing dot.
	Domains []string
}

// NDPREF64 is a PREF64 option (RFC 8781 §4).
type NDPREF64 struct {
	// Prefix is the NAT64 prefix.
	Prefix netip.Prefix
	// Lifetime is the scaled lifetime times 8, in seconds.
	Lifetime uint32
	// PLC is the Prefix Length Code.
	PLC uint8
}

func (p *Packet) decodeICMPv6(b []byte) {
	if len(b) < 4 {
		p.problem(CheckDecode, "RFC 4443 §2.1", "ICMPv6 header truncated")
		return
	}
	p.ICMPType, p.ICMPCode = b[0], b[1]
	p.ICMPLength = len(b)
	short := func(min int, what string) bool {
		if len(b) < min {
			// RFC 4861 §6.1.1/§6.1.2/§7.1: hosts discard ND messages
			// shorter than their fixed part.
			p.problem("R1", "RFC 4861 §6.1", "%s of %d bytes is shorter than its %d-byte fixed part", what, len(b), min)
			return true
		}
		return false
	}
	switch b[0] {
	case icmpRS:
		if short(8, "Router Solicitation") {
			return
		}
		rs := &RouterSolicitation{}
		p.decodeNDOptions(b[8:], "RS", &rs.Options)
		p.RS = rs
	case icmpRA:
		if short(16, "Router Advertisement") {
			return
		}
		ra := &RouterAdvertisement{
			CurHopLimit:    b[4],
			Managed:        b[5]&0x80 != 0,
			Other:          b[5]&0x40 != 0,
			Preference:     b[5] >> 3 & 0x3,
			RouterLifetime: binary.BigEndian.Uint16(b[6:8]),
			ReachableTime:  binary.BigEndian.Uint32(b[8:12]),
			RetransTimer:   binary.BigEndian.Uint32(b[12:16]),
		}
		p.decodeNDOptions(b[16:], "RA", &ra.Options)
		p.RA = ra
	case icmpNS:
		if short(24, "Neighbor Solicitation") {
			return
		}
		ns := &NeighborSolicitation{Target: netip.AddrFrom16([16]byte(b[8:24]))}
		p.decodeNDOptions(b[24:], "NS", &ns.Options)
		p.NS = ns
	case icmpNA:
		if short(24, "Neighbor Advertisement") {
			return
		}
		na := &NeighborAdvertisement{
			Router:    b[4]&0x80 != 0,
			Solicited: b[4]&0x40 != 0,
			Override:  b[4]&0x20 != 0,
			Target:    netip.AddrFrom16([16]byte(b[8:24])),
		}
		p.decodeNDOptions(b[24:], "NA", &na.Options)
		p.NA = na
	}
}

// decodeNDOptions walks ND options (RFC 4861 §4.6) tolerantly.
func (p *Packet) decodeNDOptions(b []byte, msg string, o *NDOptions) {
	for off := 0; len(b) > 0; {
		if len(b) < 2 {
			p.problem("R1", "RFC 4861 §4.6", "%s option at offset %d truncated", msg, off)
			return
		}
		typ, l := b[0], int(b[1])*8
		if l == 0 {
			o.ZeroLength = true
			p.problem("R1", "RFC 4861 §4.6",
				"%s option type %d at offset %d has length 0; hosts discard the whole message", msg, typ, off)
			return
		}
		if l > len(b) {
			p.problem("R1", "RFC 4861 §4.6", "%s option type %d at offset %d claims %d bytes, %d remain",
				msg, typ, off, l, len(b))
			return
		}
		body := b[:l]
		p.decodeNDOption(typ, body, msg, off, o)
		b = b[l:]
		off += l
	}
}

// decodeNDOption decodes one ND option of type typ at offset off of a
// msg message into o.
func (p *Packet) decodeNDOption(typ uint8, body []byte, msg string, off int, o *NDOptions) {
	switch typ {
	case 1, 2: // Source/Target Link-Layer Address (RFC 4861 §4.6.1).
		if len(body) < 8 {
			return
		}
		var m MAC
		copy(m[:], body[2:8])
		if typ == 1 {
			o.SourceLLA, o.HasSourceLLA = m, true
		} else {
			o.TargetLLA, o.HasTargetLLA = m, true
		}
	case 3:
		p.decodePrefixInfo(body, msg, off, o)
	case 5: // MTU (RFC 4861 §4.6.4): Length 1.
		if len(body) != 8 {
			p.problem("R1", "RFC 4861 §4.6.4", "%s MTU option at offset %d has length %d, not 8 bytes",
				msg, off, len(body))
			return
		}
		o.MTU, o.HasMTU = binary.BigEndian.Uint32(body[4:8]), true
	case 24:
		p.decodeRouteInfo(body, msg, off, o)
	case 25:
		p.decodeRDNSS(body, msg, off, o)
	case 31:
		p.decodeDNSSL(body, msg, off, o)
	case 37: // Captive portal (RFC 8910 §2.3).
		o.CaptivePortal = strings.TrimRight(string(body[2:]), "\x00")
		o.HasCaptivePortal = true
	case 38:
		p.decodePREF64(body, msg, off, o)
	default:
		o.Unknown = append(o.Unknown, typ)
	}
}

// decodePrefixInfo decodes a Prefix Information option (RFC 4861
// §4.6.2): Length 4.
func (p *Packet) decodePrefixInfo(body []byte, msg string, off int, o *NDOptions) {
	if l := len(body); l != 32 {
		p.problem("R1", "RFC 4861 §4.6.2", "%s Prefix Information option at offset %d has length %d, not 32 bytes", msg, off, l)
		return
	}
	plen := int(body[2])
	pfx, err := netip.AddrFrom16([16]byte(body[16:32])).Prefix(min(plen, 128))
	if plen > 128 || err != nil {
		p.problem("R1", "RFC 4861 §4.6.2", "%s Prefix Information option at offset %d has prefix length %d", msg, off, plen)
		return
	}
	o.Prefixes = append(o.Prefixes, NDPrefix{
		Prefix:     pfx,
		OnLink:     body[3]&0x80 != 0,
		Autonomous: body[3]&0x40 != 0,
		Valid:      binary.BigEndian.Uint32(body[4:8]),
		Preferred:  binary.BigEndian.Uint32(body[8:12]),
	})
}

// decodeRouteInfo decodes a Route Information option (RFC 4191 §2.3):
// Length 1, 2 or 3.
func (p *Packet) decodeRouteInfo(body []byte, msg string, off int, o *NDOptions) {
	l := len(body)
	plen := int(body[2])
	need := 8
	switch {
	case plen > 64:
		need = 24
	case plen > 0:
		need = 16
	}
	if l > 24 || l < need || plen > 128 {
		p.problem("R1", "RFC 4191 §2.3", "%s Route Information option at offset %d: length %d cannot carry a /%d", msg, off, l, plen)
		return
	}
	var a [16]byte
	copy(a[:], body[8:])
	pfx, _ := netip.AddrFrom16(a).Prefix(plen)
	o.Routes = append(o.Routes, NDRoute{
		Prefix:     pfx,
		Preference: body[3] >> 3 & 0x3,
		Lifetime:   binary.BigEndian.Uint32(body[4:8]),
	})
}

// decodeRDNSS decodes an RDNSS option (RFC 8106 §5.1): Length odd and at
// least 3.
func (p *Packet) decodeRDNSS(body []byte, msg string, off int, o *NDOptions) {
	units := len(body) / 8
	if units < 3 || units%2 == 0 {
		// RFC 8106 §5.3.1: a host MUST ignore the option then.
		p.problem("R5", "RFC 8106 §5.1",
			"%s RDNSS option at offset %d has Length %d; it must be odd and at least 3, so hosts ignore it", msg, off, units)
		return
	}
	r := NDRDNSS{Lifetime: binary.BigEndian.Uint32(body[4:8])}
	for a := body[8:]; len(a) >= 16; a = a[16:] {
		r.Servers = append(r.Servers, netip.AddrFrom16([16]byte(a[:16])))
	}
	o.RDNSS = append(o.RDNSS, r)
}

// decodeDNSSL decodes a DNSSL option (RFC 8106 §5.2): Length at least 2.
func (p *Packet) decodeDNSSL(body []byte, msg string, off int, o *NDOptions) {
	if l := len(body); l < 16 {
		p.problem("R6", "RFC 8106 §5.2", "%s DNSSL option at offset %d has Length %d; it must be at least 2", msg, off, l/8)
		return
	}
	d := NDDNSSL{Lifetime: binary.BigEndian.Uint32(body[4:8])}
	names, err := dnsname.Decode(body[8:], true)
	if err != nil {
		p.problem("R6", "RFC 8106 §5.2", "%s DNSSL option at offset %d: %v", msg, off, err)
	}
	d.Domains = names
	o.DNSSL = append(o.DNSSL, d)
}

// decodePREF64 decodes a PREF64 option (RFC 8781 §4): Length 2.
func (p *Packet) decodePREF64(body []byte, msg string, off int, o *NDOptions) {
	if l := len(body); l != 16 {
		p.problem("R7", "RFC 8781 §4", "%s PREF64 option at offset %d has Length %d, not 2", msg, off, l/8)
		return
	}
	v := binary.BigEndian.Uint16(body[2:4])
	plc := uint8(v & 0x7)
	bits, ok := limits.PREF64Length(int(plc))
	if !ok {
		// RFC 8781 §4: receivers MUST ignore the option.
		p.problem("R7", "RFC 8781 §4", "%s PREF64 option at offset %d has PLC %d (valid 0-5), so hosts ignore it", msg, off, plc)
		return
	}
	var a [16]byte
	copy(a[:], body[4:16])
	pfx, _ := netip.AddrFrom16(a).Prefix(bits)
	o.PREF64 = append(o.PREF64, NDPREF64{Prefix: pfx, Lifetime: uint32(v>>3) * 8, PLC: plc})
}
