package config

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/internal/ra/limits"
)

// Defaults and limits taken from the RFCs; each names its source. The
// limits of RA fields and options are package limits' (internal/ra/limits), which
// package ra enforces on the wire.
const (
	// ndpOptionBytes is the first NDP option size mdlayher/ndp cannot
	// encode: it computes the byte length in a uint8.
	ndpOptionBytes = limits.MaxOptionLen + 8
	// defaultHopLimit is the Cur Hop Limit ralab advertises by default, the
	// IANA default IPv6 hop limit (RFC 8200 §3, as radvd and CoreRAD).
	defaultHopLimit = 64
	// rfc4861MaxRouterLifetime is the upper bound of AdvDefaultLifetime in
	// RFC 4861 §6.2.1, which ralab's "auto" keeps to for old hosts.
	rfc4861MaxRouterLifetime = 9000 * time.Second
	// autoMinIntervalThreshold is where RFC 4861 §6.2.1's default
	// MinRtrAdvInterval becomes 0.33 × MaxRtrAdvInterval (below it, 0.75 ×).
	autoMinIntervalThreshold = 9 * time.Second
	// defaultValidLifetime is AdvValidLifetime's default (RFC 4861 §6.2.1).
	defaultValidLifetime = 2592000 * time.Second
	// defaultPreferredLifetime is AdvPreferredLifetime's default
	// (RFC 4861 §6.2.1).
	defaultPreferredLifetime = 604800 * time.Second
	// maxMTU is the largest MTU option ralab accepts.
	maxMTU = 65535
	// maxDHCPv6CaptivePortalBytes is the longest URI a 16-bit DHCPv6
	// option length carries (RFC 8415 §21.1).
	maxDHCPv6CaptivePortalBytes = math.MaxUint16
	// irtMinimum is IRT_MINIMUM (RFC 8415 §7.6, §21.23).
	irtMinimum = 600 * time.Second
	// minMaxRT and maxMaxRT bound SOL_MAX_RT and INF_MAX_RT
	// (RFC 8415 §21.24, §21.25).
	minMaxRT = 60 * time.Second
	maxMaxRT = 86400 * time.Second
	// defaultRatePerClient and defaultBurstPerClient bound the messages
	// answered per client address.
	defaultRatePerClient  = 10
	defaultBurstPerClient = 20
	// maxRatePerClient and maxBurstPerClient keep the limiter sane.
	maxRatePerClient  = 1e6
	maxBurstPerClient = 1000000
	// defaultRateTotal and defaultBurstTotal are the interface-wide DHCPv6
	// cap: 10,000 clients of a large lab VLAN all asking again within the
	// same second (a controller reboot) are answered at once, while a
	// flood costs a bounded share of one core.
	defaultRateTotal  = 10000
	defaultBurstTotal = 10000
	// maxRateTotal and maxBurstTotal keep the interface-wide limiter sane.
	maxRateTotal  = 1e7
	maxBurstTotal = 10000000
	// maxDUIDBytes is the longest DUID after its type code (RFC 8415 §11.1).
	maxDUIDBytes = 128
	// capportUnrestricted is the URI meaning "no captive portal"
	// (RFC 8910 §2).
	capportUnrestricted = "urn:ietf:params:capport:unrestricted"
	// maxIfNameLen is IFNAMSIZ - 1 (Linux include/uapi/linux/if.h).
	maxIfNameLen = 15
)

// validator converts the raw structs to a Config, collecting problems.
type validator struct {
	file  string
	lines map[string]int
	errs  Problems
	warns Problems
	// failed holds the paths that already have a problem, so that a value
	// of the wrong type is not also reported as missing.
	failed map[string]bool
}

// line returns the line of p or of its nearest recorded parent.
func (v *validator) line(p keyPath) int {
	for q := p; len(q) > 0; q = q[:len(q)-1] {
		if l, ok := v.lines[q.String()]; ok {
			return l
		}
	}
	return 0
}

// problem builds the *Error for a problem with the value at p. value is
// already cut short by quote or tomlValue; shortening it and the key path
// once more bounds any message, whatever the file holds.
func (v *validator) problem(p keyPath, value string, sentinel error, format string, args ...any) *Error {
	return &Error{
		File:   v.file,
		Line:   v.line(p),
		Key:    shorten(p.String(), maxEchoKey),
		Value:  shorten(value, maxEchoKey),
		Reason: fmt.Sprintf(format, args...),
		Err:    sentinel,
	}
}

// fail records a problem with the value at p.
func (v *validator) fail(p keyPath, value string, sentinel error, format string, args ...any) {
	v.failed[p.String()] = true
	v.errs.Add(v.problem(p, value, sentinel, format, args...))
}

// warn records a note about an allowed but questionable value at p.
func (v *validator) warn(p keyPath, value string, format string, args ...any) {
	v.warns.Add(v.problem(p, value, nil, format, args...))
}

// missing records that the required key at p is absent.
func (v *validator) missing(p keyPath, example string) {
	if v.failed[p.String()] {
		return
	}
	v.fail(p, "", ErrMissingKey, "required key is missing; for example %s", example)
}

// secs formats d for messages: whole seconds as "600s", otherwise Go's form.
func secs(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// durationKind says how a duration was written.
type durationKind int

const (
	durationValue durationKind = iota
	durationAuto
	durationInfinite
)

// durationSpec says what a duration key accepts, for parseDuration.
type durationSpec struct {
	// auto and infinite allow those words.
	auto, infinite bool
	// unit is the resolution of the wire field: a value must be a whole
	// multiple of it.
	unit time.Duration
	// allowed says what the key accepts, appended to messages.
	allowed string
}

// parseDuration parses raw at p. ok is false when a problem was recorded.
func (v *validator) parseDuration(p keyPath, raw durationText,
	spec durationSpec) (d time.Duration, kind durationKind, ok bool) {
	val := quote(string(raw))
	switch raw {
	case "auto":
		if spec.auto {
			return 0, durationAuto, true
		}
		v.fail(p, val, ErrInvalidValue, "%s", spec.allowed)
		return 0, 0, false
	case "infinite":
		if spec.infinite {
			return Infinite, durationInfinite, true
		}
		v.fail(p, val, ErrInvalidValue, "%s", spec.allowed)
		return 0, 0, false
	}
	d, err := time.ParseDuration(string(raw))
	if err != nil {
		hint := ""
		if r := string(raw); len(r) > 1 && r[len(r)-1] == 'd' && r[len(r)-2] >= '0' && r[len(r)-2] <= '9' {
			hint = ` (Go durations have no "d" unit: write "720h" for 30 days)`
		}
		v.fail(p, val, ErrInvalidValue, "not a duration%s; %s", hint, spec.allowed)
		return 0, 0, false
	}
	if d < 0 {
		v.fail(p, val, ErrOutOfRange, "%s", spec.allowed)
		return 0, 0, false
	}
	if spec.unit > 0 && d%spec.unit != 0 {
		v.fail(p, val, ErrInvalidValue, "is not %s, the field's unit; %s", unitName(spec.unit), spec.allowed)
		return 0, 0, false
	}
	if spec.infinite && d == Infinite {
		return d, durationInfinite, true
	}
	return d, durationValue, true
}

// unitName describes a multiple of a wire unit for messages.
func unitName(u time.Duration) string {
	switch u {
	case time.Millisecond:
		return "a whole number of milliseconds"
	case time.Second:
		return "a whole number of seconds"
	default:
		return "a multiple of " + secs(u)
	}
}

// convert validates raw and builds the Config.
func (v *validator) convert(raw *rawConfig) *Config {
	c := &Config{File: v.file}
	if raw.HTTP != nil && raw.HTTP.Address != nil {
		c.HTTP.Address = v.httpAddress(keyPath{"http"}.key("address"), *raw.HTTP.Address)
	}
	seen := make(map[string]int)
	for i := range raw.Interface {
		p := keyPath{"interface"}.index(i)
		ifc := v.iface(p, &raw.Interface[i])
		if ifc.Name != "" {
			if first, ok := seen[ifc.Name]; ok {
				v.fail(p.key("name"), quote(ifc.Name), ErrDuplicate,
					"interface already configured at line %d", v.line(keyPath{"interface"}.index(first).key("name")))
			} else {
				seen[ifc.Name] = i
			}
		}
		c.Interfaces = append(c.Interfaces, ifc)
	}
	setInterface := func(e *Error) { e.Interface = interfaceName(c, e.Key) }
	v.errs.Each(setInterface)
	v.warns.Each(setInterface)
	return c
}

// interfaceName returns the name of the interface that the key path
// belongs to, or "" if it has no valid name.
func interfaceName(c *Config, key string) string {
	rest, ok := strings.CutPrefix(key, "interface[")
	if !ok {
		return ""
	}
	n, _, _ := strings.Cut(rest, "]")
	i, err := strconv.Atoi(n)
	if err != nil || i >= len(c.Interfaces) {
		return ""
	}
	return c.Interfaces[i].Name
}

// httpAddress validates the [http] listen address.
func (v *validator) httpAddress(p keyPath, s string) string {
	if s == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(s)
	ok := err == nil
	if ok {
		n, err := strconv.ParseUint(port, 10, 16)
		ok = err == nil && n != 0
	}
	if !ok {
		v.fail(p, quote(s), ErrInvalidValue,
			`must be host:port with a port 1 to 65535, such as "[::1]:9430", or "" for no listener`)
		return ""
	}
	return s
}

// validIfName reports whether s is a valid Linux interface name
// (dev_valid_name in Linux net/core/dev.c).
func validIfName(s string) bool {
	if s == "" || len(s) > maxIfNameLen || s == "." || s == ".." {
		return false
	}
	return !strings.ContainsAny(s, "/: \t\n\r\v\f")
}

// iface validates one [[interface]] table.
func (v *validator) iface(p keyPath, r *rawInterface) Interface {
	ifc := Interface{
		HopLimit:         defaultHopLimit,
		UnicastSolicited: true,
		SourceLLA:        true,
		WithdrawOnStop:   true,
	}
	switch {
	case r.Name == nil:
		v.missing(p.key("name"), `name = "eth0"`)
	case !validIfName(*r.Name):
		v.fail(p.key("name"), quote(*r.Name), ErrInvalidValue,
			"must be a Linux interface name: 1 to %d bytes, no '/', ':' or white space", maxIfNameLen)
	default:
		ifc.Name = *r.Name
	}
	setBool(&ifc.Managed, r.Managed)
	setBool(&ifc.OtherConfig, r.OtherConfig)
	setBool(&ifc.UnicastSolicited, r.UnicastSolicited)
	setBool(&ifc.SourceLLA, r.SourceLLA)
	setBool(&ifc.WithdrawOnStop, r.WithdrawOnStop)

	v.raHeader(p, r, &ifc)
	v.intervals(p, r, &ifc)
	v.routerLifetime(p, r, &ifc)

	v.raOptions(p, r, &ifc)
	ifc.DHCPv6 = v.dhcpv6(p.key("dhcpv6"), r.DHCPv6, &ifc)
	ifc.DNSResponder = v.dnsResponder(p.key("dns_responder"), r.DNSResponder, r, &ifc)
	ifc.Observe = v.observe(p.key("observe"), r.Observe)
	if ifc.DHCPv6.Enabled && !ifc.OtherConfig && !ifc.Managed {
		v.warn(p.key("dhcpv6").key("enabled"), "true",
			"other_config and managed are false, so clients are not told to ask DHCPv6 (RFC 4861 §4.2)")
	}
	return ifc
}

// raHeader validates the RA header fields of an [[interface]] table and
// its MTU and captive portal options.
func (v *validator) raHeader(p keyPath, r *rawInterface, ifc *Interface) {
	if r.HopLimit != nil {
		if *r.HopLimit < 0 || *r.HopLimit > 255 {
			v.fail(p.key("hop_limit"), strconv.FormatInt(*r.HopLimit, 10), ErrOutOfRange,
				"must be 0 (unspecified) to 255 (RFC 4861 §4.2)")
		} else {
			ifc.HopLimit = uint8(*r.HopLimit)
		}
	}
	if r.ReachableTime != nil {
		spec := durationSpec{unit: time.Millisecond,
			allowed: "must be 0 (unspecified) to 3600000ms (1h) (RFC 4861 §6.2.1)"}
		if d, _, ok := v.parseDuration(p.key("reachable_time"), *r.ReachableTime, spec); ok {
			if d > limits.MaxReachableTime {
				v.fail(p.key("reachable_time"), quote(string(*r.ReachableTime)), ErrOutOfRange, "%s", spec.allowed)
			} else {
				ifc.ReachableTime = d
			}
		}
	}
	if r.RetransmitTimer != nil {
		spec := durationSpec{unit: time.Millisecond,
			allowed: "must be 0 (unspecified) to 4294967295ms, the 32-bit field (RFC 4861 §4.2)"}
		if d, _, ok := v.parseDuration(p.key("retransmit_timer"), *r.RetransmitTimer, spec); ok {
			if d > limits.MaxRetransmitTimer {
				v.fail(p.key("retransmit_timer"), quote(string(*r.RetransmitTimer)), ErrOutOfRange, "%s", spec.allowed)
			} else {
				ifc.RetransmitTimer = d
			}
		}
	}
	if r.MTU != nil {
		if n := *r.MTU; n != 0 && (n < limits.MinMTU || n > maxMTU) {
			v.fail(p.key("mtu"), strconv.FormatInt(n, 10), ErrOutOfRange,
				"must be 0 (no MTU option) or %d to %d (RFC 8200 §5 minimum link MTU)", limits.MinMTU, maxMTU)
		} else {
			ifc.MTU = uint32(n)
		}
	}
	if r.CaptivePortal != nil {
		ifc.CaptivePortal = v.captivePortal(p.key("captive_portal"), *r.CaptivePortal, limits.MaxCaptivePortalURI,
			"one RA option must stay under 256 bytes (mdlayher/ndp cannot encode more)")
	}
}

// raOptions validates the arrays of RA option tables of an [[interface]]
// table; max_interval is already set.
func (v *validator) raOptions(p keyPath, r *rawInterface, ifc *Interface) {
	prefixes := newDupCheck[netip.Prefix](v, p.key("prefix"), "prefix")
	for i := range r.Prefix {
		if x, ok := v.prefix(p.key("prefix").index(i), &r.Prefix[i]); ok && prefixes.unique(i, x.Prefix) {
			ifc.Prefixes = append(ifc.Prefixes, x)
		}
	}
	routes := newDupCheck[netip.Prefix](v, p.key("route"), "prefix")
	for i := range r.Route {
		if x, ok := v.route(p.key("route").index(i), &r.Route[i], ifc.MaxInterval); ok && routes.unique(i, x.Prefix) {
			ifc.Routes = append(ifc.Routes, x)
		}
	}
	for i := range r.RDNSS {
		ifc.RDNSS = append(ifc.RDNSS, v.rdnss(p.key("rdnss").index(i), &r.RDNSS[i], ifc.MaxInterval))
	}
	for i := range r.DNSSL {
		ifc.DNSSL = append(ifc.DNSSL, v.dnssl(p.key("dnssl").index(i), &r.DNSSL[i], ifc.MaxInterval))
	}
	pref64s := newDupCheck[netip.Prefix](v, p.key("pref64"), "prefix")
	for i := range r.PREF64 {
		if x, ok := v.pref64(p.key("pref64").index(i), &r.PREF64[i], ifc.MaxInterval); ok &&
			pref64s.unique(i, x.Prefix) {
			ifc.PREF64 = append(ifc.PREF64, x)
		}
	}
}

// setBool copies *src to *dst when the key was present.
func setBool(dst *bool, src *bool) {
	if src != nil {
		*dst = *src
	}
}

// dupCheck finds repeated values across the elements of an array of
// tables, such as two [[interface.prefix]] with the same prefix.
type dupCheck[K comparable] struct {
	v     *validator
	arr   keyPath
	key   string
	first map[K]int
}

func newDupCheck[K comparable](v *validator, arr keyPath, key string) *dupCheck[K] {
	return &dupCheck[K]{v: v, arr: arr, key: key, first: make(map[K]int)}
}

// unique records k for element i and reports whether no earlier element
// had it; if one had, it records a problem.
func (d *dupCheck[K]) unique(i int, k K) bool {
	if j, ok := d.first[k]; ok {
		d.v.fail(d.arr.index(i).key(d.key), quote(fmt.Sprint(k)), ErrDuplicate,
			"already configured at line %d", d.v.line(d.arr.index(j).key(d.key)))
		return false
	}
	d.first[k] = i
	return true
}

// ceilSeconds rounds d up to whole seconds.
func ceilSeconds(d time.Duration) time.Duration {
	return (d + time.Second - 1) / time.Second * time.Second
}

// autoMinInterval is the default MinRtrAdvInterval: 0.33 × maxInt when
// maxInt is at least 9 s, otherwise maxInt itself (RFC 4861 §6.2.1).
func autoMinInterval(maxInt time.Duration) time.Duration {
	if maxInt >= autoMinIntervalThreshold {
		return maxInt * 33 / 100
	}
	// RFC 4861 §6.2.1 literally makes the default MaxRtrAdvInterval itself
	// below 9 s, which breaks the same section's MinRtrAdvInterval ≤ 0.75 ×
	// MaxRtrAdvInterval rule and leaves no randomisation. Like radvd
	// (AdvDefaultMinRtrAdvInterval), use 0.75 × max there; max ≥ 4 s keeps
	// it at or above the 3 s minimum.
	return maxInt * 3 / 4
}

// autoRouterLifetime is the default router lifetime: 3 × maxInt (RFC 4861
// §6.2.1), capped at RFC 4861's 9000 s for hosts that predate RFC 8319,
// but never below maxInt itself, which RFC 8319 §4 allows up to 65535 s.
func autoRouterLifetime(maxInt time.Duration) time.Duration {
	return ceilSeconds(min(3*maxInt, max(rfc4861MaxRouterLifetime, maxInt)))
}

// autoPREF64Lifetime is the default PREF64 lifetime: 3 × maxInt rounded up
// to the 8 s unit, capped at 65528 s (RFC 8781 §4).
func autoPREF64Lifetime(maxInt time.Duration) time.Duration {
	return min(ceilUnit(3*maxInt, limits.PREF64Unit), MaxPREF64Lifetime)
}

// ceilUnit rounds d up to a multiple of unit.
func ceilUnit(d, unit time.Duration) time.Duration {
	return (d + unit - 1) / unit * unit
}
