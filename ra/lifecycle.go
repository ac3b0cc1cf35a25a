package ra

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/ralab/ralab/internal/config"
)

// clone returns a deep copy of ifc's RA parts, so that Final and Withdrawn
// never share a slice with their argument.
func clone(ifc config.Interface) config.Interface {
	ifc.Prefixes = slices.Clone(ifc.Prefixes)
	ifc.Routes = slices.Clone(ifc.Routes)
	ifc.RDNSS = slices.Clone(ifc.RDNSS)
	for i, r := range ifc.RDNSS {
		ifc.RDNSS[i].Servers = slices.Clone(r.Servers)
	}
	ifc.DNSSL = slices.Clone(ifc.DNSSL)
	for i, d := range ifc.DNSSL {
		ifc.DNSSL[i].Domains = slices.Clone(d.Domains)
	}
	ifc.PREF64 = slices.Clone(ifc.PREF64)
	return ifc
}

// Final returns ifc as announced in the final RAs sent at shutdown.
//
// The router lifetime is 0 (RFC 4861 §6.2.5) and the router preference
// medium, as RFC 4191 §2.2 requires with lifetime 0. Routes get lifetime 0:
// the router that forwards them is leaving, and a host that kept them
// would send traffic into a black hole (radvd's RemoveRoute, on by
// default, does the same). When ifc.WithdrawOnStop is set, RDNSS, DNSSL
// and PREF64 also get lifetime 0, which tells hosts to stop using them at
// once (RFC 8106 §5.1 and §5.2, RFC 8781 §4). Apple clients ignore an RA
// with router lifetime 0 altogether (field guide F7), so they keep the DNS
// settings until those expire.
//
// Prefixes keep their lifetimes, as radvd does: the addresses hosts formed
// from them stay usable on the link whether or not this router runs, a
// restart should not deprecate them and break open connections, and a
// valid lifetime of 0 would not remove them anyway (RFC 4862 §5.5.3 e)
// keeps at least two hours). They expire on their own if ralab does not
// come back.
func Final(ifc config.Interface) config.Interface {
	ifc = clone(ifc)
	ifc.RouterLifetime = 0
	ifc.Preference = config.Medium
	for i := range ifc.Routes {
		ifc.Routes[i].Lifetime = 0
	}
	if ifc.WithdrawOnStop {
		for i := range ifc.RDNSS {
			ifc.RDNSS[i].Lifetime = 0
		}
		for i := range ifc.DNSSL {
			ifc.DNSSL[i].Lifetime = 0
		}
		for i := range ifc.PREF64 {
			ifc.PREF64[i].Lifetime = 0
		}
	}
	return ifc
}

// Withdrawn returns next with, added, everything old advertised that next
// does not, at lifetime 0, so that the first RA after a reload withdraws
// what was removed:
//
//   - RDNSS servers no longer offered, in extra RDNSS options with lifetime
//     0 that list only those servers (RFC 8106 §5.1). ChromeOS clears all
//     its servers on such an option and then learns next's again from the
//     same RA; that is its behaviour, not a reason to keep stale servers.
//   - DNSSL domains no longer offered, likewise (RFC 8106 §5.2).
//   - Prefixes no longer offered, with valid and preferred lifetime 0.
//     RFC 4862 §5.5.3 e) makes hosts keep an unauthenticated prefix's
//     addresses valid for at least two more hours, so this deprecates the
//     addresses (preferred 0: no new connections use them) rather than
//     removing them; the valid lifetime 0 still ends them as early as the
//     rule allows.
//   - Routes no longer offered, with lifetime 0 (RFC 4191 §2.3).
//   - PREF64 prefixes no longer offered, with lifetime 0 (RFC 8781 §4).
//
// A removed captive portal cannot be withdrawn: the RFC 8910 option has no
// lifetime and no "none" value (its "unrestricted" URN would be a new
// statement, not a withdrawal), so hosts keep the old URI until they
// replace or forget it.
//
// Entries of old that already have lifetime 0 are not repeated, so that
// Withdrawn(Withdrawn(a, b), c) does not carry withdrawals forever.
func Withdrawn(old, next config.Interface) config.Interface {
	out := clone(next)

	var servers []netip.Addr
	for _, r := range old.RDNSS {
		for _, s := range r.Servers {
			if r.Lifetime != 0 && !slices.ContainsFunc(next.RDNSS, func(n config.RDNSS) bool { return slices.Contains(n.Servers, s) }) && !slices.Contains(servers, s) {
				servers = append(servers, s)
			}
		}
	}
	for c := range slices.Chunk(servers, maxRDNSSServers) {
		out.RDNSS = append(out.RDNSS, config.RDNSS{Servers: c})
	}

	var domains []string
	for _, d := range old.DNSSL {
		for _, name := range d.Domains {
			if d.Lifetime != 0 && !slices.ContainsFunc(next.DNSSL, func(n config.DNSSL) bool { return containsDomain(n.Domains, name) }) && !containsDomain(domains, name) {
				domains = append(domains, name)
			}
		}
	}
	out.DNSSL = append(out.DNSSL, dnsslChunks(domains)...)

	for _, p := range old.Prefixes {
		if p.ValidLifetime != 0 && !slices.ContainsFunc(next.Prefixes, func(n config.Prefix) bool { return n.Prefix == p.Prefix }) {
			p.ValidLifetime, p.PreferredLifetime = 0, 0
			out.Prefixes = append(out.Prefixes, p)
		}
	}
	for _, r := range old.Routes {
		if r.Lifetime != 0 && !slices.ContainsFunc(next.Routes, func(n config.Route) bool { return n.Prefix == r.Prefix }) {
			r.Lifetime = 0
			out.Routes = append(out.Routes, r)
		}
	}
	for _, p := range old.PREF64 {
		if p.Lifetime != 0 && !slices.ContainsFunc(next.PREF64, func(n config.PREF64) bool { return n.Prefix == p.Prefix }) {
			p.Lifetime = 0
			out.PREF64 = append(out.PREF64, p)
		}
	}
	return out
}

// containsDomain reports whether names holds name, ignoring a trailing dot
// and ASCII case (RFC 4343).
func containsDomain(names []string, name string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return sameDomain(n, name) })
}

// sameDomain reports whether a and b name the same domain.
func sameDomain(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// dnsslChunks packs names into lifetime-0 DNSSL options that each fit
// within maxOptionLen. A name that does not fit even alone is kept in an
// option of its own, for Build to reject with a clear message.
func dnsslChunks(names []string) []config.DNSSL {
	var out []config.DNSSL
	size := maxOptionLen // forces a new option for the first name
	for _, name := range names {
		n := len(strings.TrimSuffix(name, ".")) + 2
		if padded(size+n) > maxOptionLen {
			out = append(out, config.DNSSL{})
			size = 8
		}
		out[len(out)-1].Domains = append(out[len(out)-1].Domains, name)
		size += n
	}
	return out
}
