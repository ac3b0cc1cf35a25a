package ra

import (
	"encoding/binary"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/dnsname"
	"github.com/ralab/ralab/internal/ra/limits"
)

// dnsslOption is the DNS Search List option (RFC 8106 §5.2): names as
// uncompressed RFC 1035 §3.1 labels, then zero padding.
type dnsslOption struct{}

func (dnsslOption) typ() uint8   { return TypeDNSSL }
func (dnsslOption) name() string { return "DNSSL" }

// expect checks each DNSSL entry and drops trailing dots: ndp v1.1.0
// turns a trailing dot into an empty label, which ends the name early and
// loses the next one, and it means the same name anyway.
func (dnsslOption) expect(ifc config.Interface, _ net.HardwareAddr) ([]Option, error) {
	var opts []Option
	for i, d := range ifc.DNSSL {
		what := fmt.Sprintf("DNSSL %d", i+1)
		if len(d.Domains) == 0 {
			return nil, invalid("%s has no domains", what)
		}
		w := config.DNSSL{Lifetime: d.Lifetime}
		n := 8
		for _, name := range d.Domains {
			name, wire, err := dnsname.Check(name)
			if err != nil {
				return nil, invalid("search domain %v", err)
			}
			w.Domains = append(w.Domains, name)
			n += wire
		}
		n = padded(n)
		if err := checkOptionLen(what, n); err != nil {
			return nil, err
		}
		if err := checkLifetime(what+" lifetime", d.Lifetime); err != nil {
			return nil, err
		}
		opts = append(opts, Option{Type: TypeDNSSL, Length: uint8(n / 8), DNSSL: &w})
	}
	return opts, nil
}

// encode encodes a checked DNSSL option itself. ndp v1.1.0 runs names
// through IDNA, which rejects some A-labels as a marshal error and turns a
// trailing dot into an empty label that swallows the next name; expect has
// already dropped trailing dots and checked the labels.
func (dnsslOption) encode(o *Option) ndp.Option {
	v := make([]byte, 6, int(o.Length)*8-2)
	binary.BigEndian.PutUint32(v[2:6], limits.Seconds32(o.DNSSL.Lifetime))
	for _, name := range o.DNSSL.Domains {
		v, _ = dnsname.Append(v, name)
	}
	return &ndp.RawOption{Type: TypeDNSSL, Length: o.Length, Value: v[:cap(v)]}
}

// decode keeps the names in wire form (A-labels), without a trailing dot.
func (dnsslOption) decode(o *Option) error {
	b := o.Bytes
	if b[1] < 2 {
		return fmt.Errorf("length %d, want at least 2", b[1])
	}
	d := &config.DNSSL{Lifetime: lifetime32(b[4:8])}
	var err error
	d.Domains, err = dnsname.Decode(b[8:], true)
	o.DNSSL = d
	return err
}

func (dnsslOption) compare(c *comparer, name string, w, g *Option) {
	field(c, name+" lifetime", w.DNSSL.Lifetime, g.DNSSL.Lifetime)
	list(c, name+" domain", w.DNSSL.Domains, g.DNSSL.Domains)
}

func (dnsslOption) describe(o *Option) (string, bool) {
	if o.DNSSL == nil {
		return "", false
	}
	return fmt.Sprintf("%s lifetime %s", strings.Join(o.DNSSL.Domains, " "), lifetime(o.DNSSL.Lifetime)), true
}

// final withdraws the domains when ifc.WithdrawOnStop is set (RFC 8106
// §5.2).
func (dnsslOption) final(ifc *config.Interface) {
	if !ifc.WithdrawOnStop {
		return
	}
	for i := range ifc.DNSSL {
		ifc.DNSSL[i].Lifetime = 0
	}
}

// withdraw sends domains no longer offered in extra DNSSL options with
// lifetime 0 that list only those domains (RFC 8106 §5.2).
func (dnsslOption) withdraw(old config.Interface, out *config.Interface) {
	next := out.DNSSL
	var domains []string
	for _, d := range old.DNSSL {
		if d.Lifetime == 0 {
			continue
		}
		for _, name := range d.Domains {
			if !slices.ContainsFunc(next, func(n config.DNSSL) bool { return containsDomain(n.Domains, name) }) &&
				!containsDomain(domains, name) {
				domains = append(domains, name)
			}
		}
	}
	out.DNSSL = append(out.DNSSL, dnsslChunks(domains)...)
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
// within limits.MaxOptionLen. A name that does not fit even alone is kept
// in an option of its own, for Build to reject with a clear message.
func dnsslChunks(names []string) []config.DNSSL {
	var out []config.DNSSL
	size := limits.MaxOptionLen // forces a new option for the first name
	for _, name := range names {
		n := dnsname.WireLen(strings.TrimSuffix(name, "."))
		if padded(size+n) > limits.MaxOptionLen {
			out = append(out, config.DNSSL{})
			size = 8
		}
		out[len(out)-1].Domains = append(out[len(out)-1].Domains, name)
		size += n
	}
	return out
}
