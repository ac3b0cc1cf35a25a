package dhcpv6

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/lograte"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Multicast groups a server joins (RFC 8415 §7.1): All_DHCP_Relay_Agents_
// and_Servers, where clients send, and All_DHCP_Servers, where relay agents
// may send.
var (
	allRelayAgentsAndServers = net.ParseIP("ff02::1:2")
	allServers               = net.ParseIP("ff05::1:3")
)

// pollInterval is how often the server checks that its interface still
// exists, and how often it looks for the interface while waiting.
const pollInterval = time.Second

// errInterfaceGone reports that the served interface disappeared or was
// replaced by another with the same name.
var errInterfaceGone = errors.New("dhcpv6: interface went away")

// Server serves stateless DHCPv6 on one interface.
type Server struct {
	base *slog.Logger
	log  *slog.Logger
	m    *Metrics
	opts serverOptions

	mu  sync.Mutex
	ifc config.Interface
	hw  net.HardwareAddr
	h   *Handler

	// effLogs rate-limits the logging of impairment effects, sendLogs
	// that of replies not sent.
	effLogs  lograte.Limiter
	sendLogs lograte.Limiter
}

// An Option changes how a Server binds its socket; the defaults are right
// for production.
type Option func(*serverOptions)

type serverOptions struct {
	listen      func(ctx context.Context) (net.PacketConn, error)
	hw          net.HardwareAddr
	impairments func() *impair.Set
	onReply     func(at time.Time, to netip.AddrPort, msg []byte)
	onEffect    func(impair.Effect)
}

// WithOnReply calls f with every answer the server builds, before any
// impairment can drop or delay it, so that an observer knows what each
// client was meant to get. f runs on the serving goroutine and must not
// block or keep msg.
func WithOnReply(f func(at time.Time, to netip.AddrPort, msg []byte)) Option {
	return func(o *serverOptions) { o.onReply = f }
}

// WithOnEffect calls f with everything an impairment does to the server's
// traffic. f runs on the serving goroutine and must not block.
func WithOnEffect(f func(impair.Effect)) Option {
	return func(o *serverOptions) { o.onEffect = f }
}

// WithListener makes Run serve on the connection listen returns instead
// of binding UDP port 547 on the interface, and skip waiting for the
// interface. The connection gives no destination address, so the RFC 8415
// §16 unicast rule is not applied. It is meant for tests on loopback.
func WithListener(listen func(ctx context.Context) (net.PacketConn, error)) Option {
	return func(o *serverOptions) { o.listen = listen }
}

// WithHardwareAddr sets the link-layer address used for a DUID-LL or
// DUID-LLT instead of the interface's.
func WithHardwareAddr(hw net.HardwareAddr) Option {
	return func(o *serverOptions) { o.hw = hw }
}

// NewServer returns a server for the interface ifc. It checks that the
// configuration can be encoded; it does not touch the network. A nil
// logger discards logs and a nil m counts nothing.
func NewServer(ifc config.Interface, logger *slog.Logger, m *Metrics, opts ...Option) (*Server, error) {
	if !ifc.DHCPv6.Enabled {
		return nil, fmt.Errorf("%w: %s", ErrDisabled, ifc.Name)
	}
	var o serverOptions
	for _, fn := range opts {
		fn(&o)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Check everything but the link-layer address now; the interface may
	// not exist yet.
	if _, err := newPolicy(ifc, placeholderHW(o.hw)); err != nil {
		return nil, fmt.Errorf("dhcpv6 on %s: %w", ifc.Name, err)
	}
	base := logger.With("component", "dhcpv6")
	return &Server{base: base, log: base.With("interface", ifc.Name), m: m, opts: o, ifc: ifc,
		effLogs: lograte.Limiter{PerSecond: 10}, sendLogs: lograte.Limiter{PerSecond: 10}}, nil
}

// Update installs a new configuration (on SIGHUP); it takes effect for the
// next message. A configuration that cannot be encoded is logged and
// ignored.
func (s *Server) Update(ifc config.Interface) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.h != nil {
		err = s.h.Update(ifc, s.hw)
	} else {
		_, err = newPolicy(ifc, placeholderHW(s.opts.hw))
	}
	if err != nil {
		s.log.Error("dhcpv6 configuration not applied", "err", err)
		return
	}
	s.ifc = ifc
}

// placeholderHW returns hw, or a stand-in link-layer address for checking
// a configuration before the interface's own is known.
func placeholderHW(hw net.HardwareAddr) net.HardwareAddr {
	if hw != nil {
		return hw
	}
	return net.HardwareAddr{0x02, 0, 0, 0, 0, 0}
}

// handler returns the Handler for link-layer address hw, creating it on
// first use.
func (s *Server) handler(hw net.HardwareAddr) (*Handler, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.hw != nil {
		hw = s.opts.hw
	}
	s.hw = hw
	if s.h == nil {
		h, err := NewHandler(s.ifc, hw, s.base, s.m)
		if err != nil {
			return nil, err
		}
		s.h = h
		return h, nil
	}
	return s.h, s.h.Update(s.ifc, hw)
}

// Run waits for the interface to exist with a usable link-local address,
// binds UDP [::]:547 on that interface only, joins ff02::1:2 and ff05::1:3
// there and serves until ctx ends, when it returns nil. If the interface
// goes away it closes the socket and waits for the interface again.
func (s *Server) Run(ctx context.Context) error {
	if s.opts.listen != nil {
		pc, err := s.opts.listen(ctx)
		if err != nil {
			return fmt.Errorf("dhcpv6: listen: %w", err)
		}
		h, err := s.handler(s.opts.hw)
		if err != nil {
			pc.Close()
			return err
		}
		sk, err := newSock(pc, nil)
		if err != nil {
			return err
		}
		err = s.serve(ctx, sk, h)
		sk.close()
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	for {
		ifi, err := s.waitInterface(ctx)
		if err != nil {
			return nil // ctx ended
		}
		h, err := s.handler(ifi.HardwareAddr)
		if err != nil {
			return fmt.Errorf("dhcpv6 on %s: %w", ifi.Name, err)
		}
		sk, err := listen(ctx, ifi)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if same(ifi) {
				return fmt.Errorf("dhcpv6 on %s: %w", ifi.Name, err)
			}
			s.log.Info("dhcpv6 interface went away while binding", "err", err)
			continue
		}
		s.log.Info("dhcpv6 server listening", "addr", "[::]:547", "duid", fmt.Sprintf("%x", h.DUID()))
		err = s.serve(ctx, sk, h)
		sk.close()
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, errInterfaceGone) {
			return fmt.Errorf("dhcpv6 on %s: %w", ifi.Name, err)
		}
		s.log.Warn("dhcpv6 interface went away; waiting for it to return")
	}
}

// waitInterface polls until the interface is up with a link-local address
// that is no longer tentative (RFC 4862 §5.4), so replies can be sent
// from it; it returns an error only when ctx ends.
func (s *Server) waitInterface(ctx context.Context) (*net.Interface, error) {
	logged := false
	for {
		ifi, err := net.InterfaceByName(s.ifcName())
		if err == nil && ifi.Flags&net.FlagUp != 0 && hasLinkLocal(ifi) {
			return ifi, nil
		}
		if !logged {
			s.log.Info("dhcpv6 waiting for interface to be up with a link-local address")
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pollInterval / 4):
		}
	}
}

// ifcName returns the configured interface name.
func (s *Server) ifcName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ifc.Name
}

// hasLinkLocal reports whether ifi has a link-local address that completed
// duplicate address detection.
func hasLinkLocal(ifi *net.Interface) bool {
	link, err := netlink.LinkByIndex(ifi.Index)
	if err != nil {
		return false
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a.IP.IsLinkLocalUnicast() && a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) == 0 {
			return true
		}
	}
	return false
}

// same reports whether the interface still exists with the same index.
func same(ifi *net.Interface) bool {
	now, err := net.InterfaceByName(ifi.Name)
	return err == nil && now.Index == ifi.Index
}
