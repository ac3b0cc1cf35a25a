package impair

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/ralab/ralab/internal/config"
)

// secondParams configure second-router (F15).
type secondParams struct {
	mac            net.HardwareAddr
	mode           string
	servers        []netip.Addr
	rdnssLifetime  time.Duration
	routerLifetime time.Duration
}

// sameAsDaemon marks a lifetime parameter that copies the daemon's value.
const sameAsDaemon = -1

func (p secondParams) start(time.Time, *rand.Rand) impairment { return &second{p: p} }

// second describes a second router whose RDNSS conflicts with the
// daemon's, or withdraws the daemon's servers with lifetime 0.
type second struct {
	base
	p secondParams
}

func (s *second) second(ifc config.Interface) (Router, bool) {
	c := clone(ifc)
	c.DHCPv6 = config.DHCPv6{}
	c.OtherConfig, c.Managed = false, false
	if s.p.routerLifetime != sameAsDaemon {
		c.RouterLifetime = s.p.routerLifetime
	}
	lt := s.p.rdnssLifetime
	if lt == sameAsDaemon {
		// RFC 8106 §5.1: at least 3 × MaxRtrAdvInterval.
		lt = 3 * ifc.MaxInterval
		if len(ifc.RDNSS) > 0 {
			lt = ifc.RDNSS[0].Lifetime
		}
	}
	switch s.p.mode {
	case "withdraw":
		for i := range c.RDNSS {
			c.RDNSS[i].Lifetime = 0
		}
	default:
		c.RDNSS = []config.RDNSS{{Servers: s.p.servers, Lifetime: lt}}
	}
	return Router{MAC: s.p.mac, LinkLocal: LinkLocal(s.p.mac), Config: c}, true
}

// LinkLocal returns the link-local address formed from mac by modified
// EUI-64 (RFC 4291 Appendix A).
func LinkLocal(mac net.HardwareAddr) netip.Addr {
	var b [16]byte
	b[0], b[1] = 0xfe, 0x80
	if len(mac) != 6 {
		return netip.Addr{}
	}
	b[8], b[9], b[10] = mac[0]^0x02, mac[1], mac[2]
	b[11], b[12] = 0xff, 0xfe
	b[13], b[14], b[15] = mac[3], mac[4], mac[5]
	return netip.AddrFrom16(b)
}
