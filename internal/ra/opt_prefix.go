package ra

import (
	"fmt"
	"net"
	"slices"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

// prefixOption is the Prefix Information option (RFC 4861 §4.6.2).
type prefixOption struct{}

func (prefixOption) typ() uint8   { return TypePrefixInformation }
func (prefixOption) name() string { return "prefix information" }

func (prefixOption) expect(ifc config.Interface, _ net.HardwareAddr) ([]Option, error) {
	var opts []Option
	for _, p := range ifc.Prefixes {
		what := "prefix " + p.Prefix.String()
		if err := checkPrefix(what, p.Prefix); err != nil {
			return nil, err
		}
		if err := checkLifetime(what+" valid lifetime", p.ValidLifetime); err != nil {
			return nil, err
		}
		if err := checkLifetime(what+" preferred lifetime", p.PreferredLifetime); err != nil {
			return nil, err
		}
		if p.PreferredLifetime > p.ValidLifetime {
			// RFC 4862 §5.5.3 c): hosts ignore such a prefix.
			return nil, invalid("%s preferred lifetime %v exceeds valid lifetime %v",
				what, p.PreferredLifetime, p.ValidLifetime)
		}
		opts = append(opts, Option{Type: TypePrefixInformation, Length: 4, Prefix: &p})
	}
	return opts, nil
}

// encode uses ndp's type, which encodes the option correctly within
// expect's checks.
func (prefixOption) encode(o *Option) ndp.Option {
	return &ndp.PrefixInformation{
		PrefixLength:                   uint8(o.Prefix.Prefix.Bits()),
		OnLink:                         o.Prefix.OnLink,
		AutonomousAddressConfiguration: o.Prefix.Autonomous,
		ValidLifetime:                  o.Prefix.ValidLifetime,
		PreferredLifetime:              o.Prefix.PreferredLifetime,
		Prefix:                         o.Prefix.Prefix.Addr(),
	}
}

func (prefixOption) decode(o *Option) error {
	b := o.Bytes
	if err := wantLength(b[1], 4); err != nil {
		return err
	}
	pfx, err := prefixFrom(b[16:32], int(b[2]))
	o.Prefix = &config.Prefix{
		Prefix:            pfx,
		OnLink:            b[3]&0x80 != 0,
		Autonomous:        b[3]&0x40 != 0,
		ValidLifetime:     lifetime32(b[4:8]),
		PreferredLifetime: lifetime32(b[8:12]),
	}
	return err
}

func (prefixOption) compare(c *comparer, name string, w, g *Option) {
	field(c, name+" prefix", w.Prefix.Prefix, g.Prefix.Prefix)
	field(c, name+" L flag", w.Prefix.OnLink, g.Prefix.OnLink)
	field(c, name+" A flag", w.Prefix.Autonomous, g.Prefix.Autonomous)
	field(c, name+" valid lifetime", w.Prefix.ValidLifetime, g.Prefix.ValidLifetime)
	field(c, name+" preferred lifetime", w.Prefix.PreferredLifetime, g.Prefix.PreferredLifetime)
}

func (prefixOption) describe(o *Option) (string, bool) {
	p := o.Prefix
	if p == nil {
		return "", false
	}
	return fmt.Sprintf("%s on-link %s autonomous %s valid %s preferred %s",
		showPrefix(p.Prefix), yesNo(p.OnLink), yesNo(p.Autonomous), lifetime(p.ValidLifetime),
		lifetime(p.PreferredLifetime)), true
}

// withdraw sends prefixes no longer offered with valid and preferred
// lifetime 0. RFC 4862 §5.5.3 e) makes hosts keep an unauthenticated
// prefix's addresses valid for at least two more hours, so this deprecates
// the addresses (preferred 0: no new connections use them) rather than
// removing them; the valid lifetime 0 still ends them as early as the rule
// allows.
func (prefixOption) withdraw(old config.Interface, out *config.Interface) {
	next := out.Prefixes
	for _, p := range old.Prefixes {
		if p.ValidLifetime != 0 &&
			!slices.ContainsFunc(next, func(n config.Prefix) bool { return n.Prefix == p.Prefix }) {
			p.ValidLifetime, p.PreferredLifetime = 0, 0
			out.Prefixes = append(out.Prefixes, p)
		}
	}
}
