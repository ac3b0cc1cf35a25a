package ra

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
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
			return opts, fmt.Errorf("%w: option type %d at offset %d claims %d bytes, %d remain",
				ErrMalformed, b[0], off, n, len(b))
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
	if k := kindOf(o.Type); k != nil {
		if err := k.decode(&o); err != nil {
			o.Err = fmt.Errorf("%w: option %d: %w", ErrMalformed, o.Type, err)
		}
	}
	return o
}
