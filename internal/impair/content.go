package impair

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/ralab/ralab/internal/config"
)

// clone returns a copy of ifc whose slices can be changed without
// touching ifc's.
func clone(ifc config.Interface) config.Interface {
	ifc.Prefixes = slices.Clone(ifc.Prefixes)
	ifc.Routes = slices.Clone(ifc.Routes)
	ifc.RDNSS = slices.Clone(ifc.RDNSS)
	for i := range ifc.RDNSS {
		ifc.RDNSS[i].Servers = slices.Clone(ifc.RDNSS[i].Servers)
	}
	ifc.DNSSL = slices.Clone(ifc.DNSSL)
	for i := range ifc.DNSSL {
		ifc.DNSSL[i].Domains = slices.Clone(ifc.DNSSL[i].Domains)
	}
	ifc.PREF64 = slices.Clone(ifc.PREF64)
	ifc.DHCPv6.DNSServers = slices.Clone(ifc.DHCPv6.DNSServers)
	ifc.DHCPv6.Domains = slices.Clone(ifc.DHCPv6.Domains)
	ifc.DHCPv6.NTPServers = slices.Clone(ifc.DHCPv6.NTPServers)
	return ifc
}

// rdnssLifetimeParams configure rdnss-lifetime (F5).
type rdnssLifetimeParams struct {
	lifetime time.Duration
	dnssl    bool
}

func (p rdnssLifetimeParams) start(time.Time, *rand.Rand) impairment { return &rdnssLifetime{p: p} }

// rdnssLifetime overrides the lifetime of every RDNSS (and optionally
// DNSSL) option, for example below RFC 8106 §5.1's 3 × MaxRtrAdvInterval
// or Android's 120 s floor.
type rdnssLifetime struct {
	base
	p rdnssLifetimeParams
}

func (r *rdnssLifetime) config(_ time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect) {
	if !forRA || len(ifc.RDNSS) == 0 && (!r.p.dnssl || len(ifc.DNSSL) == 0) {
		return ifc, nil
	}
	ifc = clone(ifc)
	var e []Effect
	for i := range ifc.RDNSS {
		if old := ifc.RDNSS[i].Lifetime; old != r.p.lifetime {
			ifc.RDNSS[i].Lifetime = r.p.lifetime
			e = append(e,
				effect(ActionModify, "RDNSS %v lifetime %v sent as %v", ifc.RDNSS[i].Servers, old, r.p.lifetime))
		}
	}
	if r.p.dnssl {
		for i := range ifc.DNSSL {
			if old := ifc.DNSSL[i].Lifetime; old != r.p.lifetime {
				ifc.DNSSL[i].Lifetime = r.p.lifetime
				e = append(e,
					effect(ActionModify, "DNSSL %v lifetime %v sent as %v", ifc.DNSSL[i].Domains, old, r.p.lifetime))
			}
		}
	}
	return ifc, e
}

// rdnssOmitParams configure rdnss-omit (F6).
type rdnssOmitParams struct {
	mode  string
	after time.Duration
	every int
	dnssl bool
}

func (p rdnssOmitParams) start(start time.Time, _ *rand.Rand) impairment {
	return &rdnssOmit{p: p, from: start.Add(p.after)}
}

// rdnssOmit sends RAs without the RDNSS option: always, from a time on,
// or every Nth RA. RFC 4861 §6.2.3 lets a router leave options out of an
// RA; Apple and dhcpcd then drop DNS at once (field guide F6).
type rdnssOmit struct {
	base
	p    rdnssOmitParams
	from time.Time
	n    int
}

func (r *rdnssOmit) config(now time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect) {
	if !forRA {
		return ifc, nil
	}
	r.n++
	var omit bool
	switch r.p.mode {
	case "always":
		omit = true
	case "after":
		omit = !now.Before(r.from)
	case "every":
		omit = r.n%r.p.every == 0
	}
	if !omit || len(ifc.RDNSS) == 0 && (!r.p.dnssl || len(ifc.DNSSL) == 0) {
		return ifc, nil
	}
	ifc = clone(ifc)
	what := "RDNSS"
	ifc.RDNSS = nil
	if r.p.dnssl {
		ifc.DNSSL = nil
		what = "RDNSS and DNSSL"
	}
	return ifc, []Effect{effect(ActionModify, "%s omitted from RA #%d (mode %s)", what, r.n, r.p.mode)}
}

// routerLifetimeParams configure router-lifetime-zero (F7) and
// router-lifetime-short (F8).
type routerLifetimeParams struct {
	lifetime time.Duration
}

func (p routerLifetimeParams) start(time.Time, *rand.Rand) impairment {
	return &routerLifetime{p: p}
}

// routerLifetime overrides the Router Lifetime field.
type routerLifetime struct {
	base
	p routerLifetimeParams
}

func (r *routerLifetime) config(_ time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect) {
	if !forRA || ifc.RouterLifetime == r.p.lifetime {
		return ifc, nil
	}
	old := ifc.RouterLifetime
	ifc.RouterLifetime = r.p.lifetime
	if r.p.lifetime == 0 {
		// RFC 4191 §2.2: with Router Lifetime 0 the preference MUST be 00.
		ifc.Preference = config.Medium
	}
	return ifc, []Effect{effect(ActionModify, "router lifetime %v sent as %v", old, r.p.lifetime)}
}

// noDHCPv6Params configure dhcpv6-absent (F10); it has none.
type noDHCPv6Params struct{}

func (noDHCPv6Params) start(time.Time, *rand.Rand) impairment { return &noDHCPv6{} }

// noDHCPv6 sets the O flag while no DHCPv6 server answers.
type noDHCPv6 struct{ base }

func (noDHCPv6) config(_ time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect) {
	if forRA && ifc.OtherConfig || !forRA && !ifc.DHCPv6.Enabled {
		return ifc, nil
	}
	if !forRA {
		ifc.DHCPv6.Enabled = false
		return ifc, []Effect{effect(ActionModify, "DHCPv6 server off")}
	}
	ifc.OtherConfig = true
	return ifc, []Effect{effect(ActionModify, "O flag set although no DHCPv6 server answers")}
}

func (noDHCPv6) dhcpv6(_ time.Time, peer netip.Addr, reply bool) Decision {
	what := "message from"
	if reply {
		what = "Reply to"
	}
	return Decision{Drop: true,
		Effects: []Effect{effect(ActionDrop, "DHCPv6 %s %s dropped: no server on the link", what, peer)}}
}

// dnsOnlyDHCPv6Params configure dns-only-dhcpv6 (F11); it has none.
type dnsOnlyDHCPv6Params struct{}

func (dnsOnlyDHCPv6Params) start(time.Time, *rand.Rand) impairment { return &dnsOnlyDHCPv6{} }

// dnsOnlyDHCPv6 removes RDNSS and DNSSL from RAs and sets the O flag, so
// that DNS comes only from stateless DHCPv6. The DHCPv6 server must run:
// its configuration is switched on and, when it has no DNS servers of its
// own, given the RDNSS servers.
type dnsOnlyDHCPv6 struct{ base }

func (dnsOnlyDHCPv6) config(_ time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect) {
	ifc = clone(ifc)
	if !forRA {
		var e []Effect
		if !ifc.DHCPv6.Enabled {
			ifc.DHCPv6.Enabled = true
			e = append(e, effect(ActionModify, "DHCPv6 server on"))
		}
		if len(ifc.DHCPv6.DNSServers) == 0 {
			for _, o := range ifc.RDNSS {
				for _, a := range o.Servers {
					if !slices.Contains(ifc.DHCPv6.DNSServers, a) {
						ifc.DHCPv6.DNSServers = append(ifc.DHCPv6.DNSServers, a)
					}
				}
			}
			if len(ifc.DHCPv6.DNSServers) > 0 {
				e = append(e, effect(ActionModify, "DHCPv6 DNS servers %v taken from RDNSS", ifc.DHCPv6.DNSServers))
			}
		}
		return ifc, e
	}
	if len(ifc.RDNSS) == 0 && len(ifc.DNSSL) == 0 && ifc.OtherConfig {
		return ifc, nil
	}
	ifc.RDNSS, ifc.DNSSL, ifc.OtherConfig = nil, nil, true
	return ifc, []Effect{effect(ActionModify, "RDNSS and DNSSL removed, O flag set: DNS only via DHCPv6")}
}

// dnsOnlyRDNSSParams configure dns-only-rdnss (F12); it has none.
type dnsOnlyRDNSSParams struct{}

func (dnsOnlyRDNSSParams) start(time.Time, *rand.Rand) impairment { return &dnsOnlyRDNSS{} }

// dnsOnlyRDNSS makes DHCPv6 answer without DNS servers and search
// domains, so that DNS comes only from RDNSS.
type dnsOnlyRDNSS struct{ base }

func (dnsOnlyRDNSS) config(_ time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect) {
	if forRA || len(ifc.DHCPv6.DNSServers) == 0 && len(ifc.DHCPv6.Domains) == 0 {
		return ifc, nil
	}
	ifc.DHCPv6.DNSServers, ifc.DHCPv6.Domains = nil, nil
	return ifc, []Effect{effect(ActionModify, "DHCPv6 answers without DNS servers and domains: DNS only via RDNSS")}
}

// linkLocalParams configure rdnss-link-local (F14).
type linkLocalParams struct {
	addr    netip.Addr
	replace bool
}

func (p linkLocalParams) start(time.Time, *rand.Rand) impairment { return &linkLocal{p: p} }

// linkLocal advertises a link-local RDNSS address, which RFC 8106 allows
// but older Android rejects.
type linkLocal struct {
	base
	p linkLocalParams
}

func (l *linkLocal) config(_ time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect) {
	if !forRA {
		return ifc, nil
	}
	ifc = clone(ifc)
	if len(ifc.RDNSS) == 0 {
		// RFC 8106 §5.1: the lifetime SHOULD be at least 3 × MaxRtrAdvInterval.
		ifc.RDNSS = []config.RDNSS{{Servers: []netip.Addr{l.p.addr}, Lifetime: 3 * ifc.MaxInterval}}
		return ifc, []Effect{effect(ActionModify, "RDNSS %s added", l.p.addr)}
	}
	o := &ifc.RDNSS[0]
	old := o.Servers
	if l.p.replace {
		o.Servers = []netip.Addr{l.p.addr}
	} else if !slices.Contains(o.Servers, l.p.addr) {
		o.Servers = append([]netip.Addr{l.p.addr}, o.Servers...)
	}
	if slices.Equal(old, o.Servers) {
		return ifc, nil
	}
	return ifc, []Effect{effect(ActionModify, "RDNSS servers %v sent as %v", old, o.Servers)}
}

// manyServersParams configure dns-servers-many (F16).
type manyServersParams struct {
	count   int
	servers []netip.Addr
	dhcpv6  bool
}

func (p manyServersParams) start(time.Time, *rand.Rand) impairment { return &manyServers{p: p} }

// manyServers advertises more DNS servers than glibc, rdnssd and Android
// use (three).
type manyServers struct {
	base
	p manyServersParams
}

// extend returns list grown to count servers: first from extra, then
// from the addresses following the last one.
func extend(list []netip.Addr, count int, extra []netip.Addr) []netip.Addr {
	out := slices.Clone(list)
	for _, a := range extra {
		if len(out) >= count {
			return out
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return out
	}
	next := out[len(out)-1]
	for len(out) < count {
		next = next.Next()
		if !next.IsValid() {
			break
		}
		if !slices.Contains(out, next) {
			out = append(out, next)
		}
	}
	return out
}

func (m *manyServers) config(_ time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect) {
	ifc = clone(ifc)
	if !forRA {
		if !m.p.dhcpv6 || len(ifc.DHCPv6.DNSServers) >= m.p.count {
			return ifc, nil
		}
		old := ifc.DHCPv6.DNSServers
		ifc.DHCPv6.DNSServers = extend(old, m.p.count, m.p.servers)
		return ifc, []Effect{effect(ActionModify, "DHCPv6 DNS servers %v sent as %v", old, ifc.DHCPv6.DNSServers)}
	}
	if len(ifc.RDNSS) == 0 || len(ifc.RDNSS[0].Servers) >= m.p.count {
		return ifc, nil
	}
	old := ifc.RDNSS[0].Servers
	ifc.RDNSS[0].Servers = extend(old, m.p.count, m.p.servers)
	return ifc, []Effect{effect(ActionModify, "RDNSS servers %v sent as %v", old, ifc.RDNSS[0].Servers)}
}

// pref64Params configure pref64 (F17).
type pref64Params struct {
	mode     string
	lifetime time.Duration
	prefix   netip.Prefix
}

func (p pref64Params) start(time.Time, *rand.Rand) impairment { return &pref64{p: p} }

// pref64 sends the NAT64 prefix with a short lifetime, or withdraws it
// (lifetime 0, RFC 8781 §4).
type pref64 struct {
	base
	p pref64Params
}

func (p *pref64) config(_ time.Time, ifc config.Interface, forRA bool) (config.Interface, []Effect) {
	if !forRA {
		return ifc, nil
	}
	lt := p.p.lifetime
	if p.p.mode == "withdraw" {
		lt = 0
	}
	ifc = clone(ifc)
	if len(ifc.PREF64) == 0 {
		ifc.PREF64 = []config.PREF64{{Prefix: p.p.prefix, Lifetime: lt}}
		return ifc, []Effect{effect(ActionModify, "PREF64 %s added with lifetime %v", p.p.prefix, lt)}
	}
	var e []Effect
	for i := range ifc.PREF64 {
		if old := ifc.PREF64[i].Lifetime; old != lt {
			ifc.PREF64[i].Lifetime = lt
			e = append(e, effect(ActionModify, "PREF64 %s lifetime %v sent as %v", ifc.PREF64[i].Prefix, old, lt))
		}
	}
	return ifc, e
}
