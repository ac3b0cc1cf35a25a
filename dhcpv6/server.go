package dhcpv6

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
	"github.com/vishvananda/netlink"
	"golang.org/x/net/ipv6"
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

	// effLogs rate-limits the logging of impairment effects.
	effLogs logLimiter
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
	return &Server{base: base, log: base.With("interface", ifc.Name), m: m, opts: o, ifc: ifc, effLogs: logLimiter{perSecond: 10}}, nil
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
		s.log.Error("dhcpv6 configuration not applied", "error", err)
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
		err = s.serve(ctx, plainConn{pc}, h, nil)
		pc.Close()
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
		c, err := listen(ctx, ifi)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if same(ifi) {
				return fmt.Errorf("dhcpv6 on %s: %w", ifi.Name, err)
			}
			s.log.Info("dhcpv6 interface went away while binding", "error", err)
			continue
		}
		s.log.Info("dhcpv6 server listening", "address", "[::]:547", "duid", fmt.Sprintf("%x", h.DUID()))
		err = s.serve(ctx, c, h, ifi)
		c.Close()
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

// conn is the transport Server.serve needs.
type conn interface {
	// read returns the datagram, its source and, when known, its
	// destination address.
	read(b []byte) (n int, src netip.AddrPort, dst netip.Addr, err error)
	write(b []byte, to netip.AddrPort) error
	SetReadDeadline(t time.Time) error
	Close() error
}

// ifConn is a UDP socket bound to one interface.
type ifConn struct {
	*ipv6.PacketConn
	ifi *net.Interface
}

// listen binds UDP [::]:547 with SO_BINDTODEVICE on ifi, so that only
// messages received on ifi reach it and a server on another interface can
// bind the same port, and joins the DHCPv6 server groups on ifi.
func listen(ctx context.Context, ifi *net.Interface) (*ifConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifi.Name)
		})
		if err != nil {
			return err
		}
		return os.NewSyscallError("setsockopt SO_BINDTODEVICE", serr)
	}}
	pc, err := lc.ListenPacket(ctx, "udp6", fmt.Sprintf("[::]:%d", serverPort))
	if err != nil {
		return nil, err
	}
	p := ipv6.NewPacketConn(pc)
	for _, g := range []net.IP{allRelayAgentsAndServers, allServers} {
		if err := p.JoinGroup(ifi, &net.UDPAddr{IP: g}); err != nil {
			pc.Close()
			return nil, fmt.Errorf("join %s: %w", g, err)
		}
	}
	if err := p.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true); err != nil {
		pc.Close()
		return nil, fmt.Errorf("enable control messages: %w", err)
	}
	return &ifConn{PacketConn: p, ifi: ifi}, nil
}

// read returns one datagram received on the interface; a datagram from
// elsewhere comes back as n == 0 with an invalid source.
func (c *ifConn) read(b []byte) (int, netip.AddrPort, netip.Addr, error) {
	n, cm, from, err := c.ReadFrom(b)
	if err != nil {
		return 0, netip.AddrPort{}, netip.Addr{}, err
	}
	var dst netip.Addr
	if cm != nil {
		if cm.IfIndex != 0 && cm.IfIndex != c.ifi.Index {
			// SO_BINDTODEVICE should make this impossible; never answer
			// on the wrong link.
			return 0, netip.AddrPort{}, netip.Addr{}, nil
		}
		dst, _ = netip.AddrFromSlice(cm.Dst)
	}
	u, ok := from.(*net.UDPAddr)
	if !ok {
		return 0, netip.AddrPort{}, netip.Addr{}, nil
	}
	return n, u.AddrPort(), dst, nil
}

// write sends b to the address and port to through the interface.
func (c *ifConn) write(b []byte, to netip.AddrPort) error {
	// RFC 8415 §18.3.10: unicast through the interface the message came in
	// on; a link-local destination needs the zone.
	ua := net.UDPAddrFromAddrPort(to)
	if to.Addr().Is6() && to.Addr().IsLinkLocalUnicast() {
		ua.Zone = c.ifi.Name
	}
	_, err := c.WriteTo(b, &ipv6.ControlMessage{IfIndex: c.ifi.Index}, ua)
	return err
}

// plainConn adapts an injected net.PacketConn.
type plainConn struct{ net.PacketConn }

// read returns one datagram; the destination is unknown.
func (c plainConn) read(b []byte) (int, netip.AddrPort, netip.Addr, error) {
	n, from, err := c.ReadFrom(b)
	if err != nil {
		return 0, netip.AddrPort{}, netip.Addr{}, err
	}
	u, ok := from.(*net.UDPAddr)
	if !ok {
		return 0, netip.AddrPort{}, netip.Addr{}, nil
	}
	return n, u.AddrPort(), netip.Addr{}, nil
}

// write sends b to to.
func (c plainConn) write(b []byte, to netip.AddrPort) error {
	_, err := c.WriteTo(b, net.UDPAddrFromAddrPort(to))
	return err
}

// serve reads and answers messages until ctx ends, the interface ifi (when
// not nil) goes away, or the socket fails.
func (s *Server) serve(ctx context.Context, c conn, h *Handler, ifi *net.Interface) error {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	buf := make([]byte, 65536)
	for {
		if err := c.SetReadDeadline(time.Now().Add(pollInterval)); err != nil {
			return err
		}
		n, src, dst, err := c.read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if ifi != nil && !same(ifi) {
					return errInterfaceGone
				}
				continue
			}
			if ifi != nil && !same(ifi) {
				return errInterfaceGone
			}
			return err
		}
		if n == 0 && !src.IsValid() {
			continue
		}
		out, err := s.process(h, buf[:n], src, dst, time.Now())
		if err != nil {
			continue
		}
		if out.delay > 0 {
			// An impairment delays the answer (field guide F9); the
			// socket may be closed by then, which send logs.
			time.AfterFunc(out.delay, func() {
				if ctx.Err() == nil {
					s.send(c, h, out.reply, out.to)
				}
			})
			continue
		}
		s.send(c, h, out.reply, out.to)
	}
}

// send writes reply to to and counts it.
func (s *Server) send(c conn, h *Handler, reply []byte, to netip.AddrPort) {
	if err := c.write(reply, to); err != nil {
		s.log.Warn("dhcpv6 reply not sent", "to", to.String(), "error", err)
		return
	}
	s.m.replied(h.ifname, innerType(reply))
}
