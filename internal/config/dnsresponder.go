package config

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/internal/dnsresponder"
)

// defaultDNSPort is the port DNS clients query (RFC 1035 §4.2.1).
const defaultDNSPort = 53

// pref64Rule says what [interface.dns_responder] pref64 accepts; package
// dnsresponder's ValidPREF64 decides (RFC 6052 §2.2).
const pref64Rule = `a NAT64 prefix of length 32, 40, 48, 56, 64 or 96 with no bits set past its length and bits 64 to 71 zero (RFC 6052 §2.2), or "" to turn DNS64 off`

// DNSServeConfig returns the configuration of dnsresponder.Serve for the
// DNS responder of ifc: its zone, addresses and port, and the on-link
// prefixes that the answers must reach. The caller sets Logger, Metrics
// and OnQuery.
func (ifc Interface) DNSServeConfig() dnsresponder.ServeConfig {
	r := ifc.DNSResponder
	c := dnsresponder.ServeConfig{
		Interface: ifc.Name,
		Zone:      r.HandlerConfig(),
		Addrs:     r.Addresses,
		Port:      r.Port,
	}
	for _, p := range ifc.Prefixes {
		if p.OnLink {
			c.OnLink = append(c.OnLink, p.Prefix)
		}
	}
	return c
}

// HandlerConfig returns the zone of r as package dnsresponder takes it.
func (r DNSResponder) HandlerConfig() dnsresponder.Config {
	c := dnsresponder.Config{Zone: r.Zone, PREF64: r.PREF64, TTL: r.TTL}
	for _, rec := range r.Records {
		c.Records = append(c.Records, dnsresponder.Record{Name: rec.Name, Type: rec.Type, Value: rec.Value})
	}
	return c
}

// dnsResponder validates the [interface.dns_responder] table r of the
// interface raw. Its defaults come from the interface's RDNSS, DNSSL and
// PREF64 options, which ifc already holds. A present table is validated
// whether enabled or not; what only a running responder needs (addresses,
// a zone, a usable default PREF64) is required only when enabled.
func (v *validator) dnsResponder(p keyPath, r *rawDNSResp, raw *rawInterface, ifc *Interface) DNSResponder {
	if r == nil {
		return DNSResponder{}
	}
	x := DNSResponder{Port: defaultDNSPort, TTL: dnsresponder.DefaultTTL}
	setBool(&x.Enabled, r.Enabled)
	v.dnsResponderAddresses(p.key("addresses"), r, raw, ifc, &x)
	if r.Port != nil {
		if n := *r.Port; n < 1 || n > math.MaxUint16 {
			v.fail(p.key("port"), strconv.FormatInt(n, 10), ErrOutOfRange,
				"must be 1 to 65535; clients query port 53 (RFC 1035 §4.2.1)")
		} else {
			x.Port = uint16(n)
		}
	}
	if r.TTL != nil {
		spec := durationSpec{unit: time.Second,
			allowed: fmt.Sprintf("must be 1s to %s in whole seconds (RFC 2181 §8)", secs(dnsresponder.MaxTTL))}
		if d, _, ok := v.parseDuration(p.key("ttl"), *r.TTL, spec); ok {
			if d == 0 || d > dnsresponder.MaxTTL {
				v.fail(p.key("ttl"), quote(string(*r.TTL)), ErrOutOfRange, "%s", spec.allowed)
			} else {
				x.TTL = d
			}
		}
	}
	v.dnsResponderPREF64(p.key("pref64"), r, ifc, &x)
	zoneOK := v.dnsResponderZone(p.key("zone"), r, raw, ifc, &x)

	good := true
	for i := range r.Record {
		rec, ok := v.dnsRecord(p.key("record").index(i), &r.Record[i], x.Zone, zoneOK)
		good = good && ok
		x.Records = append(x.Records, rec)
	}
	if !good || !zoneOK {
		return x
	}
	// Each record is fine on its own: check the rules between records
	// (one CNAME per name and nothing else there, no CNAME loops) and,
	// once more, the whole zone as the responder will load it.
	if _, err := dnsresponder.NewHandler(x.HandlerConfig()); err != nil {
		var re *dnsresponder.RecordError
		if errors.As(err, &re) {
			v.recordProblem(p.key("record").index(re.Index), &r.Record[re.Index], re)
		} else {
			v.fail(p, "", ErrInvalidValue, "%v", err)
		}
	}
	return x
}

// dnsResponderAddresses validates addresses, which default to every RDNSS
// server of the interface.
func (v *validator) dnsResponderAddresses(p keyPath, r *rawDNSResp, raw *rawInterface, ifc *Interface,
	x *DNSResponder) {
	switch {
	case r.Addresses == nil:
		for _, o := range ifc.RDNSS {
			for _, a := range o.Servers {
				if !contains(x.Addresses, a) {
					x.Addresses = append(x.Addresses, a)
				}
			}
		}
		if x.Enabled && len(raw.RDNSS) == 0 && !v.failed[p.String()] {
			v.fail(p, "", ErrMissingKey,
				`required when enabled = true and the interface has no [[interface.rdnss]] to default to; for example addresses = ["2001:db8:1::53"]`)
		}
	case len(*r.Addresses) == 0:
		v.fail(p, "[]", ErrInvalidValue,
			"must list at least one address; leave the key out to answer on every [[interface.rdnss]] server")
	default:
		x.Addresses = v.addresses(p, *r.Addresses, false)
		if !x.Enabled {
			return
		}
		for i, a := range x.Addresses {
			if !advertised(ifc, a) {
				v.warn(p.index(i), quote(a.String()),
					"is not an [[interface.rdnss]] server or a dhcpv6 dns_servers address: clients are not told to query it")
			}
		}
	}
}

// advertised reports whether ifc tells clients to use the DNS server a,
// in an RDNSS option or, when the DHCPv6 server runs, in option 23.
func advertised(ifc *Interface, a netip.Addr) bool {
	for _, o := range ifc.RDNSS {
		if contains(o.Servers, a) {
			return true
		}
	}
	return ifc.DHCPv6.Enabled && contains(ifc.DHCPv6.DNSServers, a)
}

// dnsResponderPREF64 validates pref64, which defaults to the interface's
// first PREF64 prefix.
func (v *validator) dnsResponderPREF64(p keyPath, r *rawDNSResp, ifc *Interface, x *DNSResponder) {
	switch {
	case r.PREF64 == nil:
		if len(ifc.PREF64) == 0 {
			return
		}
		pfx := ifc.PREF64[0].Prefix
		if err := dnsresponder.ValidPREF64(pfx); err != nil {
			if x.Enabled {
				v.fail(p, "", ErrInvalidValue,
					"defaults to the first [[interface.pref64]] prefix %q, which DNS64 cannot use; set pref64 to %s",
					pfx.String(), pref64Rule)
			}
			return
		}
		x.PREF64 = pfx
	case *r.PREF64 == "":
	default:
		pfx, err := netip.ParsePrefix(*r.PREF64)
		if err == nil {
			err = dnsresponder.ValidPREF64(pfx)
		}
		if err != nil {
			v.fail(p, quote(*r.PREF64), ErrInvalidValue, "must be %s", pref64Rule)
			return
		}
		x.PREF64 = pfx
	}
}

// dnsResponderZone validates zone, which defaults to the interface's
// first DNSSL domain, and reports whether records can be checked against
// x.Zone.
func (v *validator) dnsResponderZone(p keyPath, r *rawDNSResp, raw *rawInterface, ifc *Interface,
	x *DNSResponder) bool {
	switch {
	case r.Zone != nil:
		z := strings.TrimSuffix(*r.Zone, ".")
		if reason := domainProblem(z); reason != "" {
			v.fail(p, quote(*r.Zone), ErrInvalidValue, "%s", reason)
			return false
		}
		// The responder refuses some zones, such as ipv4only.arpa, that
		// it answers itself.
		if _, err := dnsresponder.NewHandler(dnsresponder.Config{Zone: z}); err != nil {
			reason := strings.TrimPrefix(err.Error(), dnsresponder.ErrZone.Error()+": "+strconv.Quote(z)+": ")
			v.fail(p, quote(*r.Zone), ErrInvalidValue, "%s", reason)
			return false
		}
		x.Zone = z
	case len(ifc.DNSSL) > 0 && len(ifc.DNSSL[0].Domains) > 0:
		x.Zone = ifc.DNSSL[0].Domains[0]
	case len(raw.DNSSL) > 0 || v.failed[p.String()]:
		// The DNSSL domains have problems of their own.
		return false
	case x.Enabled || len(r.Record) > 0:
		v.fail(p, "", ErrMissingKey,
			`required when enabled = true or records are given and the interface has no [[interface.dnssl]] domain to default to; for example zone = "lab.example"`)
		return false
	}
	return x.Zone != ""
}

// dnsRecord validates one [[interface.dns_responder.record]] table; when
// zoneOK it checks the record on its own against zone.
func (v *validator) dnsRecord(p keyPath, r *rawDNSRecord, zone string, zoneOK bool) (DNSRecord, bool) {
	var x DNSRecord
	ok := true
	if r.Name == nil {
		v.missing(p.key("name"), `name = "www"`)
		ok = false
	} else {
		x.Name = *r.Name
	}
	if r.Type == nil {
		v.missing(p.key("type"), `type = "AAAA"`)
		ok = false
	} else {
		switch t := strings.ToUpper(*r.Type); t {
		case dnsresponder.TypeA, dnsresponder.TypeAAAA, dnsresponder.TypeCNAME, dnsresponder.TypeTXT:
			x.Type = t
		default:
			v.fail(p.key("type"), quote(*r.Type), ErrInvalidValue, `must be "A", "AAAA", "CNAME" or "TXT"`)
			ok = false
		}
	}
	if r.Value == nil {
		v.missing(p.key("value"), `value = "2001:db8:1::80"`)
		ok = false
	} else {
		x.Value = *r.Value
	}
	if !ok || !zoneOK {
		return x, false
	}
	rec := dnsresponder.Record{Name: x.Name, Type: x.Type, Value: x.Value}
	if _, err := dnsresponder.NewHandler(dnsresponder.Config{Zone: zone,
		Records: []dnsresponder.Record{rec}}); err != nil {
		var re *dnsresponder.RecordError
		if !errors.As(err, &re) {
			v.fail(p, "", ErrInvalidValue, "%v", err)
			return x, false
		}
		v.recordProblem(p, r, re)
		return x, false
	}
	return x, true
}

// recordProblem records the problem re with the record r at p, at the
// field re names.
func (v *validator) recordProblem(p keyPath, r *rawDNSRecord, re *dnsresponder.RecordError) {
	switch re.Field {
	case "name":
		v.fail(p.key("name"), quote(*r.Name), ErrInvalidValue, "%s", re.Reason)
	case "type":
		v.fail(p.key("type"), quote(*r.Type), ErrInvalidValue, "%s", re.Reason)
	case "value":
		v.fail(p.key("value"), quote(*r.Value), ErrInvalidValue, "%s", re.Reason)
	default:
		v.fail(p, "", ErrInvalidValue, "%s", re.Reason)
	}
}
