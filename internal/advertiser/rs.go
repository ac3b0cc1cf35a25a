package advertiser

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Errors returned by ParseRS, one per RFC 4861 §6.1.1 validity check.
var (
	ErrHopLimit       = errors.New("IP hop limit is not 255")
	ErrNotRS          = errors.New("not a router solicitation")
	ErrCode           = errors.New("ICMP code is not 0")
	ErrShort          = errors.New("ICMP length is less than 8 octets")
	ErrOptionLength   = errors.New("option has length 0 or runs past the message")
	ErrUnspecifiedSLL = errors.New("source address is unspecified but a source link-layer address option is present")
)

// icmpTypeRS is the ICMPv6 type of a Router Solicitation (RFC 4861 §4.1).
const icmpTypeRS = 133

// optSourceLLA is the Source Link-Layer Address option type (§4.6.1).
const optSourceLLA = 1

// RS is a validated Router Solicitation.
type RS struct {
	// Source is the IPv6 source address, without zone.
	Source netip.Addr
	// SourceLLA is the Source Link-Layer Address option, if any.
	SourceLLA net.HardwareAddr
}

// ParseRS validates an RS per RFC 4861 §6.1.1. b holds the ICMPv6 message
// from its type byte on, as a raw ICMPv6 socket returns it (the kernel has
// already verified the ICMPv6 checksum); hopLimit is the IPv6 hop limit
// from the control message, or -1 when unknown; src is the IPv6 source.
// Options are walked here rather than by package ndp, which rejects
// messages it cannot parse without saying why. Unknown options are
// skipped, as §6.1.1 requires ("contents ... ignored").
func ParseRS(b []byte, hopLimit int, src netip.Addr) (RS, error) {
	switch {
	case hopLimit != 255:
		return RS{}, fmt.Errorf("%w: %d", ErrHopLimit, hopLimit)
	case len(b) < 8:
		return RS{}, fmt.Errorf("%w: %d", ErrShort, len(b))
	case b[0] != icmpTypeRS:
		return RS{}, fmt.Errorf("%w: ICMPv6 type %d", ErrNotRS, b[0])
	case b[1] != 0:
		return RS{}, fmt.Errorf("%w: %d", ErrCode, b[1])
	}
	rs := RS{Source: src.WithZone("")}
	opts := b[8:]
	for len(opts) > 0 {
		if len(opts) < 2 {
			return RS{}, fmt.Errorf("%w: %d trailing octets", ErrOptionLength, len(opts))
		}
		typ, n := opts[0], int(opts[1])*8
		if n == 0 || n > len(opts) {
			return RS{}, fmt.Errorf("%w: option %d, length %d octets, %d left", ErrOptionLength, typ, n, len(opts))
		}
		if typ == optSourceLLA && rs.SourceLLA == nil {
			rs.SourceLLA = net.HardwareAddr(append([]byte(nil), opts[2:n]...))
		}
		opts = opts[n:]
	}
	if rs.SourceLLA != nil && (!rs.Source.IsValid() || rs.Source.IsUnspecified()) {
		return RS{}, ErrUnspecifiedSLL
	}
	return rs, nil
}

// InvalidReason returns the metric label for an error from ParseRS.
func InvalidReason(err error) string {
	switch {
	case errors.Is(err, ErrHopLimit):
		return "hop-limit"
	case errors.Is(err, ErrNotRS):
		return "not-rs"
	case errors.Is(err, ErrCode):
		return "code"
	case errors.Is(err, ErrShort):
		return "short"
	case errors.Is(err, ErrOptionLength):
		return "option-length"
	case errors.Is(err, ErrUnspecifiedSLL):
		return "unspecified-with-sllao"
	default:
		return "other"
	}
}

// InvalidReasons lists every InvalidReason label.
var InvalidReasons = []string{
	"hop-limit", "not-rs", "code", "short", "option-length", "unspecified-with-sllao", "other",
}
