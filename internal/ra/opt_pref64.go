package ra

import (
	"encoding/binary"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/ra/limits"
)

// pref64Option is the PREF64 option (RFC 8781 §4): a 13-bit scaled
// lifetime in units of 8 s above a 3-bit Prefix Length Code (PLC), then
// the highest 96 prefix bits.
type pref64Option struct{}

func (pref64Option) typ() uint8   { return TypePREF64 }
func (pref64Option) name() string { return "PREF64" }

func (pref64Option) expect(ifc config.Interface, _ net.HardwareAddr) ([]Option, error) {
	var opts []Option
	for _, p := range ifc.PREF64 {
		what := "PREF64 " + p.Prefix.String()
		if err := checkPrefix(what, p.Prefix); err != nil {
			return nil, err
		}
		if _, ok := limits.PREF64Code(p.Prefix.Bits()); !ok {
			return nil, invalid("%s: length /%d is not one of /96, /64, /56, /48, /40, /32 (RFC 8781 §4)",
				what, p.Prefix.Bits())
		}
		// The range check is what keeps ndp's bug away: see encode.
		if err := checkDuration(what+" lifetime", p.Lifetime, limits.PREF64Unit, limits.MaxPREF64Lifetime); err != nil {
			return nil, err
		}
		opts = append(opts, Option{Type: TypePREF64, Length: 2, PREF64: &p})
	}
	return opts, nil
}

// encode encodes a checked PREF64 option itself. ndp v1.1.0 rounds the
// lifetime into a uint16 that wraps silently (524288 s and ndp.Infinity
// become 0, a withdrawal), so the encoding is done here on a value expect
// has range-checked.
func (pref64Option) encode(o *Option) ndp.Option {
	p := o.PREF64
	v := make([]byte, 14)
	scaled := uint16(p.Lifetime / limits.PREF64Unit)
	plc, _ := limits.PREF64Code(p.Prefix.Bits())
	binary.BigEndian.PutUint16(v[0:2], scaled<<3|uint16(plc))
	a := p.Prefix.Masked().Addr().As16()
	copy(v[2:], a[:12])
	return &ndp.RawOption{Type: TypePREF64, Length: 2, Value: v}
}

func (pref64Option) decode(o *Option) error {
	b := o.Bytes
	if err := wantLength(b[1], 2); err != nil {
		return err
	}
	v := binary.BigEndian.Uint16(b[2:4])
	p := &config.PREF64{Lifetime: time.Duration(v>>3) * limits.PREF64Unit}
	o.PREF64 = p
	plc := int(v & 0x7)
	bits, ok := limits.PREF64Length(plc)
	if !ok {
		return fmt.Errorf("prefix length code %d", plc)
	}
	pfx, err := prefixFrom(b[4:16], bits)
	p.Prefix = pfx
	return err
}

func (pref64Option) compare(c *comparer, name string, w, g *Option) {
	field(c, name+" prefix", w.PREF64.Prefix, g.PREF64.Prefix)
	field(c, name+" lifetime", w.PREF64.Lifetime, g.PREF64.Lifetime)
}

func (pref64Option) describe(o *Option) (string, bool) {
	if o.PREF64 == nil {
		return "", false
	}
	return fmt.Sprintf("%s lifetime %s", showPrefix(o.PREF64.Prefix), lifetime(o.PREF64.Lifetime)), true
}

// final withdraws the prefixes when ifc.WithdrawOnStop is set (RFC 8781
// §4).
func (pref64Option) final(ifc *config.Interface) {
	if !ifc.WithdrawOnStop {
		return
	}
	for i := range ifc.PREF64 {
		ifc.PREF64[i].Lifetime = 0
	}
}

// withdraw sends PREF64 prefixes no longer offered with lifetime 0
// (RFC 8781 §4).
func (pref64Option) withdraw(old config.Interface, out *config.Interface) {
	next := out.PREF64
	for _, p := range old.PREF64 {
		if p.Lifetime != 0 && !slices.ContainsFunc(next, func(n config.PREF64) bool { return n.Prefix == p.Prefix }) {
			p.Lifetime = 0
			out.PREF64 = append(out.PREF64, p)
		}
	}
}
