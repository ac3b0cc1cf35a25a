package ra

import (
	"errors"
	"net"
	"strings"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

// captivePortalOption is the Captive-Portal option (RFC 8910 §2.3): the
// URI padded with NUL bytes. A removed captive portal cannot be withdrawn:
// the option has no lifetime and no "none" value (its "unrestricted" URN
// would be a new statement, not a withdrawal), so hosts keep the old URI
// until they replace or forget it.
type captivePortalOption struct{}

func (captivePortalOption) typ() uint8   { return TypeCaptivePortal }
func (captivePortalOption) name() string { return "captive portal" }

func (captivePortalOption) expect(ifc config.Interface, _ net.HardwareAddr) ([]Option, error) {
	uri := ifc.CaptivePortal
	if uri == "" {
		return nil, nil
	}
	if strings.IndexByte(uri, 0) >= 0 {
		return nil, invalid("captive portal URI %q contains a NUL byte", uri)
	}
	n := padded(2 + len(uri))
	if err := checkOptionLen("captive portal", n); err != nil {
		return nil, err
	}
	return []Option{{Type: TypeCaptivePortal, Length: uint8(n / 8), CaptivePortal: uri}}, nil
}

// encode does not use ndp.NewCaptivePortal: it rewrites the URI through
// net/url, and the URI must go out exactly as configured.
func (captivePortalOption) encode(o *Option) ndp.Option {
	return &ndp.CaptivePortal{URI: o.CaptivePortal}
}

func (captivePortalOption) decode(o *Option) error {
	uri := strings.TrimRight(string(o.Bytes[2:]), "\x00")
	if strings.IndexByte(uri, 0) >= 0 {
		o.CaptivePortal = uri
		return errors.New("NUL byte inside the URI")
	}
	if uri == "" {
		return errors.New("empty URI")
	}
	o.CaptivePortal = uri
	return nil
}

func (captivePortalOption) compare(c *comparer, name string, w, g *Option) {
	field(c, name+" URI", w.CaptivePortal, g.CaptivePortal)
}

func (captivePortalOption) describe(o *Option) (string, bool) {
	return o.CaptivePortal, true
}
