package ra

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/ra/limits"
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

// ipv6HeaderLen is the fixed IPv6 header, counted against the MTU
// (RFC 8200 §3).
const ipv6HeaderLen = 40

// Build returns the Router Advertisement that ifc describes and its
// marshalled ICMPv6 body (checksum zero), with a Source
// Link-Layer Address option for mac when ifc.SourceLLA is set. Options come
// in a fixed order: source link-layer address, MTU, prefixes, routes, RDNSS,
// DNSSL, PREF64, captive portal.
//
// Build does not trust ifc to be validated: a value out of its field's range
// is an error wrapping ErrInvalid. The result is marshalled and decoded
// again with Decode; any difference from ifc is an error wrapping
// ErrWireMismatch, so the returned bytes carry exactly the values in ifc
// (DNSSL names written with a trailing dot are sent without it). Build
// does no I/O.
func Build(ifc config.Interface, mac net.HardwareAddr) (*ndp.RouterAdvertisement, []byte, error) {
	want, err := expect(ifc, mac)
	if err != nil {
		return nil, nil, err
	}
	m, err := toNDP(want)
	if err != nil {
		return nil, nil, err
	}
	b, err := ndp.MarshalMessage(m)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: ndp cannot marshal the RA: %w", ErrWireMismatch, err)
	}
	got, err := Decode(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrWireMismatch, err)
	}
	if err := compare(want, got); err != nil {
		return nil, nil, err
	}
	// RFC 6980 §5 forbids fragmented ND and R8 of the field guide wants the
	// RA within the link MTU; without an MTU option the only MTU known
	// offline is the IPv6 minimum.
	limit := max(int(ifc.MTU), limits.MinMTU)
	if n := ipv6HeaderLen + len(b); n > limit {
		return nil, nil, fmt.Errorf("%w: the RA is %d bytes with its IPv6 header, more than the %d-byte MTU",
			ErrInvalid, n, limit)
	}
	return m, b, nil
}

// expect validates ifc and returns the RA it must produce on the wire, in
// the form Decode returns (Bytes unset): the header, then each option
// kind's options in the order of kinds.
func expect(ifc config.Interface, mac net.HardwareAddr) (*Message, error) {
	m, err := expectHeader(ifc)
	if err != nil {
		return nil, err
	}
	for _, k := range kinds {
		opts, err := k.expect(ifc, mac)
		if err != nil {
			return nil, err
		}
		m.Options = append(m.Options, opts...)
	}
	return m, nil
}

// expectHeader validates the RA header fields of ifc (RFC 4861 §4.2) and
// returns the message without options.
func expectHeader(ifc config.Interface) (*Message, error) {
	if err := checkDuration("router lifetime", ifc.RouterLifetime, time.Second, limits.MaxRouterLifetime); err != nil {
		return nil, err
	}
	if err := checkDuration("reachable time", ifc.ReachableTime, time.Millisecond,
		limits.MaxReachableTime); err != nil {
		return nil, err
	}
	if err := checkDuration("retransmit timer", ifc.RetransmitTimer, time.Millisecond,
		limits.MaxRetransmitTimer); err != nil {
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
	return m, nil
}

// ndpPreference converts a checked preference to ndp's type, whose values
// are the wire values.
func ndpPreference(p config.Preference) ndp.Preference {
	v, _ := preferenceToWire(p)
	return ndp.Preference(v)
}

// toNDP returns the ndp message for want. Each option kind encodes its
// own options: with ndp's types where ndp v1.1.0 encodes them correctly
// within expect's checks, as RawOption where it does not.
func toNDP(want *Message) (*ndp.RouterAdvertisement, error) {
	m := &ndp.RouterAdvertisement{
		CurrentHopLimit:           want.HopLimit,
		ManagedConfiguration:      want.Managed,
		OtherConfiguration:        want.OtherConfig,
		RouterSelectionPreference: ndpPreference(want.Preference),
		RouterLifetime:            want.RouterLifetime,
		ReachableTime:             want.ReachableTime,
		RetransmitTimer:           want.RetransmitTimer,
	}
	for i := range want.Options {
		o := &want.Options[i]
		k := kindOf(o.Type)
		if k == nil {
			return nil, fmt.Errorf("%w: no encoder for option type %d", ErrWireMismatch, o.Type)
		}
		m.Options = append(m.Options, k.encode(o))
	}
	return m, nil
}
