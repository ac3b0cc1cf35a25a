package conformance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// fieldGuide is the Knowledge.Source of facts from the project's field
// guide (docs/field-guide.md §1) and lab recipes (docs/lab-recipes.md).
const (
	fieldGuide = "field guide §1"
	labRecipes = "lab recipes (Debian 12 clients)"
)

// seenHere is the Knowledge.Client and Knowledge.Source of behaviour the
// capture itself showed, not a fingerprint.
const seenHere = "(seen in this capture)"

// tri is a yes/no/unknown fact about a client.
type tri int

const (
	unknown tri = iota
	yes
	no
)

// profile is what the field guide says about one client implementation,
// reduced to what verdicts use.
type profile struct {
	// name identifies the implementation.
	name string
	// basis is the fingerprint that matched.
	basis string
	// source is where the behaviour comes from.
	source string
	// rdnss says whether it takes DNS from RDNSS.
	rdnss tri
	// replaceOnRA: it stores the last RA per router whole, so an RA from
	// the same router without a server drops it at once (field guide §1:
	// dhcpcd, Apple; F6), and a server stays while any router's last RA
	// offers it (F15; seen with dhcpcd 9.4 in the lab).
	replaceOnRA bool
	// ignoreRL0: it ignores an RA with router lifetime 0 entirely, its
	// RDNSS too (field guide §1: Apple; F7).
	ignoreRL0 bool
	// minRDNSSLifetime: it ignores non-zero RDNSS lifetimes below this
	// (Android: 120 s).
	minRDNSSLifetime uint32
	// dhcpv6DNSUnseen: its DHCPv6 DNS was seen not to be applied, so a
	// DHCPv6 Reply alone does not show it holds DNS.
	dhcpv6DNSUnseen bool
	// behaviour summarises the above in words, for the report.
	behaviour string
}

// uint16Set reports whether a and b hold the same values, in any order.
func uint16Set(a, b []uint16) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// containsAll reports whether a holds every value of want.
func containsAll(a, want []uint16) bool {
	for _, w := range want {
		if !slices.Contains(a, w) {
			return false
		}
	}
	return true
}

// identify returns what a client's fingerprints matched in the field guide
// and lab recipes. It returns nil when nothing matches or knowledge is off:
// verdicts then use no client-specific knowledge.
func identify(c *client) *profile {
	if c.opts.NoKnowledge {
		return nil
	}
	return c.profile
}

// matchProfile matches c's fingerprints as they stand now. Every change to
// one of the fields it reads stores its result in c.profile.
func matchProfile(c *client) *profile {
	vc := strings.ToLower(strings.Join(c.vendorClass, " "))
	switch {
	case strings.Contains(vc, "dhcpcd"):
		return &profile{name: "dhcpcd", basis: "DHCPv6 Vendor Class (16) \"" + c.vendorClass[0] + "\"",
			source: fieldGuide + "; " + labRecipes, rdnss: yes, replaceOnRA: true,
			behaviour: "uses RDNSS and DHCPv6 (O=1); stores the whole last RA per router, so an RA without RDNSS drops DNS (F6), while one router's lifetime 0 leaves another router's offer standing (F15)"}
	case c.hasORO && containsAll(c.oro, []uint16{23, 24, 32, 82, 83}) && len(c.vendorClass) > 0 &&
		uint16Set(c.oro, []uint16{23, 24, 32, 82, 83}):
		return &profile{name: "dhcpcd", basis: "DHCPv6 ORO 23,24,32,82,83 with Vendor Class (16)", source: labRecipes,
			rdnss: yes, replaceOnRA: true,
			behaviour: "uses RDNSS and DHCPv6 (O=1); stores the whole last RA per router, so an RA without RDNSS drops DNS (F6), while one router's lifetime 0 leaves another router's offer standing (F15)"}
	case c.hasORO && uint16Set(c.oro, []uint16{23, 24, 39, 31}):
		return &profile{name: "ISC dhclient", basis: "DHCPv6 ORO 23,24,39,31", source: fieldGuide + "; " + labRecipes,
			rdnss: no, behaviour: "DHCPv6 only: ignores RAs, so RDNSS gives it no DNS (F12)"}
	case c.hasORO && uint16Set(c.oro, []uint16{23, 24, 32}) && len(c.oro) == 3 && c.oro[0] == 32:
		return &profile{name: "dibbler", basis: "DHCPv6 ORO 32,23,24", source: labRecipes,
			rdnss: no, behaviour: "stateless DHCPv6 client; takes no DNS from RDNSS (F12)"}
	case c.hasORO && containsAll(c.oro, []uint16{23, 24, 31, 32, 56, 83}) && c.duidType() == duidUUID:
		// NetworkManager's internal DHCPv6 client is systemd's
		// sd-dhcp6-client too; NetworkManager 1.42 in the lab asked
		// 23,24,31,32,56,83 with a DUID-UUID from the machine id.
		return &profile{name: "NetworkManager", basis: "DHCPv6 ORO 23,24,31,32,56,83 with a DUID-UUID (type 4)",
			source: labRecipes, rdnss: yes,
			behaviour: "uses RDNSS and applies DHCPv6 DNS beside it (O=1); NetworkManager 1.42 sent no RS after joining, so RA throttling costs it DNS (F1)"}
	case c.hasORO && uint16Set(c.oro, []uint16{23, 24, 31}) && len(c.oro) == 3 && c.duidType() == duidLLT:
		return &profile{name: "ConnMan", basis: "DHCPv6 ORO 23,24,31 with a DUID-LLT (type 1)", source: labRecipes,
			rdnss: yes, dhcpv6DNSUnseen: true,
			behaviour: "uses RDNSS and re-solicits while RA-learned lifetimes run low; ConnMan 1.41 applied the DNS of a DHCPv6 Reply only in some lab runs, so a Reply alone is not proof"}
	case c.hasORO && containsAll(c.oro, []uint16{23, 31, 32, 56, 83}):
		// systemd's sd-dhcp6-client; networkd 252 in the lab asked
		// 23,31,32,56,83 (24 only with DHCPv6 UseDomains).
		return &profile{name: "systemd-networkd", basis: "DHCPv6 ORO with 23,31,32,56,83 (systemd sd-dhcp6-client)",
			source: fieldGuide + "; " + labRecipes, rdnss: yes, dhcpv6DNSUnseen: true,
			behaviour: "uses RDNSS; networkd 252 completed Information-Requests but did not apply their DNS, so a DHCPv6 Reply alone is not proof"}
	case c.hasORO && uint16Set(c.oro, []uint16{23, 24, 103}):
		return &profile{name: "Apple iOS/macOS", basis: "DHCPv6 ORO 23,24,103 (no 32, 83)", source: fieldGuide,
			rdnss: yes, replaceOnRA: true, ignoreRL0: true,
			behaviour: "uses the first non-zero RDNSS of one router; each RA replaces the stored one, so an RA without RDNSS drops DNS at once (F6); an RA with router lifetime 0 is ignored entirely, its RDNSS too (F7)"}
	case c.sentDHCPv6Client && !c.hasORO && c.infoRequests > 0:
		return &profile{name: "WIDE dhcp6c", basis: "Information-Request without ORO", source: labRecipes,
			rdnss: no, behaviour: "information-only DHCPv6 client (dhcp6c -i); takes no DNS from RDNSS (F12)"}
	case c.hasORO && len(c.oro) == 2 && uint16Set(c.oro, []uint16{23, 24}):
		return &profile{name: "WIDE dhcp6c or busybox udhcpc6", basis: "DHCPv6 ORO 23,24 only",
			source: fieldGuide + "; " + labRecipes, rdnss: no,
			behaviour: "information-only DHCPv6 client; takes no DNS from RDNSS (F12)"}
	case c.earlyRS != nil:
		return &profile{name: "re-soliciting client",
			basis: fmt.Sprintf("RS %s before its RA-learned lifetimes ran out, long after it joined (packet %d)",
				seconds(c.earlyRSLead), c.earlyRS.Packet),
			source: fieldGuide + "; " + labRecipes, rdnss: yes,
			behaviour: "uses RDNSS and re-solicits before RA-learned items expire, so an answered RS keeps its DNS under RA throttling (F1); the field guide names NetworkManager, but in the lab NetworkManager 1.42 did not re-solicit and ConnMan 1.41 did"}
	case strings.Contains(vc, "msft") || strings.HasPrefix(strings.ToLower(c.dhcp4VendorClass), "msft"):
		return &profile{name: "Windows", basis: "Vendor Class \"MSFT\" (DHCPv6 option 16 or DHCPv4 option 60)",
			source: fieldGuide, rdnss: unknown,
			behaviour: "Windows 10 1703 and later use RDNSS, earlier versions do not (F12): the version cannot be seen"}
	case strings.HasPrefix(strings.ToLower(c.dhcp4VendorClass), "android-dhcp"):
		return &profile{name: "Android", basis: "DHCPv4 Vendor Class (60) \"" + c.dhcp4VendorClass + "\"",
			source: fieldGuide, rdnss: yes, minRDNSSLifetime: 120,
			behaviour: "takes DNS only from RDNSS (never DHCPv6) and ignores non-zero RDNSS lifetimes below 120 s (F5, F11)"}
	}
	return nil
}

// DUID types (RFC 8415 §11.1).
const (
	duidLLT  = 1
	duidUUID = 4
)

// duidType returns the type of the client's first DUID, 0 if none.
func (c *client) duidType() uint16 {
	if len(c.duids) == 0 || len(c.duids[0]) < 4 {
		return 0
	}
	v, err := strconv.ParseUint(c.duids[0][:4], 16, 16)
	if err != nil {
		return 0
	}
	return uint16(v)
}

// knowledge returns the report form of p.
func (p *profile) knowledge() Knowledge {
	return Knowledge{Client: p.name, Basis: p.basis, Behaviour: p.behaviour, Source: p.source}
}
