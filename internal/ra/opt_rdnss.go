package ra

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/ra/limits"
)

// rdnssOption is the Recursive DNS Server option (RFC 8106 §5.1).
type rdnssOption struct{}

func (rdnssOption) typ() uint8   { return TypeRDNSS }
func (rdnssOption) name() string { return "RDNSS" }

// expect checks each RDNSS entry. ndp v1.1.0 cannot encode more than
// limits.MaxRDNSSServers servers in one option.
func (rdnssOption) expect(ifc config.Interface, _ net.HardwareAddr) ([]Option, error) {
	var opts []Option
	for i, r := range ifc.RDNSS {
		what := fmt.Sprintf("RDNSS %d", i+1)
		if len(r.Servers) == 0 {
			return nil, invalid("%s has no servers", what)
		}
		if len(r.Servers) > limits.MaxRDNSSServers {
			return nil, invalid("%s has %d servers; github.com/mdlayher/ndp v1.1.0 cannot encode more than %d in one option",
				what, len(r.Servers), limits.MaxRDNSSServers)
		}
		for _, s := range r.Servers {
			if err := checkAddr(what+" server", s); err != nil {
				return nil, err
			}
		}
		if err := checkLifetime(what+" lifetime", r.Lifetime); err != nil {
			return nil, err
		}
		r := config.RDNSS{Servers: slices.Clone(r.Servers), Lifetime: r.Lifetime}
		opts = append(opts, Option{Type: TypeRDNSS, Length: uint8(1 + 2*len(r.Servers)), RDNSS: &r})
	}
	return opts, nil
}

// encode uses ndp's type, which encodes the option correctly within
// expect's checks.
func (rdnssOption) encode(o *Option) ndp.Option {
	return &ndp.RecursiveDNSServer{Lifetime: o.RDNSS.Lifetime, Servers: o.RDNSS.Servers}
}

func (rdnssOption) decode(o *Option) error {
	b := o.Bytes
	if b[1] < 3 || b[1]%2 == 0 {
		return fmt.Errorf("length %d, want an odd number of at least 3", b[1])
	}
	r := &config.RDNSS{Lifetime: lifetime32(b[4:8])}
	for p := b[8:]; len(p) >= 16; p = p[16:] {
		r.Servers = append(r.Servers, netip.AddrFrom16([16]byte(p[:16])))
	}
	o.RDNSS = r
	return nil
}

func (rdnssOption) compare(c *comparer, name string, w, g *Option) {
	field(c, name+" lifetime", w.RDNSS.Lifetime, g.RDNSS.Lifetime)
	list(c, name+" server", w.RDNSS.Servers, g.RDNSS.Servers)
}

func (rdnssOption) describe(o *Option) (string, bool) {
	if o.RDNSS == nil {
		return "", false
	}
	addrs := make([]string, len(o.RDNSS.Servers))
	for i, a := range o.RDNSS.Servers {
		addrs[i] = a.String()
	}
	return fmt.Sprintf("%s lifetime %s", strings.Join(addrs, " "), lifetime(o.RDNSS.Lifetime)), true
}

// final withdraws the servers when ifc.WithdrawOnStop is set: lifetime 0
// tells hosts to stop using them at once (RFC 8106 §5.1).
func (rdnssOption) final(ifc *config.Interface) {
	if !ifc.WithdrawOnStop {
		return
	}
	for i := range ifc.RDNSS {
		ifc.RDNSS[i].Lifetime = 0
	}
}

// withdraw sends servers no longer offered in extra RDNSS options with
// lifetime 0 that list only those servers (RFC 8106 §5.1). ChromeOS
// clears all its servers on such an option and then learns next's again
// from the same RA; that is its behaviour, not a reason to keep stale
// servers.
func (rdnssOption) withdraw(old config.Interface, out *config.Interface) {
	next := out.RDNSS
	var servers []netip.Addr
	for _, r := range old.RDNSS {
		if r.Lifetime == 0 {
			continue
		}
		for _, s := range r.Servers {
			if !slices.ContainsFunc(next, func(n config.RDNSS) bool { return slices.Contains(n.Servers, s) }) &&
				!slices.Contains(servers, s) {
				servers = append(servers, s)
			}
		}
	}
	for c := range slices.Chunk(servers, limits.MaxRDNSSServers) {
		out.RDNSS = append(out.RDNSS, config.RDNSS{Servers: c})
	}
}
