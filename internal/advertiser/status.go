package advertiser

import (
	"fmt"
	"time"

	"github.com/ralab/ralab/internal/ra"
)

// Status is a snapshot of one Advertiser, served as JSON at /ra.
type Status struct {
	// Interface is the interface name.
	Interface string `json:"interface"`
	// State is "waiting" (for the interface to be usable), "advertising"
	// or "stopped".
	State string `json:"state"`
	// Reason says why the state is "waiting".
	Reason string `json:"reason,omitempty"`
	// LinkLocal is the source address of the RAs.
	LinkLocal string `json:"link_local,omitempty"`
	// MAC is the interface's hardware address.
	MAC string `json:"mac,omitempty"`
	// LastMulticast is when the last multicast RA was sent.
	LastMulticast *time.Time `json:"last_multicast,omitempty"`
	// NextRA is when the next scheduled RA is due, while advertising.
	NextRA *time.Time `json:"next_ra,omitempty"`
	// Counters are the interface's counters since start.
	Counters Counters `json:"counters"`
	// RA is the last multicast RA sent, decoded from the bytes on the wire.
	RA *RAStatus `json:"ra,omitempty"`
}

// Counters are one interface's message counts, as in the metrics.
type Counters struct {
	// Sent counts RAs sent by kind.
	Sent map[string]uint64 `json:"ra_sent"`
	// SendErrors counts RAs that could not be built or sent.
	SendErrors uint64 `json:"ra_send_errors"`
	// RSReceived counts valid RS.
	RSReceived uint64 `json:"rs_received"`
	// Invalid counts invalid messages by reason.
	Invalid map[string]uint64 `json:"invalid"`
	// Suppressed counts RS answers suppressed by reason.
	Suppressed map[string]uint64 `json:"rs_answers_suppressed"`
	// SocketDrops counts packets the kernel dropped at the NDP socket
	// before they were read (receive queue full).
	SocketDrops uint64 `json:"socket_drops"`
}

// clone returns a deep copy of c.
func (c Counters) clone() Counters {
	cp := func(m map[string]uint64) map[string]uint64 {
		out := make(map[string]uint64, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	c.Sent, c.Invalid, c.Suppressed = cp(c.Sent), cp(c.Invalid), cp(c.Suppressed)
	return c
}

// RAStatus is a decoded Router Advertisement.
type RAStatus struct {
	// Managed is the M flag.
	Managed bool `json:"managed"`
	// Other is the O flag.
	Other bool `json:"other"`
	// Preference is the default router preference.
	Preference string `json:"preference"`
	// HopLimit is the Cur Hop Limit.
	HopLimit uint8 `json:"hop_limit"`
	// RouterLifetime is in seconds.
	RouterLifetime uint32 `json:"router_lifetime_s"`
	// ReachableTime is in milliseconds.
	ReachableTime uint32 `json:"reachable_time_ms"`
	// RetransmitTimer is in milliseconds.
	RetransmitTimer uint32 `json:"retransmit_timer_ms"`
	// Options are the RA's options in wire order.
	Options []OptionStatus `json:"options"`
	// Size is the ICMPv6 message length in octets.
	Size int `json:"size"`
	// DecodeError is set when the sent bytes do not parse back.
	DecodeError string `json:"decode_error,omitempty"`
}

// OptionStatus is one decoded RA option; fields not used by the option's
// type are omitted.
type OptionStatus struct {
	// Type names the option: mtu, source-lla, prefix, route, rdnss, dnssl,
	// pref64, captive-portal, or raw-N.
	Type string `json:"type"`
	// Lifetime is the option lifetime in seconds (valid lifetime for a
	// prefix), 4294967295 meaning infinite.
	Lifetime *uint32 `json:"lifetime_s,omitempty"`
	// PreferredLifetime is a prefix's preferred lifetime in seconds.
	PreferredLifetime *uint32 `json:"preferred_lifetime_s,omitempty"`
	// Prefix is a prefix, route or PREF64 prefix.
	Prefix string `json:"prefix,omitempty"`
	// OnLink and Autonomous are a prefix's L and A flags.
	OnLink     *bool `json:"on_link,omitempty"`
	Autonomous *bool `json:"autonomous,omitempty"`
	// Preference is a route's preference.
	Preference string `json:"preference,omitempty"`
	// Servers are RDNSS addresses.
	Servers []string `json:"servers,omitempty"`
	// Domains are DNSSL names.
	Domains []string `json:"domains,omitempty"`
	// Value is an MTU, link-layer address or captive portal URI.
	Value string `json:"value,omitempty"`
}

// seconds converts d to the 32-bit seconds of the wire.
func seconds(d time.Duration) *uint32 {
	s := uint32(d / time.Second)
	return &s
}

// decodeRA decodes the ICMPv6 bytes b of an RA that was sent. It parses
// the bytes with ra.Decode, which keeps every field as sent, rather than
// trusting the message they were marshalled from, so that what /ra shows
// is what went on the wire.
func decodeRA(b []byte) *RAStatus {
	st := &RAStatus{Size: len(b), Options: []OptionStatus{}}
	m, err := ra.Decode(b)
	if err != nil {
		st.DecodeError = err.Error()
		return st
	}
	st.Managed, st.Other = m.Managed, m.OtherConfig
	st.Preference = m.Preference.String()
	if m.PreferenceReserved {
		st.Preference = "reserved"
	}
	st.HopLimit = m.HopLimit
	st.RouterLifetime = *seconds(m.RouterLifetime)
	st.ReachableTime = uint32(m.ReachableTime / time.Millisecond)
	st.RetransmitTimer = uint32(m.RetransmitTimer / time.Millisecond)
	if m.Err != nil {
		st.DecodeError = m.Err.Error()
	}
	for _, o := range m.Options {
		if o.Err != nil && st.DecodeError == "" {
			st.DecodeError = fmt.Sprintf("option %d: %v", o.Type, o.Err)
		}
		st.Options = append(st.Options, decodeOption(o))
	}
	return st
}

// decodeOption returns the status of one option as ra.Decode found it.
func decodeOption(o ra.Option) OptionStatus {
	switch {
	case o.Type == ra.TypeMTU && o.Err == nil:
		return OptionStatus{Type: "mtu", Value: fmt.Sprint(o.MTU)}
	case o.LinkLayerAddress != nil:
		return OptionStatus{Type: "source-lla", Value: o.LinkLayerAddress.String()}
	case o.Prefix != nil:
		p := o.Prefix
		return OptionStatus{Type: "prefix", Prefix: p.Prefix.String(), OnLink: &p.OnLink, Autonomous: &p.Autonomous,
			Lifetime: seconds(p.ValidLifetime), PreferredLifetime: seconds(p.PreferredLifetime)}
	case o.Route != nil:
		return OptionStatus{Type: "route", Prefix: o.Route.Prefix.String(), Preference: o.Route.Preference.String(),
			Lifetime: seconds(o.Route.Lifetime)}
	case o.RDNSS != nil:
		s := OptionStatus{Type: "rdnss", Lifetime: seconds(o.RDNSS.Lifetime), Servers: []string{}}
		for _, a := range o.RDNSS.Servers {
			s.Servers = append(s.Servers, a.String())
		}
		return s
	case o.DNSSL != nil:
		return OptionStatus{Type: "dnssl", Lifetime: seconds(o.DNSSL.Lifetime),
			Domains: append([]string{}, o.DNSSL.Domains...)}
	case o.PREF64 != nil:
		return OptionStatus{Type: "pref64", Prefix: o.PREF64.Prefix.String(), Lifetime: seconds(o.PREF64.Lifetime)}
	case o.Type == ra.TypeCaptivePortal && o.Err == nil:
		return OptionStatus{Type: "captive-portal", Value: o.CaptivePortal}
	default:
		return OptionStatus{Type: fmt.Sprintf("raw-%d", o.Type),
			Value: fmt.Sprintf("%x", o.Bytes[min(2, len(o.Bytes)):])}
	}
}

// lifetimes returns the advertised lifetimes of an RA for the lifetime
// gauge: router, and the shortest of each of rdnss, dnssl and pref64
// (absent when the RA has none of that kind).
func lifetimes(st *RAStatus) map[string]float64 {
	out := map[string]float64{}
	if st == nil || st.DecodeError != "" {
		return out
	}
	out["router"] = float64(st.RouterLifetime)
	for _, o := range st.Options {
		switch o.Type {
		case "rdnss", "dnssl", "pref64":
			v := float64(*o.Lifetime)
			if cur, ok := out[o.Type]; !ok || v < cur {
				out[o.Type] = v
			}
		}
	}
	return out
}
