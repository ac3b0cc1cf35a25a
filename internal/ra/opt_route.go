package ra

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/ra/limits"
)

// routeOption is the Route Information option (RFC 4191 §2.3).
type routeOption struct{}

func (routeOption) typ() uint8   { return TypeRouteInformation }
func (routeOption) name() string { return "route information" }

func (routeOption) expect(ifc config.Interface, _ net.HardwareAddr) ([]Option, error) {
	var opts []Option
	for _, r := range ifc.Routes {
		what := "route " + r.Prefix.String()
		if err := checkPrefix(what, r.Prefix); err != nil {
			return nil, err
		}
		if _, err := preferenceToWire(r.Preference); err != nil {
			return nil, fmt.Errorf("%s %w", what, err)
		}
		if err := checkLifetime(what+" lifetime", r.Lifetime); err != nil {
			return nil, err
		}
		opts = append(opts, Option{Type: TypeRouteInformation, Length: routeLength(r.Prefix.Bits()), Route: &r})
	}
	return opts, nil
}

// routeLength is the Route Information option Length for a prefix of bits
// (RFC 4191 §2.3: 1 for /0, 2 up to /64, 3 above).
func routeLength(bits int) uint8 {
	switch {
	case bits == 0:
		return 1
	case bits <= 64:
		return 2
	default:
		return 3
	}
}

// encode encodes a checked Route Information option itself. ndp v1.1.0
// encodes it correctly but decodes only prefix-length/8 prefix bytes,
// losing the bits of a /60; encoding it here keeps the bytes under this
// package's control: Length 1, 2 or 3, the prefix bits beyond the prefix
// length zero (the prefix is masked).
func (routeOption) encode(o *Option) ndp.Option {
	r := o.Route
	l := routeLength(r.Prefix.Bits())
	v := make([]byte, int(l)*8-2)
	v[0] = uint8(r.Prefix.Bits())
	prf, _ := preferenceToWire(r.Preference)
	v[1] = prf << 3
	binary.BigEndian.PutUint32(v[2:6], limits.Seconds32(r.Lifetime))
	a := r.Prefix.Masked().Addr().As16()
	copy(v[6:], a[:])
	return &ndp.RawOption{Type: TypeRouteInformation, Length: l, Value: v}
}

func (routeOption) decode(o *Option) error {
	b := o.Bytes
	bits := int(b[2])
	prf, reserved := preferenceFromWire(b[3] >> 3)
	pfx, err := prefixFrom(b[8:], bits)
	o.Route = &config.Route{Prefix: pfx, Preference: prf, Lifetime: lifetime32(b[4:8])}
	// RFC 4191 §2.3: Length is 1, 2 or 3; at least 2 when the prefix
	// length exceeds 0, 3 when it exceeds 64.
	switch {
	case err != nil:
		return err
	case b[1] > 3:
		return fmt.Errorf("length %d, want 1 to 3", b[1])
	case bits > 64 && b[1] < 3, bits > 0 && b[1] < 2:
		return fmt.Errorf("length %d is too short for a /%d prefix", b[1], bits)
	case reserved:
		// RFC 4191 §2.3: a receiver MUST ignore such an option.
		return errors.New("reserved route preference (10)")
	}
	return nil
}

func (routeOption) compare(c *comparer, name string, w, g *Option) {
	field(c, name+" prefix", w.Route.Prefix, g.Route.Prefix)
	field(c, name+" preference", w.Route.Preference, g.Route.Preference)
	field(c, name+" lifetime", w.Route.Lifetime, g.Route.Lifetime)
}

func (routeOption) describe(o *Option) (string, bool) {
	if o.Route == nil {
		return "", false
	}
	return fmt.Sprintf("%s preference %v lifetime %s", showPrefix(o.Route.Prefix), o.Route.Preference,
		lifetime(o.Route.Lifetime)), true
}

// final withdraws every route: the router that forwards them is leaving,
// and a host that kept them would send traffic into a black hole (radvd's
// RemoveRoute, on by default, does the same).
func (routeOption) final(ifc *config.Interface) {
	for i := range ifc.Routes {
		ifc.Routes[i].Lifetime = 0
	}
}

// withdraw sends routes no longer offered with lifetime 0 (RFC 4191 §2.3).
func (routeOption) withdraw(old config.Interface, out *config.Interface) {
	next := out.Routes
	for _, r := range old.Routes {
		if r.Lifetime != 0 && !slices.ContainsFunc(next, func(n config.Route) bool { return n.Prefix == r.Prefix }) {
			r.Lifetime = 0
			out.Routes = append(out.Routes, r)
		}
	}
}
