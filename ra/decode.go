package ra

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/ralab/ralab/internal/config"
)

// ErrMalformed reports bytes that are not a well-formed Router Advertisement
// or option. Decode wraps it in Message.Err and Option.Err.
var ErrMalformed = errors.New("malformed")

// Option types decoded by Decode (IANA "IPv6 Neighbor Discovery Option
// Formats" registry).
const (
	// TypeSourceLLA is the Source Link-Layer Address option (RFC 4861 §4.6.1).
	TypeSourceLLA = 1
	// TypePrefixInformation is the Prefix Information option (RFC 4861 §4.6.2).
	TypePrefixInformation = 3
	// TypeMTU is the MTU option (RFC 4861 §4.6.4).
	TypeMTU = 5
	// TypeRouteInformation is the Route Information option (RFC 4191 §2.3).
	TypeRouteInformation = 24
	// TypeRDNSS is the Recursive DNS Server option (RFC 8106 §5.1).
	TypeRDNSS = 25
	// TypeDNSSL is the DNS Search List option (RFC 8106 §5.2).
	TypeDNSSL = 31
	// TypeCaptivePortal is the Captive-Portal option (RFC 8910 §2.3).
	TypeCaptivePortal = 37
	// TypePREF64 is the PREF64 option (RFC 8781 §4).
	TypePREF64 = 38
)

// icmpTypeRA is the ICMPv6 type of a Router Advertisement (RFC 4861 §4.2).
const icmpTypeRA = 134

// headerLen is the ICMPv6 header (4 bytes) plus the fixed RA fields
// (12 bytes), RFC 4861 §4.2.
const headerLen = 16

// Message is a Router Advertisement as Decode found it on the wire.
type Message struct {
	// Code is the ICMPv6 code; RFC 4861 §6.1.2 requires 0.
	Code uint8
	// Checksum is the ICMPv6 checksum as found; it is not verified.
	Checksum uint16
	// HopLimit is the Cur Hop Limit field; 0 means unspecified.
	HopLimit uint8
	// Flags is the whole flags byte: M, O, H, Prf (2 bits), P, reserved.
	Flags uint8
	// Managed is the M flag.
	Managed bool
	// OtherConfig is the O flag.
	OtherConfig bool
	// Preference is the default router preference; a reserved value
	// decodes as Medium, as RFC 4191 §2.2 tells receivers to treat it.
	Preference config.Preference
	// PreferenceReserved is set when the Prf bits held the reserved value 10.
	PreferenceReserved bool
	// RouterLifetime is the Router Lifetime field.
	RouterLifetime time.Duration
	// ReachableTime is the Reachable Time field; 0 means unspecified.
	ReachableTime time.Duration
	// RetransmitTimer is the Retrans Timer field; 0 means unspecified.
	RetransmitTimer time.Duration
	// Options are the options in wire order, malformed ones included.
	Options []Option
	// Err, when not nil, says why the option walk stopped before the end
	// of the message (a zero option length or a truncated option); it
	// wraps ErrMalformed. RFC 4861 §6.1.2 makes receivers drop such an RA.
	Err error
}

// Option is one Neighbor Discovery option as Decode found it. Type, Length
// and Bytes are always set; of the decoded fields, only the one that
// belongs to Type is set, and only as far as decoding got.
type Option struct {
	// Type is the option type.
	Type uint8
	// Length is the option length in units of 8 octets.
	Length uint8
	// Bytes is the whole option, type and length included.
	Bytes []byte
	// Err, when not nil, says what is wrong with the option; it wraps
	// ErrMalformed.
	Err error

	// LinkLayerAddress is the address of a Source Link-Layer Address option.
	LinkLayerAddress net.HardwareAddr
	// MTU is the value of an MTU option.
	MTU uint32
	// Prefix is a Prefix Information option. Bits beyond the prefix length
	// are kept as sent, so a sender that does not zero them is visible.
	Prefix *config.Prefix
	// Route is a Route Information option. Bits beyond the prefix length
	// are kept as sent.
	Route *config.Route
	// RDNSS is a Recursive DNS Server option.
	RDNSS *config.RDNSS
	// DNSSL is a DNS Search List option; names are in wire form (A-labels),
	// without a trailing dot.
	DNSSL *config.DNSSL
	// PREF64 is a PREF64 option.
	PREF64 *config.PREF64
	// CaptivePortal is the URI of a Captive-Portal option.
	CaptivePortal string
}

// Decode decodes a Router Advertisement starting at its ICMPv6 type byte.
// It is tolerant: it returns an error only when the bytes are not an RA at
// all (wrong type or shorter than the fixed header); problems further in
// are reported in Message.Err and Option.Err so that a caller can say what
// is wrong with someone else's RA. The message does not refer to b.
func Decode(b []byte) (*Message, error) {
	if len(b) < headerLen {
		return nil, fmt.Errorf("%w: %d bytes, a Router Advertisement has at least %d", ErrMalformed, len(b), headerLen)
	}
	if b[0] != icmpTypeRA {
		return nil, fmt.Errorf("%w: ICMPv6 type %d is not a Router Advertisement (%d)", ErrMalformed, b[0], icmpTypeRA)
	}
	b = bytes.Clone(b)
	flags := b[5]
	prf, reserved := preferenceFromWire(flags >> 3)
	m := &Message{
		Code:               b[1],
		Checksum:           binary.BigEndian.Uint16(b[2:4]),
		HopLimit:           b[4],
		Flags:              flags,
		Managed:            flags&0x80 != 0,
		OtherConfig:        flags&0x40 != 0,
		Preference:         prf,
		PreferenceReserved: reserved,
		RouterLifetime:     time.Duration(binary.BigEndian.Uint16(b[6:8])) * time.Second,
		ReachableTime:      time.Duration(binary.BigEndian.Uint32(b[8:12])) * time.Millisecond,
		RetransmitTimer:    time.Duration(binary.BigEndian.Uint32(b[12:16])) * time.Millisecond,
	}
	m.Options, m.Err = walkOptions(b[headerLen:], headerLen)
	return m, nil
}

// walkOptions splits b into options (RFC 4861 §4.6); off is the offset of
// b in the message, for error messages. It stops at the first option whose
// length is zero or runs past the end.
func walkOptions(b []byte, off int) ([]Option, error) {
	var opts []Option
	for len(b) > 0 {
		if len(b) < 2 {
			return opts, fmt.Errorf("%w: %d stray byte(s) at offset %d", ErrMalformed, len(b), off)
		}
		n := int(b[1]) * 8
		if n == 0 {
			// RFC 4861 §4.6: "Nodes MUST silently discard an ND packet
			// that contains an option with length zero."
			return opts, fmt.Errorf("%w: option type %d at offset %d has length 0", ErrMalformed, b[0], off)
		}
		if n > len(b) {
			return opts, fmt.Errorf("%w: option type %d at offset %d claims %d bytes, %d remain", ErrMalformed, b[0], off, n, len(b))
		}
		opts = append(opts, decodeOption(b[:n:n]))
		b = b[n:]
		off += n
	}
	return opts, nil
}

// decodeOption decodes one complete option (len(b) == 8*b[1] > 0).
func decodeOption(b []byte) Option {
	o := Option{Type: b[0], Length: b[1], Bytes: b}
	var err error
	switch o.Type {
	case TypeSourceLLA:
		// With Length 1 these are the 6 bytes of an Ethernet address
		// (RFC 2464 §6); other links pad to a multiple of 8.
		o.LinkLayerAddress = net.HardwareAddr(b[2:])
	case TypeMTU:
		err = wantLength(o.Length, 1)
		if err == nil {
			o.MTU = binary.BigEndian.Uint32(b[4:8])
		}
	case TypePrefixInformation:
		o.Prefix, err = decodePrefix(b)
	case TypeRouteInformation:
		o.Route, err = decodeRoute(b)
	case TypeRDNSS:
		o.RDNSS, err = decodeRDNSS(b)
	case TypeDNSSL:
		o.DNSSL, err = decodeDNSSL(b)
	case TypePREF64:
		o.PREF64, err = decodePREF64(b)
	case TypeCaptivePortal:
		o.CaptivePortal, err = decodeCaptivePortal(b)
	}
	if err != nil {
		o.Err = fmt.Errorf("%w: option %d: %w", ErrMalformed, o.Type, err)
	}
	return o
}

// wantLength checks a fixed option length.
func wantLength(got, want uint8) error {
	if got != want {
		return fmt.Errorf("length %d, want %d", got, want)
	}
	return nil
}

// lifetime32 decodes a 32-bit lifetime in seconds; all ones is
// config.Infinite, which is the same number of seconds.
func lifetime32(b []byte) time.Duration {
	return time.Duration(binary.BigEndian.Uint32(b)) * time.Second
}

// prefixFrom returns the prefix of length bits starting with the bytes of
// p, without masking, so that stray bits stay visible.
func prefixFrom(p []byte, bits int) (netip.Prefix, error) {
	var a [16]byte
	copy(a[:], p)
	pfx := netip.PrefixFrom(netip.AddrFrom16(a), bits)
	if !pfx.IsValid() {
		return netip.Prefix{}, fmt.Errorf("prefix length %d", bits)
	}
	if pfx.Masked() != pfx {
		// RFC 4861 §4.6.2 and RFC 4191 §2.3: the sender must zero them,
		// the receiver ignores them.
		return pfx, fmt.Errorf("prefix %s has bits set beyond its length, which the sender must zero", pfx)
	}
	return pfx, nil
}

// decodePrefix decodes a Prefix Information option (RFC 4861 §4.6.2).
func decodePrefix(b []byte) (*config.Prefix, error) {
	if err := wantLength(b[1], 4); err != nil {
		return nil, err
	}
	pfx, err := prefixFrom(b[16:32], int(b[2]))
	p := &config.Prefix{
		Prefix:            pfx,
		OnLink:            b[3]&0x80 != 0,
		Autonomous:        b[3]&0x40 != 0,
		ValidLifetime:     lifetime32(b[4:8]),
		PreferredLifetime: lifetime32(b[8:12]),
	}
	return p, err
}

// decodeRoute decodes a Route Information option (RFC 4191 §2.3).
func decodeRoute(b []byte) (*config.Route, error) {
	bits := int(b[2])
	prf, reserved := preferenceFromWire(b[3] >> 3)
	pfx, err := prefixFrom(b[8:], bits)
	r := &config.Route{Prefix: pfx, Preference: prf, Lifetime: lifetime32(b[4:8])}
	// RFC 4191 §2.3: Length is 1, 2 or 3; at least 2 when the prefix
	// length exceeds 0, 3 when it exceeds 64.
	switch {
	case err != nil:
	case b[1] > 3:
		err = fmt.Errorf("length %d, want 1 to 3", b[1])
	case bits > 64 && b[1] < 3, bits > 0 && b[1] < 2:
		err = fmt.Errorf("length %d is too short for a /%d prefix", b[1], bits)
	case reserved:
		// RFC 4191 §2.3: a receiver MUST ignore such an option.
		err = errors.New("reserved route preference (10)")
	}
	return r, err
}

// decodeRDNSS decodes a Recursive DNS Server option (RFC 8106 §5.1).
func decodeRDNSS(b []byte) (*config.RDNSS, error) {
	if b[1] < 3 || b[1]%2 == 0 {
		return nil, fmt.Errorf("length %d, want an odd number of at least 3", b[1])
	}
	r := &config.RDNSS{Lifetime: lifetime32(b[4:8])}
	for p := b[8:]; len(p) >= 16; p = p[16:] {
		r.Servers = append(r.Servers, netip.AddrFrom16([16]byte(p[:16])))
	}
	return r, nil
}

// decodeDNSSL decodes a DNS Search List option (RFC 8106 §5.2): names in
// uncompressed RFC 1035 §3.1 form, then zero padding.
func decodeDNSSL(b []byte) (*config.DNSSL, error) {
	if b[1] < 2 {
		return nil, fmt.Errorf("length %d, want at least 2", b[1])
	}
	d := &config.DNSSL{Lifetime: lifetime32(b[4:8])}
	p := b[8:]
	var labels []string
	for i := 0; i < len(p); {
		n := int(p[i])
		i++
		switch {
		case n == 0 && len(labels) == 0:
			// Padding: the rest must be zero too.
			for _, c := range p[i:] {
				if c != 0 {
					return d, errors.New("non-zero byte after the padding started (empty label?)")
				}
			}
			return d, nil
		case n == 0:
			d.Domains = append(d.Domains, strings.Join(labels, "."))
			labels = nil
		case n > 63:
			// Compression pointers (0xc0) are not allowed here.
			return d, fmt.Errorf("label length byte %#x: compressed or over 63", n)
		case i+n > len(p):
			return d, fmt.Errorf("label of %d bytes runs past the option", n)
		default:
			l := string(p[i : i+n])
			if strings.ContainsAny(l, ". ") {
				return d, fmt.Errorf("label %q contains a dot or space", l)
			}
			labels = append(labels, l)
			i += n
		}
	}
	if len(labels) > 0 {
		return d, errors.New("last name is not terminated")
	}
	return d, nil
}

// pref64Lengths maps a PREF64 Prefix Length Code to the prefix length
// (RFC 8781 §4).
var pref64Lengths = [...]int{96, 64, 56, 48, 40, 32}

// decodePREF64 decodes a PREF64 option (RFC 8781 §4): a 13-bit scaled
// lifetime in units of 8 s, a 3-bit PLC and the highest 96 prefix bits.
func decodePREF64(b []byte) (*config.PREF64, error) {
	if err := wantLength(b[1], 2); err != nil {
		return nil, err
	}
	v := binary.BigEndian.Uint16(b[2:4])
	p := &config.PREF64{Lifetime: time.Duration(v>>3) * 8 * time.Second}
	plc := int(v & 0x7)
	if plc >= len(pref64Lengths) {
		return p, fmt.Errorf("prefix length code %d", plc)
	}
	pfx, err := prefixFrom(b[4:16], pref64Lengths[plc])
	p.Prefix = pfx
	return p, err
}

// decodeCaptivePortal decodes a Captive-Portal option (RFC 8910 §2.3): the
// URI padded with NUL bytes.
func decodeCaptivePortal(b []byte) (string, error) {
	v := b[2:]
	uri := strings.TrimRight(string(v), "\x00")
	if strings.IndexByte(uri, 0) >= 0 {
		return uri, errors.New("NUL byte inside the URI")
	}
	if uri == "" {
		return "", errors.New("empty URI")
	}
	return uri, nil
}

// preferenceFromWire decodes the 2-bit Prf value (RFC 4191 §2.1: 01 high,
// 00 medium, 11 low, 10 reserved); reserved reports the reserved value,
// which decodes as Medium.
func preferenceFromWire(v uint8) (p config.Preference, reserved bool) {
	switch v & 0x3 {
	case 0x1:
		return config.High, false
	case 0x3:
		return config.Low, false
	case 0x2:
		return config.Medium, true
	default:
		return config.Medium, false
	}
}
