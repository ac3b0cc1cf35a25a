package ra

import (
	"net"
	"slices"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

// sourceLLAOption is the Source Link-Layer Address option (RFC 4861
// §4.6.1): the router's MAC, so that hosts need no Neighbor Solicitation
// to reach it.
type sourceLLAOption struct{}

func (sourceLLAOption) typ() uint8   { return TypeSourceLLA }
func (sourceLLAOption) name() string { return "source link-layer address" }

// expect adds the option when ifc.SourceLLA is set; only 6-byte Ethernet
// addresses are sent (RFC 2464 §6).
func (sourceLLAOption) expect(ifc config.Interface, mac net.HardwareAddr) ([]Option, error) {
	if !ifc.SourceLLA {
		return nil, nil
	}
	if len(mac) != 6 {
		return nil, invalid("source link-layer address %q is not a 6-byte Ethernet address", mac)
	}
	return []Option{{Type: TypeSourceLLA, Length: 1, LinkLayerAddress: mac}}, nil
}

func (sourceLLAOption) encode(o *Option) ndp.Option {
	return &ndp.LinkLayerAddress{Direction: ndp.Source, Addr: slices.Clone(o.LinkLayerAddress)}
}

// decode takes the bytes after type and length: with Length 1 these are
// the 6 bytes of an Ethernet address (RFC 2464 §6); other links pad to a
// multiple of 8.
func (sourceLLAOption) decode(o *Option) error {
	o.LinkLayerAddress = net.HardwareAddr(o.Bytes[2:])
	return nil
}

func (sourceLLAOption) compare(c *comparer, name string, w, g *Option) {
	field(c, name+" address", w.LinkLayerAddress.String(), g.LinkLayerAddress.String())
}

func (sourceLLAOption) describe(o *Option) (string, bool) {
	return o.LinkLayerAddress.String(), true
}
