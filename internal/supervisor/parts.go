package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/dhcpv6"
	"github.com/ralab/ralab/internal/dnsresponder"
	"github.com/ralab/ralab/internal/impair"
)

// dhcpv6Restart is how long a DHCPv6 server that stopped on an error
// waits before it starts again.
const dhcpv6Restart = 5 * time.Second

// applyDHCPv6 starts, updates or stops the DHCPv6 server of ifc. The
// caller holds s.mu.
func (s *Supervisor) applyDHCPv6(ctx context.Context, si *served, ifc config.Interface) error {
	ifc = s.impairedDHCPv6(si, ifc)
	switch {
	case !ifc.DHCPv6.Enabled:
		s.stopDHCPv6(ifc.Name, si)
	case si.dhcp != nil:
		si.dhcp.Update(ifc)
	default:
		// The server consults the advertiser's impairments for every
		// message (F9 drops and delays), so that both share one Set.
		srv, err := dhcpv6.NewServer(ifc, s.log, s.dm, dhcpv6.WithImpairments(si.adv.Impairments),
			dhcpv6.WithOnReply(si.obs.onReply), dhcpv6.WithOnEffect(si.obs.onEffect))
		if err != nil {
			return fmt.Errorf("interface %s: DHCPv6: %w", ifc.Name, err)
		}
		si.dhcp = srv
		si.dhcpPart = s.startPart(ctx, ifc.Name+"/dhcpv6", func(ctx context.Context) {
			s.runDHCPv6(ctx, ifc.Name, srv)
		})
	}
	return nil
}

// runDHCPv6 runs srv until ctx ends, restarting it after transient
// errors; a permission error is fatal.
func (s *Supervisor) runDHCPv6(ctx context.Context, name string, srv *dhcpv6.Server) {
	for {
		err := srv.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, os.ErrPermission) {
			s.report(fmt.Errorf("interface %s: DHCPv6 needs root or CAP_NET_BIND_SERVICE: %w", name, err))
			return
		}
		s.log.Error("DHCPv6 server stopped; restarting in 5 s", "interface", name, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(dhcpv6Restart):
		}
	}
}

// stopDHCPv6 stops the DHCPv6 server of si, if running. The caller holds
// s.mu.
func (s *Supervisor) stopDHCPv6(name string, si *served) {
	if s.stopPart(name+"/dhcpv6", si.dhcpPart) {
		si.dhcp, si.dhcpPart = nil, part{}
	}
}

// impairedDHCPv6 returns ifc with the DHCPv6 configuration that si's
// impairments put in force, such as the server switched off (F10) or on
// (F11), or answering without DNS (F12). Those impairments change the
// configuration the same way whenever asked, so applying them when the
// server is started or updated is exact, and the server applying them
// again per message (WithImpairments) changes nothing more. Decisions
// about single messages (F9) are the server's.
func (s *Supervisor) impairedDHCPv6(si *served, ifc config.Interface) config.Interface {
	set := si.adv.Impairments()
	if set == nil {
		return ifc
	}
	var es []impair.Effect
	ifc.DHCPv6, es = set.DHCPv6ConfigFor(time.Now(), ifc)
	for _, e := range es {
		s.log.Info("impairment", "interface", ifc.Name, "name", e.Impairment, "fid", e.FID, "action", e.Action,
			"detail", e.Detail)
	}
	return ifc
}

// applyDNSResponder starts, restarts (when its configuration changed) or
// stops the lab DNS responder of ifc. The caller holds s.mu.
func (s *Supervisor) applyDNSResponder(ctx context.Context, si *served, ifc config.Interface) {
	// The serve configuration also holds the on-link prefixes, so a
	// changed prefix restarts the responder too. (A non-nil OnQuery hook
	// would never compare equal: set it on a copy inside the goroutine.)
	dcfg := ifc.DNSServeConfig()
	dcfg.Logger, dcfg.Metrics = s.log, s.dnsm
	if s.journal != nil {
		dcfg.Journal = s.journal
	}
	if si.dnsPart.stop != nil && reflect.DeepEqual(si.dns, dcfg) {
		return
	}
	s.stopDNSResponder(ifc.Name, si)
	if !ifc.DNSResponder.Enabled {
		return
	}
	si.dns = dcfg
	si.dnsPart = s.startPart(ctx, ifc.Name+"/dns", func(ctx context.Context) {
		s.runDNSResponder(ctx, ifc.Name, dcfg)
	})
}

// runDNSResponder runs the DNS responder until ctx ends; a permission
// error is fatal, any other is logged and the interface keeps
// advertising.
func (s *Supervisor) runDNSResponder(ctx context.Context, name string, dcfg dnsresponder.ServeConfig) {
	err := dnsresponder.Serve(ctx, dcfg)
	switch {
	case err == nil || ctx.Err() != nil:
	case errors.Is(err, os.ErrPermission):
		s.report(fmt.Errorf("interface %s: the DNS responder needs root or CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE: %w", name, err))
	default:
		s.log.Error("DNS responder stopped; the interface keeps advertising", "interface", name, "err", err)
	}
}

// stopDNSResponder stops the DNS responder of si, if running. The caller
// holds s.mu.
func (s *Supervisor) stopDNSResponder(name string, si *served) {
	if s.stopPart(name+"/dns", si.dnsPart) {
		si.dns, si.dnsPart = dnsresponder.ServeConfig{}, part{}
	}
}
