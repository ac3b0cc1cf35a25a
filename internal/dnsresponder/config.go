package dnsresponder

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DefaultTTL is the TTL of every answer when Config.TTL is zero. It is short
// because a lab zone changes while clients are watched.
const DefaultTTL = 60 * time.Second

// MaxTTL is the largest TTL a record may carry: RFC 2181 §8 limits TTLs to
// 2^31 - 1 seconds.
const MaxTTL = math.MaxInt32 * time.Second

// maxCNAMEChain is the longest CNAME chain inside the zone that a query
// follows; longer chains and loops are rejected when the zone is built.
const maxCNAMEChain = 8

// Record types accepted in a zone.
const (
	TypeA     = "A"
	TypeAAAA  = "AAAA"
	TypeCNAME = "CNAME"
	TypeTXT   = "TXT"
)

// Errors returned by NewHandler; an invalid record is reported as a
// *RecordError that wraps ErrRecord.
var (
	// ErrZone reports an invalid zone name.
	ErrZone = errors.New("invalid zone")
	// ErrRecord reports an invalid record.
	ErrRecord = errors.New("invalid record")
	// ErrTTL reports a TTL that is negative, not a whole number of
	// seconds, or above MaxTTL.
	ErrTTL = errors.New("invalid TTL")
	// ErrPREF64 reports a NAT64 prefix RFC 6052 §2.2 does not allow.
	ErrPREF64 = errors.New("invalid PREF64")
)

// RecordError is the error NewHandler returns for an invalid record, so
// that a caller such as the configuration parser can point at it.
type RecordError struct {
	// Index is the index of the record in Config.Records.
	Index int
	// Record is the record itself.
	Record Record
	// Field names the record field at fault: "name", "type" or "value";
	// it is "" when the record conflicts with other records.
	Field string
	// Reason says what is wrong.
	Reason string
}

// Error formats e as `record 1 (www AAAA "x"): invalid record: reason`.
func (e *RecordError) Error() string {
	return fmt.Sprintf("record %d (%s %s %q): %v: %s", e.Index+1, e.Record.Name, e.Record.Type, e.Record.Value,
		ErrRecord, e.Reason)
}

// Unwrap returns ErrRecord.
func (e *RecordError) Unwrap() error { return ErrRecord }

// Config is the zone and behaviour of a Handler.
type Config struct {
	// Zone is the zone the responder is authoritative for, such as
	// "lab.example" (a trailing dot is optional). It must not be the root.
	Zone string
	// Records are the zone's records, in any order.
	Records []Record
	// PREF64 is the NAT64 prefix used for DNS64 synthesis and for AAAA
	// ipv4only.arpa: /32, /40, /48, /56, /64 or /96 (RFC 6052 §2.2). The
	// zero Prefix turns DNS64 off.
	PREF64 netip.Prefix
	// TTL is the TTL of every record, of the zone's SOA and of negative
	// answers; zero means DefaultTTL.
	TTL time.Duration
}

// Record is one record of the zone.
type Record struct {
	// Name is the owner name: "@" or "" for the zone apex, a name relative
	// to the zone ("www"), or an absolute name inside the zone with a
	// trailing dot ("www.lab.example.").
	Name string
	// Type is TypeA, TypeAAAA, TypeCNAME or TypeTXT (case-insensitive).
	Type string
	// Value is the IPv4 address for A, the IPv6 address for AAAA, the
	// target name for CNAME (relative to the zone unless it ends in a
	// dot), or the text for TXT (split into 255-byte strings, RFC 1035
	// §3.3.14).
	Value string
}

// node holds the records of one owner name.
type node struct {
	a     []netip.Addr
	aaaa  []netip.Addr
	cname string
	txt   [][]string
	// cnameIdx and otherIdx are the indices in Config.Records of the
	// node's CNAME and of its first other record, for messages; -1 when
	// it has none.
	cnameIdx, otherIdx int
}

// zone is a validated, indexed Config.
type zone struct {
	origin string // canonical, with trailing dot
	ttl    uint32
	pref64 netip.Prefix
	nodes  map[string]*node
	// exists holds every owner name and every empty non-terminal between
	// an owner name and the origin (RFC 8020).
	exists map[string]bool
	soa    *dns.SOA
}

// newZone validates c and indexes it.
func newZone(c Config) (*zone, error) {
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < 0 || ttl > MaxTTL || ttl%time.Second != 0 {
		return nil, fmt.Errorf("%w: %v (whole seconds, 0 to %v)", ErrTTL, c.TTL, MaxTTL)
	}
	if c.PREF64.IsValid() {
		if err := ValidPREF64(c.PREF64); err != nil {
			return nil, err
		}
	}
	origin := dns.CanonicalName(c.Zone)
	if c.Zone == "" || origin == "." {
		return nil, fmt.Errorf("%w: %q: the root zone is not allowed", ErrZone, c.Zone)
	}
	if _, ok := dns.IsDomainName(origin); !ok {
		return nil, fmt.Errorf("%w: %q is not a domain name", ErrZone, c.Zone)
	}
	// dns.IsSubDomain(parent, child) is also true for equal names. A zone
	// at, below or above ipv4only.arpa would overlap the special answers.
	if dns.IsSubDomain(ipv4onlyARPA, origin) || dns.IsSubDomain(origin, ipv4onlyARPA) {
		return nil, fmt.Errorf("%w: %q: overlaps ipv4only.arpa, which the responder answers itself (RFC 7050 §2.2)", ErrZone, c.Zone)
	}
	z := &zone{
		origin: origin,
		ttl:    uint32(ttl / time.Second),
		pref64: c.PREF64,
		nodes:  map[string]*node{origin: {cnameIdx: -1, otherIdx: -1}},
		exists: map[string]bool{origin: true},
	}
	// The SOA makes negative answers cacheable (RFC 2308 §3); its
	// MINIMUM and its own TTL are the configured TTL.
	z.soa = &dns.SOA{
		Hdr:     dns.RR_Header{Name: origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: z.ttl},
		Ns:      "ns." + origin,
		Mbox:    "hostmaster." + origin,
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  z.ttl,
	}
	for i, r := range c.Records {
		if field, reason := z.add(i, r); reason != "" {
			return nil, &RecordError{Index: i, Record: r, Field: field, Reason: reason}
		}
	}
	// Report the conflict of the first record in file order, whatever the
	// map order.
	var first *RecordError
	for name, n := range z.nodes {
		var e *RecordError
		switch {
		case n.cname != "" && n.otherIdx >= 0:
			// RFC 1034 §3.6.2: a CNAME owner has no other data.
			i := max(n.cnameIdx, n.otherIdx)
			e = &RecordError{Index: i, Record: c.Records[i],
				Reason: fmt.Sprintf("%s has a CNAME and other records (RFC 1034 §3.6.2)", name)}
		case n.cname != "":
			if reason := z.checkChain(name); reason != "" {
				e = &RecordError{Index: n.cnameIdx, Record: c.Records[n.cnameIdx], Field: "value", Reason: reason}
			}
		}
		if e != nil && (first == nil || e.Index < first.Index) {
			first = e
		}
	}
	if first != nil {
		return nil, first
	}
	return z, nil
}

// add validates record i, r, and adds it to z. When r is invalid it
// returns the field at fault and the reason.
func (z *zone) add(i int, r Record) (field, reason string) {
	name, reason := z.absolute(r.Name)
	if reason != "" {
		return "name", reason
	}
	n := z.nodes[name]
	if n == nil {
		n = &node{cnameIdx: -1, otherIdx: -1}
		z.nodes[name] = n
	}
	switch strings.ToUpper(r.Type) {
	case TypeA:
		a, err := netip.ParseAddr(r.Value)
		if err != nil || !a.Is4() {
			return "value", "A needs an IPv4 address"
		}
		n.a = append(n.a, a)
	case TypeAAAA:
		a, err := netip.ParseAddr(r.Value)
		if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
			return "value", "AAAA needs an IPv6 address without zone"
		}
		n.aaaa = append(n.aaaa, a)
	case TypeCNAME:
		if name == z.origin {
			return "type", "CNAME at the zone apex, which has the SOA (RFC 1034 §3.6.2)"
		}
		if n.cname != "" {
			return "type", "a second CNAME for " + name
		}
		target := dns.CanonicalName(r.Value)
		if !strings.HasSuffix(r.Value, ".") {
			target = dns.CanonicalName(r.Value + "." + z.origin)
		}
		if _, ok := dns.IsDomainName(target); r.Value == "" || !ok {
			return "value", "CNAME target is not a domain name"
		}
		n.cname, n.cnameIdx = target, i
	case TypeTXT:
		n.txt = append(n.txt, splitTXT(r.Value))
	default:
		return "type", "type must be A, AAAA, CNAME or TXT"
	}
	if n.otherIdx < 0 && !strings.EqualFold(r.Type, TypeCNAME) {
		n.otherIdx = i
	}
	for p := name; p != z.origin; p = parent(p) {
		z.exists[p] = true
	}
	return "", ""
}

// absolute returns the canonical absolute form of owner name s, which
// must be inside the zone, or the reason it is not valid.
func (z *zone) absolute(s string) (name, reason string) {
	switch {
	case s == "" || s == "@":
		name = z.origin
	case strings.HasSuffix(s, "."):
		name = dns.CanonicalName(s)
	default:
		name = dns.CanonicalName(s + "." + z.origin)
	}
	if _, ok := dns.IsDomainName(name); !ok || strings.Contains(s, "..") {
		return "", fmt.Sprintf("%q is not a domain name", s)
	}
	if !dns.IsSubDomain(z.origin, name) {
		return "", fmt.Sprintf("%s is outside zone %s", name, z.origin)
	}
	for _, l := range dns.SplitDomainName(name) {
		if l == "*" {
			return "", name + ": wildcards are not supported"
		}
	}
	return name, ""
}

// checkChain returns why a CNAME chain starting at name is not allowed:
// it loops or is longer than maxCNAMEChain inside the zone; "" if it is.
func (z *zone) checkChain(start string) string {
	name := start
	for i := 0; i <= maxCNAMEChain; i++ {
		n := z.nodes[name]
		if n == nil || n.cname == "" {
			return ""
		}
		name = n.cname
	}
	return fmt.Sprintf("CNAME chain from %s loops or is longer than %d", start, maxCNAMEChain)
}

// parent returns the parent of the absolute name s, "." for a TLD.
func parent(s string) string {
	i, end := dns.NextLabel(s, 0)
	if end {
		return "."
	}
	return s[i:]
}

// splitTXT splits s into character-strings of at most 255 bytes (RFC 1035
// §3.3.14); the empty text is one empty string.
func splitTXT(s string) []string {
	out := []string{}
	for len(s) > 255 {
		out = append(out, s[:255])
		s = s[255:]
	}
	return append(out, s)
}

// ValidPREF64 reports whether p is a NAT64 prefix RFC 6052 §2.2 allows:
// an IPv6 prefix of length 32, 40, 48, 56, 64 or 96 with no bits set past
// its length and, for /96, bits 64 to 71 (the "u" octet) zero.
func ValidPREF64(p netip.Prefix) error {
	if !p.IsValid() || !p.Addr().Is6() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
		return fmt.Errorf("%w: %v is not an IPv6 prefix", ErrPREF64, p)
	}
	switch p.Bits() {
	case 32, 40, 48, 56, 64, 96:
	default:
		return fmt.Errorf("%w: %v: length must be 32, 40, 48, 56, 64 or 96 (RFC 6052 §2.2)", ErrPREF64, p)
	}
	if p.Masked() != p {
		return fmt.Errorf("%w: %v has bits set past its length", ErrPREF64, p)
	}
	if p.Addr().As16()[8] != 0 {
		return fmt.Errorf("%w: %v: bits 64 to 71 must be zero (RFC 6052 §2.2)", ErrPREF64, p)
	}
	return nil
}

// Synthesize embeds the IPv4 address v4 in the NAT64 prefix pref64 as RFC
// 6052 §2.2 describes: the 32 bits of v4 follow the prefix, skipping bits
// 64 to 71 (the "u" octet, always zero), and the suffix is zero.
func Synthesize(pref64 netip.Prefix, v4 netip.Addr) (netip.Addr, error) {
	if err := ValidPREF64(pref64); err != nil {
		return netip.Addr{}, err
	}
	if !v4.Is4() {
		return netip.Addr{}, fmt.Errorf("%w: %v is not an IPv4 address", ErrRecord, v4)
	}
	return embed(pref64, v4), nil
}

// embed is Synthesize for a prefix already validated.
func embed(pref64 netip.Prefix, v4 netip.Addr) netip.Addr {
	out := pref64.Addr().As16()
	pos := pref64.Bits() / 8
	for _, b := range v4.As4() {
		if pos == 8 {
			pos++ // the u octet
		}
		out[pos] = b
		pos++
	}
	return netip.AddrFrom16(out)
}
