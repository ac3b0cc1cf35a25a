package ra

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/ra/limits"
)

// optionKind is everything this package knows about one RA option type,
// kept in one file per option: how the configuration is checked and turned
// into the expected wire option (expect), how that is handed to ndp
// (encode), how the bytes are read back (decode), compared and described.
// Options with lifetimes also implement finalizer and withdrawer.
type optionKind interface {
	// typ is the option type (IANA "IPv6 Neighbor Discovery Option
	// Formats").
	typ() uint8
	// name is a short name for messages.
	name() string
	// expect validates ifc's options of this type and returns them as
	// Decode must find them on the wire, Bytes unset.
	expect(ifc config.Interface, mac net.HardwareAddr) ([]Option, error)
	// encode returns the ndp option for an option expect returned.
	encode(o *Option) ndp.Option
	// decode sets o's field for this type from o.Bytes (the whole option,
	// len(o.Bytes) == 8*o.Length > 0). On error the field is set as far as
	// decoding got.
	decode(o *Option) error
	// compare records in c the first difference between want and got,
	// which are of this type and were decoded without error.
	compare(c *comparer, name string, want, got *Option)
	// describe returns the one-line description of o's value, and false
	// when o was too malformed to have one.
	describe(o *Option) (string, bool)
}

// finalizer is an optionKind whose options change in the final RAs sent
// at shutdown (see Final).
type finalizer interface {
	final(ifc *config.Interface)
}

// withdrawer is an optionKind whose options can be withdrawn after a
// reload (see Withdrawn).
type withdrawer interface {
	// withdraw appends to out, which holds the next configuration, the
	// options of old that out no longer has, at lifetime 0.
	withdraw(old config.Interface, out *config.Interface)
}

// kinds are the options Build sends, in the order it sends them.
var kinds = []optionKind{
	sourceLLAOption{},
	mtuOption{},
	prefixOption{},
	routeOption{},
	rdnssOption{},
	dnsslOption{},
	pref64Option{},
	captivePortalOption{},
}

// kindOf returns the optionKind of an option type, or nil.
func kindOf(t uint8) optionKind {
	for _, k := range kinds {
		if k.typ() == t {
			return k
		}
	}
	return nil
}

// optionName returns a short name for an option type.
func optionName(t uint8) string {
	if k := kindOf(t); k != nil {
		return k.name()
	}
	return fmt.Sprintf("type %d", t)
}

// invalid returns an error wrapping ErrInvalid.
func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
}

// checkDuration checks that d is a whole number of unit within 0..limit.
func checkDuration(what string, d, unit, limit time.Duration) error {
	switch {
	case d < 0:
		return invalid("%s %v is negative", what, d)
	case d%unit != 0:
		return invalid("%s %v is not a whole number of %v", what, d, unit)
	case d > limit:
		return invalid("%s %v is above the maximum %v", what, d, limit)
	}
	return nil
}

// checkLifetime checks a 32-bit lifetime in seconds, where limits.Infinite
// is the all-ones value.
func checkLifetime(what string, d time.Duration) error {
	return checkDuration(what, d, time.Second, limits.Infinite)
}

// checkAddr checks that a is an IPv6 address the wire can carry.
func checkAddr(what string, a netip.Addr) error {
	switch {
	case !a.Is6() || a.Is4In6():
		return invalid("%s %v is not an IPv6 address", what, a)
	case a.Zone() != "":
		return invalid("%s %v has a zone, which the wire cannot carry", what, a)
	case a.IsUnspecified() || a.IsMulticast():
		return invalid("%s %v is unspecified or multicast", what, a)
	}
	return nil
}

// checkPrefix checks that p is a valid IPv6 prefix with no bits set beyond
// its length (RFC 4861 §4.6.2 and RFC 4191 §2.3 make those reserved).
func checkPrefix(what string, p netip.Prefix) error {
	switch {
	case !p.IsValid() || !p.Addr().Is6() || p.Addr().Is4In6():
		return invalid("%s %v is not an IPv6 prefix", what, p)
	case p.Masked() != p:
		return invalid("%s %v has bits set beyond /%d (did you mean %v?)", what, p, p.Bits(), p.Masked())
	}
	return nil
}

// checkOptionLen checks an option's length against what ndp v1.1.0 can
// marshal.
func checkOptionLen(what string, n int) error {
	if n > limits.MaxOptionLen {
		return invalid("%s option would be %d bytes; github.com/mdlayher/ndp v1.1.0 cannot encode options over %d bytes",
			what, n, limits.MaxOptionLen)
	}
	return nil
}

// padded returns n rounded up to a multiple of 8.
func padded(n int) int { return (n + 7) &^ 7 }

// preferenceToWire returns the 2-bit Prf value (RFC 4191 §2.1: 01 high,
// 00 medium, 11 low).
func preferenceToWire(p config.Preference) (uint8, error) {
	switch p {
	case config.Medium:
		return 0x0, nil
	case config.High:
		return 0x1, nil
	case config.Low:
		return 0x3, nil
	default:
		return 0, invalid("preference %d is not low, medium or high", int(p))
	}
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

// wantLength checks a fixed option length.
func wantLength(got, want uint8) error {
	if got != want {
		return fmt.Errorf("length %d, want %d", got, want)
	}
	return nil
}

// lifetime32 decodes a 32-bit lifetime in seconds; all ones is
// limits.Infinite, which is the same number of seconds.
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

// showPrefix formats a decoded prefix, "?" when it could not be decoded.
func showPrefix(p netip.Prefix) string {
	if !p.IsValid() {
		return "?"
	}
	return p.String()
}
