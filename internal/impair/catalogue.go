package impair

import (
	"net"
	"net/netip"
	"time"

	"github.com/ralab/ralab/internal/config"
)

// Types is the catalogue of impairment types, one or more per field guide
// failure F1–F17, in F-id order.
var Types = []*Type{
	{
		Name:     "ra-throttle",
		FID:      "F1",
		Emulates: "wireless controller RA throttling (Cisco \"ipv6 nd ra-throttler\"): few unsolicited multicast RAs per period pass; solicited RAs still pass",
		Params: []Param{
			{"period", `"600s"`, "throttle period (Cisco throttle-period, default 600 s)"},
			{"max_through", "10", "multicast RAs passed per period (Cisco max-through)"},
			{"at_least", "1", "RAs per router always passed per period (Cisco allow at-least)"},
			{"at_most", "1", "RAs per router passed at most per period, 0 for no limit (Cisco allow at-most)"},
		},
		decode: func(d *decoder) params {
			p := throttleParams{
				period:     d.duration("period", 600*time.Second, time.Second, 24*time.Hour, false),
				maxThrough: d.integer("max_through", 10, 0, 256),
				atLeast:    d.integer("at_least", 1, 0, 256),
				atMost:     d.integer("at_most", 1, 0, 256),
			}
			if p.atMost != 0 && p.atMost < p.atLeast {
				d.fail("at_most", int64(p.atMost), config.ErrOutOfRange,
					"must be 0 (no limit) or at least at_least (%d)", p.atLeast)
			}
			return p
		},
	},
	{
		Name:     "ra-replay",
		FID:      "F2",
		Emulates: "controller that caches the router's RA and replays it on its own interval (Aruba \"ipv6 proxy-ra\"); RS not answered",
		Params: []Param{
			{"interval", `"600s"`, "replay interval (Aruba proxy-ra interval: 180 to 1800 s, default 600 s)"},
			{"answer_rs", "false", "whether solicited RAs still pass"},
		},
		decode: func(d *decoder) params {
			return replayParams{
				interval: d.duration("interval", 600*time.Second, time.Second, 24*time.Hour, false),
				answerRS: d.boolean("answer_rs", false),
			}
		},
	},
	{
		Name:     "ra-mcast-to-unicast",
		FID:      "F3",
		Emulates: "multicast-to-unicast conversion: multicast RAs go only as unicast to clients the controller has already seen (RS, DHCPv6)",
		decode:   func(*decoder) params { return unicastParams{} },
	},
	{
		Name:     "ra-drop-multicast",
		FID:      "F4",
		Emulates: "multicast RAs never arrive (a sleeping host, RFC 7772, or a multicast filter); unicast RAs pass",
		Params: []Param{
			{"solicited", "false", "also drop multicast answers to RS"},
		},
		decode: func(d *decoder) params {
			return dropMulticastParams{solicited: d.boolean("solicited", false)}
		},
	},
	{
		Name:     "rdnss-lifetime",
		FID:      "F5",
		Emulates: "RDNSS lifetime too short: below 3 x MaxRtrAdvInterval (RFC 8106 §5.1), Android's 120 s, or the RA interval itself",
		Params: []Param{
			{"lifetime", `"10s"`, `RDNSS lifetime sent, 0s to 4294967295s or "infinite"`},
			{"dnssl", "false", "override DNSSL lifetimes too"},
		},
		decode: func(d *decoder) params {
			return rdnssLifetimeParams{
				lifetime: wholeSeconds(d.duration("lifetime", 10*time.Second, 0, config.Infinite, true)),
				dnssl:    d.boolean("dnssl", false),
			}
		},
	},
	{
		Name:     "rdnss-omit",
		FID:      "F6",
		Emulates: "RAs without RDNSS after RAs with it (RFC 4861 §6.2.3 allows omitting options); Apple and dhcpcd drop DNS at once",
		Params: []Param{
			{"mode", `"always"`, `"always", "after" (from "after" on) or "every" (every Nth RA)`},
			{"after", `"30s"`, `with mode "after": time from the phase start`},
			{"every", "2", `with mode "every": N, 2 to 1000`},
			{"dnssl", "false", "omit DNSSL too"},
		},
		decode: func(d *decoder) params {
			return rdnssOmitParams{
				mode:  d.choice("mode", "always", "always", "after", "every"),
				after: d.duration("after", 30*time.Second, 0, 24*time.Hour, false),
				every: d.integer("every", 2, 2, 1000),
				dnssl: d.boolean("dnssl", false),
			}
		},
	},
	{
		Name:     "router-lifetime-zero",
		FID:      "F7",
		Emulates: "router lifetime 0 with RDNSS: Apple ignores the whole RA, Android never provisions",
		decode:   func(*decoder) params { return routerLifetimeParams{} },
	},
	{
		Name:     "router-lifetime-short",
		FID:      "F8",
		Emulates: "router lifetime under 180 s: Android 14+ (accept_ra_min_lft) ignores the default route",
		Params: []Param{
			{"lifetime", `"120s"`, "router lifetime sent, 1s to 179s"},
		},
		decode: func(d *decoder) params {
			return routerLifetimeParams{
				lifetime: wholeSeconds(d.duration("lifetime", 120*time.Second, time.Second, 179*time.Second, false)),
			}
		},
	},
	{
		Name:     "dhcpv6-drop",
		FID:      "F9",
		Emulates: "stateless DHCPv6 lost: ACL, DHCPv6 guard, ff02::1:2 not forwarded, or Replies dropped or late",
		Params: []Param{
			{"direction", `"reply"`, `"request" (Information-Requests), "reply" or "both"`},
			{"probability", "1.0", "fraction of matching messages affected, 0 to 1 (seeded random)"},
			{"action", `"drop"`, `"drop" or "delay"`},
			{"delay", `"2s"`, `with action "delay": 0s to 300s`},
		},
		decode: func(d *decoder) params {
			return dhcpDropParams{
				direction:   d.choice("direction", "reply", "request", "reply", "both"),
				probability: d.fraction("probability", 1),
				action:      d.choice("action", "drop", "drop", "delay"),
				delay:       d.duration("delay", 2*time.Second, 0, 300*time.Second, false),
			}
		},
	},
	{
		Name:     "dhcpv6-absent",
		FID:      "F10",
		Emulates: "O flag set but no DHCPv6 server answers: endless Information-Request backoff",
		decode:   func(*decoder) params { return noDHCPv6Params{} },
	},
	{
		Name:     "dns-only-dhcpv6",
		FID:      "F11",
		Emulates: "DNS only via stateless DHCPv6 (no RDNSS or DNSSL in RAs, O flag set): Android and ChromeOS get none",
		decode:   func(*decoder) params { return dnsOnlyDHCPv6Params{} },
	},
	{
		Name:     "dns-only-rdnss",
		FID:      "F12",
		Emulates: "DNS only via RDNSS (DHCPv6 answers without DNS): Windows before 1703 and DHCPv6-only hosts get none",
		decode:   func(*decoder) params { return dnsOnlyRDNSSParams{} },
	},
	{
		Name:     "ra-oversize",
		FID:      "F13",
		Emulates: "oversized RA: options split over several RAs (triggers F6), or sent as IPv6 fragments that hosts must drop (RFC 6980 §5)",
		Params: []Param{
			{"mode", `"split"`, `"split" or "fragment"`},
			{"parts", "2", `with mode "split": RAs per RA, 2 to 16`},
			{"mtu", "1280", `with mode "fragment": bytes per fragment, 56 to 65535; an RA that fits goes as one atomic fragment (RFC 6946)`},
		},
		decode: func(d *decoder) params {
			return oversizeParams{
				mode:  d.choice("mode", "split", "split", "fragment"),
				parts: d.integer("parts", 2, 2, 16),
				mtu:   d.integer("mtu", 1280, MinFragmentMTU, 65535),
			}
		},
	},
	{
		Name:     "rdnss-link-local",
		FID:      "F14",
		Emulates: "link-local RDNSS address (RFC 8106 allows it; older Android rejects it)",
		Params: []Param{
			{"address", `"fe80::53"`, "the link-local server address"},
			{"replace", "true", "replace the first RDNSS option's servers; false puts the address first"},
		},
		decode: func(d *decoder) params {
			return linkLocalParams{
				addr: d.addr("address", netip.MustParseAddr("fe80::53"), func(a netip.Addr) string {
					if !a.IsLinkLocalUnicast() {
						return "must be a link-local unicast address (fe80::/10)"
					}
					return ""
				}),
				replace: d.boolean("replace", true),
			}
		},
	},
	{
		Name:     "second-router",
		FID:      "F15",
		Emulates: "a second router on the link announcing conflicting RDNSS servers, or withdrawing ours with lifetime 0",
		Params: []Param{
			{"mac", `"02:00:00:00:53:02"`, "the fake router's MAC; its link-local address is the modified EUI-64 of it"},
			{"mode", `"conflicting"`, `"conflicting" (its own servers) or "withdraw" (our servers, lifetime 0)`},
			{"servers", `["2001:db8:ffff::53"]`, `with mode "conflicting": its RDNSS servers`},
			{"rdnss_lifetime", "the daemon's", `with mode "conflicting": its RDNSS lifetime`},
			{"router_lifetime", "the daemon's", "its router lifetime, 0 to 65535s"},
		},
		decode: func(d *decoder) params {
			return secondParams{
				mac:           d.mac("mac", net.HardwareAddr{0x02, 0, 0, 0, 0x53, 0x02}),
				mode:          d.choice("mode", "conflicting", "conflicting", "withdraw"),
				servers:       d.addrs("servers", []netip.Addr{netip.MustParseAddr("2001:db8:ffff::53")}),
				rdnssLifetime: wholeSeconds(d.duration("rdnss_lifetime", sameAsDaemon, 0, config.Infinite, true)),
				routerLifetime: wholeSeconds(
					d.duration("router_lifetime", sameAsDaemon, 0, config.MaxRouterLifetime, false)),
			}
		},
	},
	{
		Name:     "dns-servers-many",
		FID:      "F16",
		Emulates: "more than three DNS servers: glibc, rdnssd and Android use only three",
		Params: []Param{
			{"count", "5", "servers in the first RDNSS option, 4 to 15"},
			{"servers", "the addresses after the last configured server", "extra servers to add first"},
			{"dhcpv6", "true", "grow the DHCPv6 DNS server list too"},
		},
		decode: func(d *decoder) params {
			return manyServersParams{
				count:   d.integer("count", 5, 4, 15),
				servers: d.addrs("servers", nil),
				dhcpv6:  d.boolean("dhcpv6", true),
			}
		},
	},
	{
		Name:     "pref64",
		FID:      "F17",
		Emulates: "NAT64 prefix (PREF64, RFC 8781) with a too short lifetime, or withdrawn",
		Params: []Param{
			{"mode", `"short"`, `"short" or "withdraw" (lifetime 0)`},
			{"lifetime", `"8s"`, `with mode "short": a multiple of 8s, 8s to 65528s`},
			{"prefix", `"64:ff9b::/96"`, "prefix added when the configuration has none"},
		},
		decode: func(d *decoder) params {
			p := pref64Params{
				mode:     d.choice("mode", "short", "short", "withdraw"),
				lifetime: d.duration("lifetime", 8*time.Second, 8*time.Second, config.MaxPREF64Lifetime, false),
				prefix:   netip.MustParsePrefix("64:ff9b::/96"),
			}
			// RFC 8781 §4: the scaled lifetime counts 8 s units.
			if p.lifetime%(8*time.Second) != 0 {
				d.fail("lifetime", p.lifetime.String(), config.ErrInvalidValue,
					"must be a multiple of 8s (RFC 8781 §4)")
			}
			if raw, ok := d.get("prefix"); ok {
				s, _ := raw.(string)
				pf, err := netip.ParsePrefix(s)
				switch {
				case err != nil || !pf.Addr().Is6() || pf.Masked() != pf:
					d.fail("prefix", raw, config.ErrInvalidValue,
						"must be an IPv6 prefix with no host bits, such as \"64:ff9b::/96\"")
				case pf.Bits() != 96 && pf.Bits() != 64 && pf.Bits() != 56 && pf.Bits() != 48 && pf.Bits() != 40 &&
					pf.Bits() != 32:
					d.fail("prefix", raw, config.ErrInvalidValue,
						"length must be /96, /64, /56, /48, /40 or /32 (RFC 8781 §4)")
				default:
					p.prefix = pf
				}
			}
			return p
		},
	},
}

// wholeSeconds drops the fraction of a second from a lifetime, since the
// wire fields count whole seconds; negative markers pass unchanged.
func wholeSeconds(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d.Truncate(time.Second)
}
