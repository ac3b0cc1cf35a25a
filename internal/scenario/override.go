package scenario

import (
	"errors"
	"fmt"
	"time"

	"github.com/ralab/ralab/internal/config"
)

// ErrOverride reports an override that does not fit the configuration it
// is applied to.
var ErrOverride = errors.New("scenario: override does not fit the configuration")

// Override changes some settings of the served interface for the whole
// scenario ([override]) or one phase ([phase.override]). A nil field
// leaves the setting alone. Lifetime overrides apply to every option of
// their kind.
type Override struct {
	// MaxInterval is MaxRtrAdvInterval, 4s to 65535s.
	MaxInterval *time.Duration
	// MinInterval is MinRtrAdvInterval, 3s to 0.75 × MaxInterval. When only
	// MaxInterval is overridden it becomes 0.75 × MaxInterval (at least
	// 3s) or 0.33 × MaxInterval from 9s on (RFC 4861 §6.2.1).
	MinInterval *time.Duration
	// RouterLifetime is 0 or MaxInterval to 65535s.
	RouterLifetime *time.Duration
	// Managed is the M flag.
	Managed *bool
	// OtherConfig is the O flag.
	OtherConfig *bool
	// RDNSSLifetime is the lifetime of every RDNSS option: 0, "infinite"
	// or at least MaxInterval.
	RDNSSLifetime *time.Duration
	// DNSSLLifetime is the lifetime of every DNSSL option, likewise.
	DNSSLLifetime *time.Duration
	// PREF64Lifetime is the lifetime of every PREF64 option, a multiple of
	// 8s up to 65528s (RFC 8781 §4).
	PREF64Lifetime *time.Duration
	// DHCPv6 turns the stateless DHCPv6 server on or off.
	DHCPv6 *bool
}

// overrideKeys are the keys of an override table, in documentation order.
var overrideKeys = []string{"max_interval", "min_interval", "router_lifetime", "managed", "other_config",
	"rdnss_lifetime", "dnssl_lifetime", "pref64_lifetime", "dhcpv6"}

// IsZero reports whether o changes nothing.
func (o Override) IsZero() bool { return o == Override{} }

// Merge returns o with the fields that top sets replaced by top's.
func (o Override) Merge(top Override) Override {
	pick := func(a, b *time.Duration) *time.Duration {
		if b != nil {
			return b
		}
		return a
	}
	pickB := func(a, b *bool) *bool {
		if b != nil {
			return b
		}
		return a
	}
	return Override{
		MaxInterval:    pick(o.MaxInterval, top.MaxInterval),
		MinInterval:    pick(o.MinInterval, top.MinInterval),
		RouterLifetime: pick(o.RouterLifetime, top.RouterLifetime),
		Managed:        pickB(o.Managed, top.Managed),
		OtherConfig:    pickB(o.OtherConfig, top.OtherConfig),
		RDNSSLifetime:  pick(o.RDNSSLifetime, top.RDNSSLifetime),
		DNSSLLifetime:  pick(o.DNSSLLifetime, top.DNSSLLifetime),
		PREF64Lifetime: pick(o.PREF64Lifetime, top.PREF64Lifetime),
		DHCPv6:         pickB(o.DHCPv6, top.DHCPv6),
	}
}

// autoMin is the MinRtrAdvInterval used when only MaxRtrAdvInterval is
// overridden: 0.33 × max from 9 s on (RFC 4861 §6.2.1 default), else
// 0.75 × max, the largest RFC 4861 allows, but at least 3 s.
func autoMin(maxInt time.Duration) time.Duration {
	if maxInt >= 9*time.Second {
		return maxInt * 33 / 100
	}
	return max(config.MinMinInterval, maxInt*3/4)
}

// Apply returns ifc with o applied. The result keeps RFC 4861 and RFC
// 8106 limits relative to the (possibly new) MaxInterval; a base value
// that no longer fits, such as a 10 s RDNSS lifetime under a new 30 s
// MaxInterval, is an error wrapping ErrOverride that names the override
// to add.
func (o Override) Apply(ifc config.Interface) (config.Interface, error) {
	ifc.RDNSS = append([]config.RDNSS(nil), ifc.RDNSS...)
	ifc.DNSSL = append([]config.DNSSL(nil), ifc.DNSSL...)
	ifc.PREF64 = append([]config.PREF64(nil), ifc.PREF64...)
	if o.MaxInterval != nil {
		ifc.MaxInterval = *o.MaxInterval
		ifc.MinInterval = autoMin(ifc.MaxInterval)
	}
	if o.MinInterval != nil {
		ifc.MinInterval = *o.MinInterval
	}
	if o.RouterLifetime != nil {
		ifc.RouterLifetime = *o.RouterLifetime
	}
	if o.Managed != nil {
		ifc.Managed = *o.Managed
	}
	if o.OtherConfig != nil {
		ifc.OtherConfig = *o.OtherConfig
	}
	if o.DHCPv6 != nil {
		ifc.DHCPv6.Enabled = *o.DHCPv6
	}
	for i := range ifc.RDNSS {
		if o.RDNSSLifetime != nil {
			ifc.RDNSS[i].Lifetime = *o.RDNSSLifetime
		}
	}
	for i := range ifc.DNSSL {
		if o.DNSSLLifetime != nil {
			ifc.DNSSL[i].Lifetime = *o.DNSSLLifetime
		}
	}
	for i := range ifc.PREF64 {
		if o.PREF64Lifetime != nil {
			ifc.PREF64[i].Lifetime = *o.PREF64Lifetime
		}
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrOverride}, args...)...))
	}
	// A scenario compresses time, but only to intervals a router may use.
	maxInt := ifc.MaxInterval
	if maxInt < config.MinMaxInterval || maxInt > config.MaxMaxInterval {
		bad("max_interval %v is outside 4s to 65535s (RFC 4861 §6.2.1, RFC 8319 §4)", maxInt)
	}
	if ifc.MinInterval < config.MinMinInterval || ifc.MinInterval > maxInt*3/4 {
		bad("min_interval %v is outside 3s to 0.75 × max_interval (%v) (RFC 4861 §6.2.1); override min_interval",
			ifc.MinInterval, maxInt*3/4)
	}
	if rl := ifc.RouterLifetime; rl != 0 && (rl < maxInt || rl > config.MaxRouterLifetime) {
		bad("router lifetime %v is neither 0 nor max_interval (%v) to 65535s (RFC 4861 §6.2.1); override router_lifetime", rl, maxInt)
	}
	for _, r := range ifc.RDNSS {
		if r.Lifetime != 0 && r.Lifetime < maxInt {
			bad("RDNSS %v lifetime %v is below max_interval %v (RFC 8106 §5.1); override rdnss_lifetime",
				r.Servers, r.Lifetime, maxInt)
		}
	}
	for _, d := range ifc.DNSSL {
		if d.Lifetime != 0 && d.Lifetime < maxInt {
			bad("DNSSL %v lifetime %v is below max_interval %v (RFC 8106 §5.2); override dnssl_lifetime",
				d.Domains, d.Lifetime, maxInt)
		}
	}
	return ifc, errors.Join(errs...)
}
