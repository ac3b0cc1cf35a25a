package ra

import (
	"slices"

	"github.com/ralab/ralab/internal/config"
)

// clone returns a deep copy of ifc's RA parts, so that Final and Withdrawn
// never share a slice with their argument.
func clone(ifc config.Interface) config.Interface {
	ifc.Prefixes = slices.Clone(ifc.Prefixes)
	ifc.Routes = slices.Clone(ifc.Routes)
	ifc.RDNSS = slices.Clone(ifc.RDNSS)
	for i, r := range ifc.RDNSS {
		ifc.RDNSS[i].Servers = slices.Clone(r.Servers)
	}
	ifc.DNSSL = slices.Clone(ifc.DNSSL)
	for i, d := range ifc.DNSSL {
		ifc.DNSSL[i].Domains = slices.Clone(d.Domains)
	}
	ifc.PREF64 = slices.Clone(ifc.PREF64)
	return ifc
}

// Final returns ifc as announced in the final RAs sent at shutdown.
//
// The router lifetime is 0 (RFC 4861 §6.2.5) and the router preference
// medium, as RFC 4191 §2.2 requires with lifetime 0. Routes get lifetime 0:
// the router that forwards them is leaving, and a host that kept them
// would send traffic into a black hole (radvd's RemoveRoute, on by
// default, does the same). When ifc.WithdrawOnStop is set, RDNSS, DNSSL
// and PREF64 also get lifetime 0, which tells hosts to stop using them at
// once (RFC 8106 §5.1 and §5.2, RFC 8781 §4). Apple clients ignore an RA
// with router lifetime 0 altogether (field guide F7), so they keep the DNS
// settings until those expire.
//
// Prefixes keep their lifetimes, as radvd does: the addresses hosts formed
// from them stay usable on the link whether or not this router runs, a
// restart should not deprecate them and break open connections, and a
// valid lifetime of 0 would not remove them anyway (RFC 4862 §5.5.3 e)
// keeps at least two hours). They expire on their own if ralab does not
// come back.
func Final(ifc config.Interface) config.Interface {
	ifc = clone(ifc)
	ifc.RouterLifetime = 0
	ifc.Preference = config.Medium
	for _, k := range kinds {
		if f, ok := k.(finalizer); ok {
			f.final(&ifc)
		}
	}
	return ifc
}

// Withdrawn returns next with, added, everything old advertised that next
// does not, at lifetime 0, so that the first RA after a reload withdraws
// what was removed:
//
//   - RDNSS servers no longer offered, in extra RDNSS options with lifetime
//     0 that list only those servers (RFC 8106 §5.1). ChromeOS clears all
//     its servers on such an option and then learns next's again from the
//     same RA; that is its behaviour, not a reason to keep stale servers.
//   - DNSSL domains no longer offered, likewise (RFC 8106 §5.2).
//   - Prefixes no longer offered, with valid and preferred lifetime 0.
//     RFC 4862 §5.5.3 e) makes hosts keep an unauthenticated prefix's
//     addresses valid for at least two more hours, so this deprecates the
//     addresses (preferred 0: no new connections use them) rather than
//     removing them; the valid lifetime 0 still ends them as early as the
//     rule allows.
//   - Routes no longer offered, with lifetime 0 (RFC 4191 §2.3).
//   - PREF64 prefixes no longer offered, with lifetime 0 (RFC 8781 §4).
//
// A removed captive portal cannot be withdrawn: the RFC 8910 option has no
// lifetime and no "none" value (its "unrestricted" URN would be a new
// statement, not a withdrawal), so hosts keep the old URI until they
// replace or forget it.
//
// Entries of old that already have lifetime 0 are not repeated, so that
// Withdrawn(Withdrawn(a, b), c) does not carry withdrawals forever.
func Withdrawn(old, next config.Interface) config.Interface {
	out := clone(next)
	for _, k := range kinds {
		if w, ok := k.(withdrawer); ok {
			w.withdraw(old, &out)
		}
	}
	return out
}
