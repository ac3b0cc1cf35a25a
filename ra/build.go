package ra

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

var (
	// ErrInvalid reports a configuration value that cannot be put on the
	// wire as configured: out of its field's range, or beyond what
	// github.com/mdlayher/ndp v1.1.0 encodes correctly.
	ErrInvalid = errors.New("invalid value")
	// ErrWireMismatch reports that the marshalled RA, decoded again, differs
	// from the configuration. It means a bug in ralab or ndp, never a bad
	// configuration; the RA must not be sent.
	ErrWireMismatch = errors.New("wire mismatch")
)

const (
	// maxOptionLen is the longest option ndp v1.1.0 marshals: RawOption
	// computes Length*8 in a uint8, so 32 or more units (256 bytes) fail
	// to marshal or parse. RFC 4861 §4.6 itself allows 255 units.
	maxOptionLen = 31 * 8
	// maxRDNSSServers is the most servers one RDNSS option carries within
	// maxOptionLen: (31 - 1) / 2 (RFC 8106 §5.1 Length = 1 + 2n).
	maxRDNSSServers = 15
	// minMTU is the IPv6 minimum link MTU (RFC 8200 §5); hosts ignore a
	// smaller MTU option (RFC 4861 §6.3.4).
	minMTU = 1280
	// ipv6HeaderLen is the fixed IPv6 header, counted against the MTU.
	ipv6HeaderLen = 40
	// maxRouterLifetime is the 16-bit Router Lifetime field's maximum
	// (RFC 4861 §4.2, RFC 8319 §4).
	maxRouterLifetime = 65535 * time.Second
	// maxReachableTime is AdvReachableTime's maximum, 3,600,000 ms
	// (RFC 4861 §6.2.1).
	maxReachableTime = time.Hour
	// maxRetransmitTimer is the 32-bit millisecond field's maximum
	// (RFC 4861 §4.2).
	maxRetransmitTimer = 0xffffffff * time.Millisecond
	// pref64Unit is the PREF64 scaled lifetime unit (RFC 8781 §4).
	pref64Unit = 8 * time.Second
)

// Build returns the Router Advertisement that ifc describes, with a Source
// Link-Layer Address option for mac when ifc.SourceLLA is set. Options come
// in a fixed order: source link-layer address, MTU, prefixes, routes, RDNSS,
// DNSSL, PREF64, captive portal.
//
// Build does not trust ifc to be validated: a value out of its field's range
// is an error wrapping ErrInvalid. The result is marshalled and decoded
// again with Decode; any difference from ifc is an error wrapping
// ErrWireMismatch, so a returned RA marshals to exactly the values in ifc
// (DNSSL names written with a trailing dot are sent without it). Build
// does no I/O.
func Build(ifc config.Interface, mac net.HardwareAddr) (*ndp.RouterAdvertisement, error) {
	want, err := expect(ifc, mac)
	if err != nil {
		return nil, err
	}
	m, err := toNDP(want, mac)
	if err != nil {
		return nil, err
	}
	b, err := ndp.MarshalMessage(m)
	if err != nil {
		return nil, fmt.Errorf("%w: ndp cannot marshal the RA: %w", ErrWireMismatch, err)
	}
	got, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWireMismatch, err)
	}
	if err := compare(want, got); err != nil {
		return nil, err
	}
	// RFC 6980 §5 forbids fragmented ND and R8 of the field guide wants the
	// RA within the link MTU; without an MTU option the only MTU known
	// offline is the IPv6 minimum.
	limit := max(int(ifc.MTU), minMTU)
	if n := ipv6HeaderLen + len(b); n > limit {
		return nil, fmt.Errorf("%w: the RA is %d bytes with its IPv6 header, more than the %d-byte MTU", ErrInvalid, n, limit)
	}
	return m, nil
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

// checkLifetime checks a 32-bit lifetime in seconds, where config.Infinite
// is the all-ones value.
func checkLifetime(what string, d time.Duration) error {
	return checkDuration(what, d, time.Second, config.Infinite)
}

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

// routeLength is the Route Information option Length for a prefix of bits
// (RFC 4191 §2.3: 1 for /0, 2 up to /64, 3 above).
func routeLength(bits int) uint8 {
	switch {
	case bits == 0:
		return 1
	case bits <= 64:
		return 2
	default:
		return 3
	}
}

// padded returns n rounded up to a multiple of 8.
func padded(n int) int { return (n + 7) &^ 7 }

// domainName returns name without its trailing dot, checked as an
// uncompressed DNS name (RFC 1035 §2.3.4: labels of 1 to 63 bytes, 255 in
// all) of printable ASCII, as the DNSSL carries it (RFC 8106 §5.2), and its
// wire length.
func domainName(name string) (string, int, error) {
	// A trailing dot makes ndp v1.1.0 emit an empty label, which ends the
	// name early and loses the next one; it means the same name anyway.
	n := strings.TrimSuffix(name, ".")
	if n == "" {
		return "", 0, invalid("search domain %q is empty", name)
	}
	wire := 1
	for _, l := range strings.Split(n, ".") {
		if l == "" || len(l) > 63 {
			return "", 0, invalid("search domain %q has a label of %d bytes, want 1 to 63", name, len(l))
		}
		for _, c := range []byte(l) {
			if c <= ' ' || c >= 0x7f {
				return "", 0, invalid("search domain %q has byte %#x; write internationalised names as A-labels (xn--)", name, c)
			}
		}
		wire += 1 + len(l)
	}
	if wire > 255 {
		return "", 0, invalid("search domain %q is %d bytes on the wire, more than 255", name, wire)
	}
	return n, wire, nil
}

// checkOptionLen checks an option's length against what ndp v1.1.0 can
// marshal.
func checkOptionLen(what string, n int) error {
	if n > maxOptionLen {
		return invalid("%s option would be %d bytes; github.com/mdlayher/ndp v1.1.0 cannot encode options over %d bytes", what, n, maxOptionLen)
	}
	return nil
}

// expect validates ifc and returns the RA it must produce on the wire, in
// the form Decode returns (Bytes unset).
func expect(ifc config.Interface, mac net.HardwareAddr) (*Message, error) {
	if err := checkDuration("router lifetime", ifc.RouterLifetime, time.Second, maxRouterLifetime); err != nil {
		return nil, err
	}
	if err := checkDuration("reachable time", ifc.ReachableTime, time.Millisecond, maxReachableTime); err != nil {
		return nil, err
	}
	if err := checkDuration("retransmit timer", ifc.RetransmitTimer, time.Millisecond, maxRetransmitTimer); err != nil {
		return nil, err
	}
	prf, err := preferenceToWire(ifc.Preference)
	if err != nil {
		return nil, fmt.Errorf("router %w", err)
	}
	if ifc.RouterLifetime == 0 && ifc.Preference != config.Medium {
		// RFC 4191 §2.2: with Router Lifetime 0 the sender MUST set Prf 00.
		return nil, invalid("router preference %v with router lifetime 0; RFC 4191 §2.2 requires medium", ifc.Preference)
	}
	m := &Message{
		HopLimit:        ifc.HopLimit,
		Flags:           prf << 3,
		Managed:         ifc.Managed,
		OtherConfig:     ifc.OtherConfig,
		Preference:      ifc.Preference,
		RouterLifetime:  ifc.RouterLifetime,
		ReachableTime:   ifc.ReachableTime,
		RetransmitTimer: ifc.RetransmitTimer,
	}
	if ifc.Managed {
		m.Flags |= 0x80
	}
	if ifc.OtherConfig {
		m.Flags |= 0x40
	}

	if ifc.SourceLLA {
		if len(mac) != 6 {
			return nil, invalid("source link-layer address %q is not a 6-byte Ethernet address", mac)
		}
		m.Options = append(m.Options, Option{Type: TypeSourceLLA, Length: 1, LinkLayerAddress: mac})
	}
	if ifc.MTU != 0 {
		if ifc.MTU < minMTU {
			return nil, invalid("MTU %d is below the IPv6 minimum %d (RFC 8200 §5)", ifc.MTU, minMTU)
		}
		m.Options = append(m.Options, Option{Type: TypeMTU, Length: 1, MTU: ifc.MTU})
	}
	for _, p := range ifc.Prefixes {
		what := "prefix " + p.Prefix.String()
		if err := checkPrefix(what, p.Prefix); err != nil {
			return nil, err
		}
		if err := checkLifetime(what+" valid lifetime", p.ValidLifetime); err != nil {
			return nil, err
		}
		if err := checkLifetime(what+" preferred lifetime", p.PreferredLifetime); err != nil {
			return nil, err
		}
		if p.PreferredLifetime > p.ValidLifetime {
			// RFC 4862 §5.5.3 c): hosts ignore such a prefix.
			return nil, invalid("%s preferred lifetime %v exceeds valid lifetime %v", what, p.PreferredLifetime, p.ValidLifetime)
		}
		m.Options = append(m.Options, Option{Type: TypePrefixInformation, Length: 4, Prefix: &p})
	}
	for _, r := range ifc.Routes {
		what := "route " + r.Prefix.String()
		if err := checkPrefix(what, r.Prefix); err != nil {
			return nil, err
		}
		if _, err := preferenceToWire(r.Preference); err != nil {
			return nil, fmt.Errorf("%s %w", what, err)
		}
		if err := checkLifetime(what+" lifetime", r.Lifetime); err != nil {
			return nil, err
		}
		m.Options = append(m.Options, Option{Type: TypeRouteInformation, Length: routeLength(r.Prefix.Bits()), Route: &r})
	}
	for i, r := range ifc.RDNSS {
		what := fmt.Sprintf("RDNSS %d", i+1)
		if len(r.Servers) == 0 {
			return nil, invalid("%s has no servers", what)
		}
		if len(r.Servers) > maxRDNSSServers {
			return nil, invalid("%s has %d servers; github.com/mdlayher/ndp v1.1.0 cannot encode more than %d in one option", what, len(r.Servers), maxRDNSSServers)
		}
		for _, s := range r.Servers {
			if err := checkAddr(what+" server", s); err != nil {
				return nil, err
			}
		}
		if err := checkLifetime(what+" lifetime", r.Lifetime); err != nil {
			return nil, err
		}
		r := config.RDNSS{Servers: append([]netip.Addr(nil), r.Servers...), Lifetime: r.Lifetime}
		m.Options = append(m.Options, Option{Type: TypeRDNSS, Length: uint8(1 + 2*len(r.Servers)), RDNSS: &r})
	}
	for i, d := range ifc.DNSSL {
		what := fmt.Sprintf("DNSSL %d", i+1)
		if len(d.Domains) == 0 {
			return nil, invalid("%s has no domains", what)
		}
		w := config.DNSSL{Lifetime: d.Lifetime}
		n := 8
		for _, name := range d.Domains {
			name, wire, err := domainName(name)
			if err != nil {
				return nil, err
			}
			w.Domains = append(w.Domains, name)
			n += wire
		}
		n = padded(n)
		if err := checkOptionLen(what, n); err != nil {
			return nil, err
		}
		if err := checkLifetime(what+" lifetime", d.Lifetime); err != nil {
			return nil, err
		}
		m.Options = append(m.Options, Option{Type: TypeDNSSL, Length: uint8(n / 8), DNSSL: &w})
	}
	for _, p := range ifc.PREF64 {
		what := "PREF64 " + p.Prefix.String()
		if err := checkPrefix(what, p.Prefix); err != nil {
			return nil, err
		}
		if plc(p.Prefix.Bits()) < 0 {
			return nil, invalid("%s: length /%d is not one of /96, /64, /56, /48, /40, /32 (RFC 8781 §4)", what, p.Prefix.Bits())
		}
		if err := checkDuration(what+" lifetime", p.Lifetime, pref64Unit, config.MaxPREF64Lifetime); err != nil {
			return nil, err
		}
		m.Options = append(m.Options, Option{Type: TypePREF64, Length: 2, PREF64: &p})
	}
	if uri := ifc.CaptivePortal; uri != "" {
		if strings.IndexByte(uri, 0) >= 0 {
			return nil, invalid("captive portal URI %q contains a NUL byte", uri)
		}
		n := padded(2 + len(uri))
		if err := checkOptionLen("captive portal", n); err != nil {
			return nil, err
		}
		m.Options = append(m.Options, Option{Type: TypeCaptivePortal, Length: uint8(n / 8), CaptivePortal: uri})
	}
	return m, nil
}

// plc returns the PREF64 Prefix Length Code for a prefix length, or -1
// (RFC 8781 §4).
func plc(bits int) int {
	for i, b := range pref64Lengths {
		if b == bits {
			return i
		}
	}
	return -1
}

// seconds32 returns d in whole seconds as the 32-bit wire value; expect has
// checked the range, and config.Infinite is exactly 0xffffffff seconds.
func seconds32(d time.Duration) uint32 { return uint32(d / time.Second) }

// ndpPreference converts a checked preference to ndp's type, whose values
// are the wire values.
func ndpPreference(p config.Preference) ndp.Preference {
	v, _ := preferenceToWire(p)
	return ndp.Preference(v)
}

// toNDP returns the ndp message for want. Options that ndp v1.1.0 encodes
// correctly within expect's checks use ndp's types; Route Information,
// DNSSL and PREF64 are encoded here as RawOption (see routeOption,
// dnsslOption, pref64Option).
func toNDP(want *Message, mac net.HardwareAddr) (*ndp.RouterAdvertisement, error) {
	m := &ndp.RouterAdvertisement{
		CurrentHopLimit:           want.HopLimit,
		ManagedConfiguration:      want.Managed,
		OtherConfiguration:        want.OtherConfig,
		RouterSelectionPreference: ndpPreference(want.Preference),
		RouterLifetime:            want.RouterLifetime,
		ReachableTime:             want.ReachableTime,
		RetransmitTimer:           want.RetransmitTimer,
	}
	for _, o := range want.Options {
		var opt ndp.Option
		switch o.Type {
		case TypeSourceLLA:
			opt = &ndp.LinkLayerAddress{Direction: ndp.Source, Addr: append(net.HardwareAddr(nil), mac...)}
		case TypeMTU:
			opt = ndp.NewMTU(o.MTU)
		case TypePrefixInformation:
			opt = &ndp.PrefixInformation{
				PrefixLength:                   uint8(o.Prefix.Prefix.Bits()),
				OnLink:                         o.Prefix.OnLink,
				AutonomousAddressConfiguration: o.Prefix.Autonomous,
				ValidLifetime:                  o.Prefix.ValidLifetime,
				PreferredLifetime:              o.Prefix.PreferredLifetime,
				Prefix:                         o.Prefix.Prefix.Addr(),
			}
		case TypeRouteInformation:
			opt = routeOption(*o.Route)
		case TypeRDNSS:
			opt = &ndp.RecursiveDNSServer{Lifetime: o.RDNSS.Lifetime, Servers: o.RDNSS.Servers}
		case TypeDNSSL:
			opt = dnsslOption(*o.DNSSL, o.Length)
		case TypePREF64:
			opt = pref64Option(*o.PREF64)
		case TypeCaptivePortal:
			// Not ndp.NewCaptivePortal: it rewrites the URI through
			// net/url, and the URI must go out exactly as configured.
			opt = &ndp.CaptivePortal{URI: o.CaptivePortal}
		default:
			return nil, fmt.Errorf("%w: no encoder for option type %d", ErrWireMismatch, o.Type)
		}
		m.Options = append(m.Options, opt)
	}
	return m, nil
}

// routeOption encodes a checked Route Information option (RFC 4191 §2.3).
// ndp v1.1.0 encodes it correctly but decodes only prefix-length/8 prefix
// bytes, losing the bits of a /60; encoding it here keeps the bytes under
// this package's control: Length 1, 2 or 3, the prefix bits beyond the
// prefix length zero (the prefix is masked).
func routeOption(r config.Route) *ndp.RawOption {
	l := routeLength(r.Prefix.Bits())
	v := make([]byte, int(l)*8-2)
	v[0] = uint8(r.Prefix.Bits())
	prf, _ := preferenceToWire(r.Preference)
	v[1] = prf << 3
	binary.BigEndian.PutUint32(v[2:6], seconds32(r.Lifetime))
	a := r.Prefix.Masked().Addr().As16()
	copy(v[6:], a[:])
	return &ndp.RawOption{Type: TypeRouteInformation, Length: l, Value: v}
}

// dnsslOption encodes a checked DNS Search List option of length units
// (RFC 8106 §5.2): names as uncompressed RFC 1035 §3.1 labels, then zero
// padding. ndp v1.1.0 runs names through IDNA, which rejects some A-labels
// as a marshal error and turns a trailing dot into an empty label that
// swallows the next name; expect has already dropped trailing dots and
// checked the labels.
func dnsslOption(d config.DNSSL, length uint8) *ndp.RawOption {
	v := make([]byte, 6, int(length)*8-2)
	binary.BigEndian.PutUint32(v[2:6], seconds32(d.Lifetime))
	for _, name := range d.Domains {
		for _, l := range strings.Split(name, ".") {
			v = append(v, byte(len(l)))
			v = append(v, l...)
		}
		v = append(v, 0)
	}
	return &ndp.RawOption{Type: TypeDNSSL, Length: length, Value: v[:cap(v)]}
}

// pref64Option encodes a checked PREF64 option (RFC 8781 §4): the 13-bit
// scaled lifetime in 8 s units above the 3-bit PLC, then the highest 96
// prefix bits. ndp v1.1.0 rounds the lifetime into a uint16 that wraps
// silently (524288 s and ndp.Infinity become 0, a withdrawal), so the
// encoding is done here on an already range-checked value.
func pref64Option(p config.PREF64) *ndp.RawOption {
	v := make([]byte, 14)
	scaled := uint16(p.Lifetime / pref64Unit)
	binary.BigEndian.PutUint16(v[0:2], scaled<<3|uint16(plc(p.Prefix.Bits())))
	a := p.Prefix.Masked().Addr().As16()
	copy(v[2:], a[:12])
	return &ndp.RawOption{Type: TypePREF64, Length: 2, Value: v}
}
