package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/internal/dnsname"
	"github.com/ralab/ralab/internal/ra/limits"
)

// intervals validates max_interval and min_interval.
func (v *validator) intervals(p keyPath, r *rawInterface, ifc *Interface) {
	ifc.MaxInterval = DefaultMaxInterval
	if r.MaxInterval != nil {
		spec := durationSpec{allowed: fmt.Sprintf("must be %s to %s (RFC 4861 §6.2.1, RFC 8319 §4)",
			secs(MinMaxInterval), secs(MaxMaxInterval))}
		if d, _, ok := v.parseDuration(p.key("max_interval"), *r.MaxInterval, spec); ok {
			if d < MinMaxInterval || d > MaxMaxInterval {
				v.fail(p.key("max_interval"), quote(string(*r.MaxInterval)), ErrOutOfRange, "%s", spec.allowed)
			} else {
				ifc.MaxInterval = d
			}
		}
	}
	maxInt := ifc.MaxInterval
	ifc.MinInterval = autoMinInterval(maxInt)
	if r.MinInterval != nil {
		hi := maxInt * 3 / 4
		spec := durationSpec{auto: true,
			allowed: fmt.Sprintf(`must be "auto" or %s to 0.75 × max_interval (%s) (RFC 4861 §6.2.1)`,
				secs(MinMinInterval), secs(hi))}
		d, kind, ok := v.parseDuration(p.key("min_interval"), *r.MinInterval, spec)
		if ok && kind == durationValue {
			if d < MinMinInterval || d > hi {
				v.fail(p.key("min_interval"), quote(string(*r.MinInterval)), ErrOutOfRange, "%s", spec.allowed)
			} else {
				ifc.MinInterval = d
			}
		}
	}
}

// routerLifetime validates router_lifetime and preference.
func (v *validator) routerLifetime(p keyPath, r *rawInterface, ifc *Interface) {
	maxInt := ifc.MaxInterval
	ifc.RouterLifetime = autoRouterLifetime(maxInt)
	if r.RouterLifetime != nil {
		spec := durationSpec{auto: true, unit: time.Second, allowed: fmt.Sprintf(
			`must be "auto", 0 (not a default router) or max_interval (%s) to %s; the 16-bit field has no "infinite" (RFC 4861 §6.2.1, RFC 8319 §4)`,
			secs(maxInt), secs(MaxRouterLifetime))}
		d, kind, ok := v.parseDuration(p.key("router_lifetime"), *r.RouterLifetime, spec)
		if ok && kind == durationValue {
			if d != 0 && (d < maxInt || d > MaxRouterLifetime) {
				v.fail(p.key("router_lifetime"), quote(string(*r.RouterLifetime)), ErrOutOfRange, "%s", spec.allowed)
			} else {
				ifc.RouterLifetime = d
			}
		}
	}
	if r.Preference != nil {
		pref, ok := v.preference(p.key("preference"), *r.Preference)
		switch {
		case !ok:
		case pref != Medium && ifc.RouterLifetime == 0:
			v.fail(p.key("preference"), quote(*r.Preference), ErrInvalidValue,
				`must be "medium" when router_lifetime is 0 (RFC 4191 §2.2)`)
		default:
			ifc.Preference = pref
		}
	}
}

// preference parses "low", "medium" or "high".
func (v *validator) preference(p keyPath, s string) (Preference, bool) {
	switch s {
	case "low":
		return Low, true
	case "medium":
		return Medium, true
	case "high":
		return High, true
	}
	v.fail(p, quote(s), ErrInvalidValue, `must be "low", "medium" or "high" (RFC 4191 §2.1)`)
	return Medium, false
}

// lifetime32 validates a 32-bit seconds lifetime that may be "infinite",
// and "auto" when auto is not zero.
func (v *validator) lifetime32(p keyPath, raw *durationText, def, auto time.Duration) time.Duration {
	if raw == nil {
		return def
	}
	spec := durationSpec{infinite: true, auto: auto != 0, unit: time.Second,
		allowed: `must be "infinite" or 0 to 4294967295s (RFC 4861 §4.6.2, RFC 4191 §2.3)`}
	if auto != 0 {
		spec.allowed = fmt.Sprintf(`must be "auto" (%s), "infinite" or 0 to 4294967295s (RFC 4191 §2.3)`, secs(auto))
	}
	d, kind, ok := v.parseDuration(p, *raw, spec)
	switch {
	case !ok:
		return def
	case kind == durationAuto:
		return auto
	case d > Infinite:
		v.fail(p, quote(string(*raw)), ErrOutOfRange, "%s", spec.allowed)
		return def
	}
	return d
}

// ipv6Prefix parses an IPv6 prefix without host bits.
func (v *validator) ipv6Prefix(p keyPath, s string) (netip.Prefix, bool) {
	pfx, err := netip.ParsePrefix(s)
	if err != nil || !pfx.Addr().Is6() || pfx.Addr().Is4In6() {
		v.fail(p, quote(s), ErrInvalidValue, `must be an IPv6 prefix in CIDR notation, such as "2001:db8:1::/64"`)
		return netip.Prefix{}, false
	}
	if m := pfx.Masked(); m != pfx {
		v.fail(p, quote(s), ErrInvalidValue, "has bits set after the prefix length; did you mean %q?", m.String())
		return netip.Prefix{}, false
	}
	return pfx, true
}

// prefix validates one [[interface.prefix]] table.
func (v *validator) prefix(p keyPath, r *rawPrefix) (Prefix, bool) {
	x := Prefix{OnLink: true, Autonomous: true}
	setBool(&x.OnLink, r.OnLink)
	setBool(&x.Autonomous, r.Autonomous)
	ok := false
	if r.Prefix == nil {
		v.missing(p.key("prefix"), `prefix = "2001:db8:1::/64"`)
	} else if pfx, good := v.ipv6Prefix(p.key("prefix"), *r.Prefix); good {
		switch {
		case pfx.Addr().IsLinkLocalUnicast() || pfx.Addr().IsMulticast():
			v.fail(p.key("prefix"), quote(*r.Prefix), ErrInvalidValue,
				"must not be link-local (fe80::/10) or multicast (ff00::/8): hosts ignore it (RFC 4861 §6.3.4, RFC 4862 §5.5.3)")
		case x.Autonomous && pfx.Bits() != 64:
			v.fail(p.key("prefix"), quote(*r.Prefix), ErrInvalidValue,
				"autonomous = true needs a /64: SLAAC appends a 64-bit interface identifier (RFC 4862 §5.5.3, RFC 4291 §2.5.1); use a /64 or set autonomous = false")
		default:
			x.Prefix = pfx
			ok = true
		}
	}
	x.ValidLifetime = v.lifetime32(p.key("valid_lifetime"), r.ValidLifetime, defaultValidLifetime, 0)
	x.PreferredLifetime = v.lifetime32(p.key("preferred_lifetime"), r.PreferredLifetime, defaultPreferredLifetime, 0)
	if x.PreferredLifetime > x.ValidLifetime {
		if r.PreferredLifetime != nil {
			valid := secs(x.ValidLifetime)
			switch {
			case x.ValidLifetime == Infinite:
				valid = `"infinite"`
			case r.ValidLifetime == nil:
				valid = "default " + valid
			}
			v.fail(p.key("preferred_lifetime"), quote(string(*r.PreferredLifetime)), ErrOutOfRange,
				"must not exceed valid_lifetime (%s) (RFC 4861 §4.6.2)", valid)
		} else {
			v.fail(p.key("valid_lifetime"), quote(string(*r.ValidLifetime)), ErrOutOfRange,
				"must not be below preferred_lifetime (default %s); set preferred_lifetime too (RFC 4861 §4.6.2)",
				secs(x.PreferredLifetime))
		}
	}
	return x, ok
}

// route validates one [[interface.route]] table.
func (v *validator) route(p keyPath, r *rawRoute, maxInt time.Duration) (Route, bool) {
	var x Route
	ok := false
	if r.Prefix == nil {
		v.missing(p.key("prefix"), `prefix = "2001:db8:2::/48"`)
	} else if pfx, good := v.ipv6Prefix(p.key("prefix"), *r.Prefix); good {
		x.Prefix = pfx
		ok = true
	}
	if r.Preference != nil {
		x.Preference, _ = v.preference(p.key("preference"), *r.Preference)
	}
	auto := ceilSeconds(3 * maxInt)
	x.Lifetime = v.lifetime32(p.key("lifetime"), r.Lifetime, auto, auto)
	return x, ok
}

// dnsLifetime validates an RDNSS or DNSSL lifetime. "auto" is
// 3 × max_interval, the least RFC 8106 §5.1 recommends; below
// max_interval the option would expire between two RAs.
func (v *validator) dnsLifetime(p keyPath, raw *durationText, maxInt time.Duration) time.Duration {
	rec := ceilSeconds(3 * maxInt)
	if raw == nil {
		return rec
	}
	spec := durationSpec{auto: true, infinite: true, unit: time.Second, allowed: fmt.Sprintf(
		`must be "auto", "infinite", 0 or at least max_interval (%s); RFC 8106 §5.1 recommends at least 3 × max_interval (%s)`,
		secs(maxInt), secs(rec))}
	d, kind, ok := v.parseDuration(p, *raw, spec)
	switch {
	case !ok || kind == durationAuto:
		return rec
	case kind == durationInfinite:
		return Infinite
	case d > Infinite || d != 0 && d < maxInt:
		v.fail(p, quote(string(*raw)), ErrOutOfRange, "%s", spec.allowed)
		return rec
	case d != 0 && d < rec:
		v.warn(p, quote(string(*raw)),
			"shorter than RFC 8106 §5.1 recommends (3 × max_interval = %s): one lost RA can let it expire", secs(rec))
	}
	return d
}

// addresses validates a list of unicast IPv6 server addresses; ra says
// the list goes into an RDNSS option.
func (v *validator) addresses(p keyPath, list []string, ra bool) []netip.Addr {
	var out []netip.Addr
	for i, s := range list {
		ep := p.index(i)
		a, err := netip.ParseAddr(s)
		switch {
		case err != nil || !a.Is6():
			v.fail(ep, quote(s), ErrInvalidValue, `must be an IPv6 address, such as "2001:db8::53"`)
		case a.Is4In6():
			v.fail(ep, quote(s), ErrInvalidValue, "must be an IPv6 address, not IPv4-mapped")
		case a.Zone() != "":
			v.fail(ep, quote(s), ErrInvalidValue, "must not have a zone: the address is used on this interface")
		case a.IsUnspecified() || a.IsLoopback() || a.IsMulticast():
			v.fail(ep, quote(s), ErrInvalidValue,
				"must be a unicast address, not unspecified (::), loopback (::1) or multicast")
		case contains(out, a):
			v.fail(ep, quote(s), ErrDuplicate, "is listed twice")
		default:
			if ra && a.IsLinkLocalUnicast() {
				v.warn(ep, quote(s),
					"link-local server: clients can reach it only on this link, and some resolvers ignore link-local RDNSS")
			}
			out = append(out, a)
		}
	}
	return out
}

func contains[T comparable](list []T, x T) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

// rdnss validates one [[interface.rdnss]] table.
func (v *validator) rdnss(p keyPath, r *rawRDNSS, maxInt time.Duration) RDNSS {
	var x RDNSS
	sp := p.key("servers")
	switch {
	case r.Servers == nil:
		v.missing(sp, `servers = ["2001:db8::53"]`)
	case len(*r.Servers) == 0:
		v.fail(sp, "[]", ErrInvalidValue, "must list at least one server (RFC 8106 §5.1)")
	case len(*r.Servers) > limits.MaxRDNSSServers:
		v.fail(sp, stringList(*r.Servers), ErrOutOfRange,
			"lists %d servers; one RDNSS option holds at most %d (8 + 16 × n bytes must stay under %d, which mdlayher/ndp cannot encode): split them over several [[interface.rdnss]]",
			len(*r.Servers), limits.MaxRDNSSServers, ndpOptionBytes)
	default:
		x.Servers = v.addresses(sp, *r.Servers, true)
	}
	x.Lifetime = v.dnsLifetime(p.key("lifetime"), r.Lifetime, maxInt)
	return x
}

// stringList renders a list of strings as TOML, shortened for messages.
func stringList(list []string) string {
	a := make([]any, len(list))
	for i, s := range list {
		a[i] = s
	}
	return EchoValue(a)
}

// domains validates search domains and strips one trailing dot from each
// (mdlayher/ndp mis-encodes names that end in a dot).
func (v *validator) domains(p keyPath, list []string) []string {
	var out []string
	for i, s := range list {
		d := strings.TrimSuffix(s, ".")
		if reason := domainProblem(d); reason != "" {
			v.fail(p.index(i), quote(s), ErrInvalidValue, "%s", reason)
			continue
		}
		if contains(out, d) {
			v.fail(p.index(i), quote(s), ErrDuplicate, "is listed twice")
			continue
		}
		out = append(out, d)
	}
	return out
}

// domainProblem says what is wrong with the domain name d (no trailing
// dot), or returns "" if it is a valid host name (dnsname.CheckHost).
func domainProblem(d string) string {
	err := dnsname.CheckHost(d)
	he, ok := errors.AsType[*dnsname.HostError](err)
	if !ok {
		return ""
	}
	switch he.Problem {
	case dnsname.HostEmpty:
		return "must be a domain name such as \"lab.example\", not empty or the root"
	case dnsname.HostTooLong:
		return fmt.Sprintf("is %d characters long; a domain name has at most %d (RFC 1035 §2.3.4)",
			len(d), dnsname.MaxTextLen)
	case dnsname.HostLabelLen:
		return fmt.Sprintf("each label (between dots) must be 1 to %d characters long (RFC 1035 §2.3.4)",
			dnsname.MaxLabelLen)
	case dnsname.HostHyphen:
		return fmt.Sprintf("label %s must not start or end with a hyphen (RFC 1123 §2.1)", quote(he.Label))
	default:
		return fmt.Sprintf("label %s may hold only letters, digits and hyphens (RFC 1123 §2.1; write IDNs as xn-- A-labels)", quote(he.Label))
	}
}

// dnssl validates one [[interface.dnssl]] table.
func (v *validator) dnssl(p keyPath, r *rawDNSSL, maxInt time.Duration) DNSSL {
	var x DNSSL
	dp := p.key("domains")
	switch {
	case r.Domains == nil:
		v.missing(dp, `domains = ["lab.example"]`)
	case len(*r.Domains) == 0:
		v.fail(dp, "[]", ErrInvalidValue, "must list at least one domain (RFC 8106 §5.2)")
	default:
		x.Domains = v.domains(dp, *r.Domains)
		n := 0
		for _, d := range x.Domains {
			n += dnsname.WireLen(d)
		}
		if n > limits.MaxDNSSLNameBytes {
			v.fail(dp, stringList(*r.Domains), ErrOutOfRange,
				"encode to %d bytes; one DNSSL option holds at most %d bytes of names (the option must stay under %d bytes, which mdlayher/ndp cannot encode): split them over several [[interface.dnssl]]",
				n, limits.MaxDNSSLNameBytes, ndpOptionBytes)
		}
	}
	x.Lifetime = v.dnsLifetime(p.key("lifetime"), r.Lifetime, maxInt)
	return x
}

// pref64 validates one [[interface.pref64]] table.
func (v *validator) pref64(p keyPath, r *rawPREF64, maxInt time.Duration) (PREF64, bool) {
	var x PREF64
	ok := false
	if r.Prefix == nil {
		v.missing(p.key("prefix"), `prefix = "64:ff9b::/96"`)
	} else if pfx, good := v.ipv6Prefix(p.key("prefix"), *r.Prefix); good {
		if _, good := limits.PREF64Code(pfx.Bits()); good {
			x.Prefix = pfx
			ok = true
		} else {
			v.fail(p.key("prefix"), quote(*r.Prefix), ErrInvalidValue,
				"prefix length must be 96, 64, 56, 48, 40 or 32 (RFC 8781 §4, RFC 6052 §2.2)")
		}
	}
	auto := autoPREF64Lifetime(maxInt)
	x.Lifetime = auto
	if r.Lifetime != nil {
		lo := min(ceilUnit(maxInt, limits.PREF64Unit), MaxPREF64Lifetime)
		spec := durationSpec{auto: true, unit: limits.PREF64Unit, allowed: fmt.Sprintf(
			`must be "auto" (%s), 0, or a multiple of 8s from %s (max_interval rounded up to 8s) to %s; the field has no "infinite" (RFC 8781 §4)`,
			secs(auto), secs(lo), secs(MaxPREF64Lifetime))}
		d, kind, ok := v.parseDuration(p.key("lifetime"), *r.Lifetime, spec)
		if ok && kind == durationValue {
			if d != 0 && (d < lo || d > MaxPREF64Lifetime) {
				v.fail(p.key("lifetime"), quote(string(*r.Lifetime)), ErrOutOfRange, "%s", spec.allowed)
			} else {
				x.Lifetime = d
			}
		}
	}
	return x, ok
}

// captivePortal validates a captive portal API URI (RFC 8910 §2) of at
// most maxLen bytes; why explains maxLen.
func (v *validator) captivePortal(p keyPath, s string, maxLen int, why string) string {
	if s == "" || s == capportUnrestricted {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		v.fail(p, quote(s), ErrInvalidValue,
			`must be an https URI such as "https://portal.example/api" (RFC 8908 §4), %q, or "" for none (RFC 8910 §2)`,
			capportUnrestricted)
		return ""
	}
	if len(s) > maxLen {
		v.fail(p, quote(s), ErrOutOfRange, "is %d bytes long; at most %d fit: %s", len(s), maxLen, why)
		return ""
	}
	if _, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
		v.warn(p, quote(s), "the URI SHOULD NOT contain an IP address literal (RFC 8910 §2)")
	}
	return s
}

// dhcpv6 validates the [interface.dhcpv6] table; DNS servers, domains and
// the captive portal default to the interface's RA values.
func (v *validator) dhcpv6(p keyPath, r *rawDHCPv6, ifc *Interface) DHCPv6 {
	x := dhcpv6Defaults(ifc)
	if r == nil {
		return x
	}
	setBool(&x.Enabled, r.Enabled)
	override := r.LabOverride != nil && *r.LabOverride
	if r.DNSServers != nil {
		x.DNSServers = v.addresses(p.key("dns_servers"), *r.DNSServers, false)
	}
	if r.Domains != nil {
		x.Domains = v.domains(p.key("domains"), *r.Domains)
	}
	if r.NTPServers != nil {
		x.NTPServers = v.addresses(p.key("ntp_servers"), *r.NTPServers, false)
	}
	if r.InformationRefreshTime != nil {
		x.InformationRefreshTime = v.refreshTime(p.key("information_refresh_time"), *r.InformationRefreshTime, override)
	}
	if r.SolMaxRT != nil {
		x.SolMaxRT = v.maxRT(p.key("sol_max_rt"), *r.SolMaxRT, override, "RFC 8415 §21.24")
	}
	if r.InfMaxRT != nil {
		x.InfMaxRT = v.maxRT(p.key("inf_max_rt"), *r.InfMaxRT, override, "RFC 8415 §21.25")
	}
	if r.CaptivePortal != nil {
		x.CaptivePortal = v.captivePortal(p.key("captive_portal"), *r.CaptivePortal, maxDHCPv6CaptivePortalBytes,
			"the DHCPv6 option length is 16 bits (RFC 8415 §21.1)")
	}
	if r.DUID != nil {
		x.DUID = v.duid(p.key("duid"), r.DUID)
	}
	v.dhcpv6Policies(p, r, &x)
	v.totalLimit(p, r, &x)
	return x
}

// dhcpv6Defaults returns the DHCPv6 configuration of ifc before its
// [interface.dhcpv6] table: the RA's DNS servers, domains and captive
// portal, a DUID-LL and the default policies and limits.
func dhcpv6Defaults(ifc *Interface) DHCPv6 {
	x := DHCPv6{
		CaptivePortal:  ifc.CaptivePortal,
		DUID:           DUID{Type: DUIDLL},
		OptionPolicy:   PolicyIncludeDNS,
		Solicit:        SolicitNoAddrsAvail,
		RatePerClient:  defaultRatePerClient,
		BurstPerClient: defaultBurstPerClient,
		RateTotal:      defaultRateTotal,
		BurstTotal:     defaultBurstTotal,
	}
	for _, o := range ifc.RDNSS {
		for _, a := range o.Servers {
			if !contains(x.DNSServers, a) {
				x.DNSServers = append(x.DNSServers, a)
			}
		}
	}
	for _, o := range ifc.DNSSL {
		for _, d := range o.Domains {
			if !contains(x.Domains, d) {
				x.Domains = append(x.Domains, d)
			}
		}
	}
	return x
}

// dhcpv6Policies validates option_policy, solicit and the per-client
// rate limit of [interface.dhcpv6].
func (v *validator) dhcpv6Policies(p keyPath, r *rawDHCPv6, x *DHCPv6) {
	if r.OptionPolicy != nil {
		switch pol := OptionPolicy(*r.OptionPolicy); pol {
		case PolicyIncludeDNS, PolicyStrict:
			x.OptionPolicy = pol
		default:
			v.fail(p.key("option_policy"), quote(*r.OptionPolicy), ErrInvalidValue,
				`must be %q (DNS options even without an ORO) or %q (only what the ORO asks for)`,
				PolicyIncludeDNS, PolicyStrict)
		}
	}
	if r.Solicit != nil {
		switch pol := SolicitPolicy(*r.Solicit); pol {
		case SolicitNoAddrsAvail, SolicitIgnore:
			x.Solicit = pol
		default:
			v.fail(p.key("solicit"), quote(*r.Solicit), ErrInvalidValue,
				`must be %q (RFC 8415 §18.3.1: answer with status NoAddrsAvail) or %q`,
				SolicitNoAddrsAvail, SolicitIgnore)
		}
	}
	if r.RatePerClient != nil {
		if f := *r.RatePerClient; !(f > 0 && f <= maxRatePerClient) {
			v.fail(p.key("rate_per_client"), strconv.FormatFloat(f, 'g', -1, 64), ErrOutOfRange,
				"must be more than 0 and at most %d messages per second", int(maxRatePerClient))
		} else {
			x.RatePerClient = f
		}
	}
	if r.BurstPerClient != nil {
		if n := *r.BurstPerClient; n < 1 || n > maxBurstPerClient {
			v.fail(p.key("burst_per_client"), strconv.FormatInt(n, 10), ErrOutOfRange,
				"must be 1 to %d messages", maxBurstPerClient)
		} else {
			x.BurstPerClient = int(n)
		}
	}
}

// totalLimit validates rate_total and burst_total, the interface-wide cap
// on DHCPv6 messages.
func (v *validator) totalLimit(p keyPath, r *rawDHCPv6, x *DHCPv6) {
	if r.RateTotal != nil {
		if f := *r.RateTotal; !(f >= 0 && f <= maxRateTotal) {
			v.fail(p.key("rate_total"), strconv.FormatFloat(f, 'g', -1, 64), ErrOutOfRange,
				"must be 0 (no cap) to %d messages per second", int(maxRateTotal))
		} else {
			x.RateTotal = f
		}
	}
	if r.BurstTotal != nil {
		if n := *r.BurstTotal; n < 1 || n > maxBurstTotal {
			v.fail(p.key("burst_total"), strconv.FormatInt(n, 10), ErrOutOfRange,
				"must be 1 to %d messages", maxBurstTotal)
		} else {
			x.BurstTotal = int(n)
		}
	}
}

// refreshTime validates information_refresh_time (option 32).
func (v *validator) refreshTime(p keyPath, raw durationText, override bool) time.Duration {
	spec := durationSpec{infinite: true, unit: time.Second, allowed: fmt.Sprintf(
		`must be "infinite", 0 (omit the option) or %s to 4294967295s (IRT_MINIMUM, RFC 8415 §21.23); set lab_override = true to send smaller values`, secs(irtMinimum))}
	if override {
		spec.allowed = `must be "infinite" or 0 (omit the option) to 4294967295s`
	}
	d, _, ok := v.parseDuration(p, raw, spec)
	if !ok {
		return 0
	}
	if d > Infinite || !override && d != 0 && d < irtMinimum {
		v.fail(p, quote(string(raw)), ErrOutOfRange, "%s", spec.allowed)
		return 0
	}
	return d
}

// maxRT validates sol_max_rt or inf_max_rt (options 82 and 83).
func (v *validator) maxRT(p keyPath, raw durationText, override bool, rfc string) time.Duration {
	spec := durationSpec{unit: time.Second, allowed: fmt.Sprintf(
		"must be 0 (omit the option) or %s to %s (%s); set lab_override = true to send other values",
		secs(minMaxRT), secs(maxMaxRT), rfc)}
	if override {
		spec.allowed = "must be 0 (omit the option) to 4294967295s"
	}
	d, _, ok := v.parseDuration(p, raw, spec)
	if !ok {
		return 0
	}
	if d > Infinite || !override && d != 0 && (d < minMaxRT || d > maxMaxRT) {
		v.fail(p, quote(string(raw)), ErrOutOfRange, "%s", spec.allowed)
		return 0
	}
	return d
}

// duid validates the duid table of [interface.dhcpv6].
func (v *validator) duid(p keyPath, r *rawDUID) DUID {
	x := DUID{Type: DUIDLL}
	if r.Type == nil {
		v.missing(p.key("type"), `type = "ll"`)
		return x
	}
	t := DUIDType(*r.Type)
	switch t {
	case DUIDLL, DUIDLLT, DUIDEN, DUIDUUID:
		x.Type = t
	default:
		v.fail(p.key("type"), quote(*r.Type), ErrInvalidValue,
			`must be "ll", "llt", "en" or "uuid" (RFC 8415 §11, RFC 6355)`)
		return x
	}
	// only rejects a key that the DUID type does not use.
	only := func(key string, present bool, want DUIDType) bool {
		if present && t != want {
			v.fail(p.key(key), "", ErrInvalidValue, "applies only to type = %q, not %q", want, t)
			return false
		}
		return present
	}
	if only("time", r.Time != nil, DUIDLLT) {
		if n := *r.Time; n < 0 || n > math.MaxUint32 {
			v.fail(p.key("time"), strconv.FormatInt(n, 10), ErrOutOfRange,
				"must be 0 to 4294967295 seconds since 2000-01-01 UTC (RFC 8415 §11.2)")
		} else {
			x.Time = uint32(n)
		}
	}
	if only("enterprise_number", r.EnterpriseNumber != nil, DUIDEN) {
		if n := *r.EnterpriseNumber; n < 0 || n > math.MaxUint32 {
			v.fail(p.key("enterprise_number"), strconv.FormatInt(n, 10), ErrOutOfRange,
				"must be 0 to 4294967295 (RFC 8415 §11.3)")
		} else {
			x.EnterpriseNumber = uint32(n)
		}
	}
	if only("identifier", r.Identifier != nil, DUIDEN) {
		b, err := hex.DecodeString(strings.ReplaceAll(*r.Identifier, ":", ""))
		if err != nil || len(b) == 0 || len(b) > maxDUIDBytes-4 {
			v.fail(p.key("identifier"), quote(*r.Identifier), ErrInvalidValue,
				`must be 1 to %d hex bytes, such as "0a1b2c" or "0a:1b:2c" (RFC 8415 §11.1 caps a DUID at %d bytes)`,
				maxDUIDBytes-4, maxDUIDBytes)
		} else {
			x.Identifier = b
		}
	}
	if only("uuid", r.UUID != nil, DUIDUUID) {
		if u, ok := parseUUID(*r.UUID); ok {
			x.UUID = u
		} else {
			v.fail(p.key("uuid"), quote(*r.UUID), ErrInvalidValue,
				`must be a UUID such as "f81d4fae-7dec-11d0-a765-00a0c91e6bf6" (RFC 9562 §4)`)
		}
	}
	switch {
	case t == DUIDEN && r.EnterpriseNumber == nil:
		v.missing(p.key("enterprise_number"), "enterprise_number = 32473")
	case t == DUIDEN && r.Identifier == nil:
		v.missing(p.key("identifier"), `identifier = "0a1b2c"`)
	case t == DUIDUUID && r.UUID == nil:
		v.missing(p.key("uuid"), `uuid = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"`)
	}
	return x
}

// parseUUID parses the 8-4-4-4-12 hex form of a UUID, or 32 hex digits.
func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) == 36 {
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return u, false
		}
		s = s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	if len(s) != 32 {
		return u, false
	}
	if _, err := hex.Decode(u[:], []byte(s)); err != nil {
		return u, false
	}
	return u, true
}
