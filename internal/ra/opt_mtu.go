package ra

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/ra/limits"
)

// mtuOption is the MTU option (RFC 4861 §4.6.4).
type mtuOption struct{}

func (mtuOption) typ() uint8   { return TypeMTU }
func (mtuOption) name() string { return "MTU" }

// expect adds the option when ifc.MTU is set, at least the IPv6 minimum.
func (mtuOption) expect(ifc config.Interface, _ net.HardwareAddr) ([]Option, error) {
	if ifc.MTU == 0 {
		return nil, nil
	}
	if ifc.MTU < limits.MinMTU {
		return nil, invalid("MTU %d is below the IPv6 minimum %d (RFC 8200 §5)", ifc.MTU, limits.MinMTU)
	}
	return []Option{{Type: TypeMTU, Length: 1, MTU: ifc.MTU}}, nil
}

func (mtuOption) encode(o *Option) ndp.Option { return ndp.NewMTU(o.MTU) }

func (mtuOption) decode(o *Option) error {
	if err := wantLength(o.Length, 1); err != nil {
		return err
	}
	o.MTU = binary.BigEndian.Uint32(o.Bytes[4:8])
	return nil
}

func (mtuOption) compare(c *comparer, name string, w, g *Option) {
	field(c, name+" MTU", w.MTU, g.MTU)
}

func (mtuOption) describe(o *Option) (string, bool) {
	return fmt.Sprint(o.MTU), o.Err == nil
}
