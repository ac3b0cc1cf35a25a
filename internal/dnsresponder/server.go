package dnsresponder

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// Server limits.
const (
	// MaxTCPConns is the number of TCP connections served at once; further
	// connections are closed at once and counted as DropTCPLimit.
	MaxTCPConns = 64
	// TCPIdleTimeout closes a TCP connection that sends no query for this
	// long; RFC 7766 §6.2.3 recommends idle timeouts "on the order of
	// seconds".
	TCPIdleTimeout = 10 * time.Second
	// tcpWriteTimeout bounds the write of one TCP response.
	tcpWriteTimeout = 10 * time.Second
	// acceptBackoff is the pause after a failed accept (such as EMFILE)
	// before the next one.
	acceptBackoff = 50 * time.Millisecond
	// portTries is how often Listen tries to get the same free port for
	// UDP and TCP when an address has port 0.
	portTries = 10
)

// Errors returned by Listen.
var (
	// ErrNoHandler reports a ServerConfig without Handler.
	ErrNoHandler = errors.New("no DNS handler")
	// ErrNoAddrs reports a ServerConfig without addresses.
	ErrNoAddrs = errors.New("no DNS listen addresses")
	// ErrAddr reports an address that cannot be listened on.
	ErrAddr = errors.New("invalid DNS listen address")
)

// QueryFunc is called once for every answered query with the client's
// address and port, the question (zero when the query had none) and the
// response code. It runs on the serving goroutine: it must be quick and
// safe for concurrent use.
type QueryFunc func(client netip.AddrPort, q dns.Question, rcode int)

// ServerConfig configures a Server.
type ServerConfig struct {
	// Handler answers the queries. Required.
	Handler *Handler
	// Addrs are the addresses served over both UDP and TCP, usually the
	// advertised RDNSS addresses with port 53. They need not be on the
	// interface yet: the sockets use IP(V6)_FREEBIND, so the caller may
	// add the addresses after Listen, and a tentative address (during
	// DAD) does not fail the bind. A port of 0 picks a free port, the
	// same for UDP and TCP. Binding the unspecified address works but
	// replies may then leave from a different address than the query
	// went to; bind the advertised addresses instead.
	Addrs []netip.AddrPort
	// Interface, when not empty, binds every socket to that interface
	// (SO_BINDTODEVICE, which needs CAP_NET_RAW), is the zone of
	// link-local addresses given without one (bound by the interface's
	// index, looked up in Listen), and is the "interface" label of the
	// metrics.
	Interface string
	// Logger receives the log; nil means slog.Default().
	Logger *slog.Logger
	// Metrics receives the Prometheus counters; nil means none.
	Metrics *Metrics
	// OnQuery, when not nil, is called for every answered query.
	OnQuery QueryFunc
}

// Server serves a Handler over UDP and TCP.
type Server struct {
	h       *Handler
	log     *slog.Logger
	onQuery QueryFunc
	c       *counters

	udp []*net.UDPConn
	tcp []*net.TCPListener

	wg        sync.WaitGroup
	closeOnce sync.Once
	closing   chan struct{}
	mu        sync.Mutex
	conns     map[*net.TCPConn]struct{}
}

// Listen opens the UDP and TCP sockets of cfg and returns a Server ready
// to Run. On error no socket stays open.
func Listen(ctx context.Context, cfg ServerConfig) (*Server, error) {
	if cfg.Handler == nil {
		return nil, ErrNoHandler
	}
	if len(cfg.Addrs) == 0 {
		return nil, ErrNoAddrs
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		h:       cfg.Handler,
		log:     log.With("component", "dnsresponder", "interface", cfg.Interface),
		onQuery: cfg.OnQuery,
		c:       newCounters(cfg.Interface, cfg.Metrics),
		closing: make(chan struct{}),
		conns:   make(map[*net.TCPConn]struct{}),
	}
	lc := net.ListenConfig{Control: control(cfg.Interface)}
	for _, ap := range cfg.Addrs {
		if !ap.IsValid() {
			s.Close()
			return nil, fmt.Errorf("%w: %v", ErrAddr, ap)
		}
		a := ap.Addr().Unmap()
		if a.Is6() && a.IsLinkLocalUnicast() && (a.Zone() == "" || a.Zone() == cfg.Interface) {
			if cfg.Interface == "" {
				s.Close()
				return nil, fmt.Errorf("%w: link-local %v needs a zone or ServerConfig.Interface", ErrAddr, a)
			}
			// Bind with the interface index, looked up now: Go resolves a
			// zone name through a process-wide cache that is refreshed
			// only once a minute, so it may still hold the index of a
			// deleted interface of that name, or one from another
			// network namespace.
			ifi, err := net.InterfaceByName(cfg.Interface)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("%w: link-local %v: %w", ErrAddr, a, err)
			}
			a = a.WithZone(strconv.Itoa(ifi.Index))
		}
		if err := s.listen(ctx, &lc, netip.AddrPortFrom(a, ap.Port())); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// listen opens the UDP and TCP sockets of ap.
func (s *Server) listen(ctx context.Context, lc *net.ListenConfig, ap netip.AddrPort) error {
	var err error
	for range portTries {
		var pc net.PacketConn
		pc, err = lc.ListenPacket(ctx, "udp", ap.String())
		if err != nil {
			return fmt.Errorf("%w: udp %v: %w", ErrAddr, ap, err)
		}
		udp := pc.(*net.UDPConn)
		port := udp.LocalAddr().(*net.UDPAddr).AddrPort().Port()
		var ln net.Listener
		ln, err = lc.Listen(ctx, "tcp", netip.AddrPortFrom(ap.Addr(), port).String())
		if err == nil {
			s.udp = append(s.udp, udp)
			s.tcp = append(s.tcp, ln.(*net.TCPListener))
			return nil
		}
		udp.Close()
		if ap.Port() != 0 || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return fmt.Errorf("%w: tcp %v: %w", ErrAddr, ap, err)
}

// control returns the socket setup of every listener: IP(V6)_FREEBIND so
// that an address not yet on the interface can be bound, and
// SO_BINDTODEVICE to ifname when it is not empty.
func control(ifname string) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if strings.HasSuffix(network, "6") {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_FREEBIND, 1)
			} else {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_FREEBIND, 1)
			}
			if serr != nil {
				serr = fmt.Errorf("setting FREEBIND: %w", serr)
				return
			}
			if ifname != "" {
				if serr = unix.BindToDevice(int(fd), ifname); serr != nil {
					serr = fmt.Errorf("binding to device %q: %w", ifname, serr)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}

// Addrs returns the addresses the server listens on, with the ports
// chosen for port 0, in ServerConfig.Addrs order.
func (s *Server) Addrs() []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(s.udp))
	for _, u := range s.udp {
		out = append(out, u.LocalAddr().(*net.UDPAddr).AddrPort())
	}
	return out
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats { return s.c.snapshot() }

// Run serves queries until ctx is done or a socket fails, then closes the
// server. It returns nil after ctx is done or Close, else the socket
// error. Run must be called at most once.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, len(s.udp)+len(s.tcp))
	for _, u := range s.udp {
		s.wg.Go(func() { errc <- s.serveUDP(u) })
	}
	for _, l := range s.tcp {
		s.wg.Go(func() { errc <- s.serveTCP(l) })
	}
	s.log.Info("DNS responder listening", "zone", s.h.Zone(), "addrs", s.Addrs())
	var err error
	select {
	case <-ctx.Done():
	case <-s.closing:
	case err = <-errc:
	}
	s.Close()
	s.wg.Wait()
	if err != nil {
		return err
	}
	s.log.Info("DNS responder stopped")
	return nil
}

// Close closes every socket and TCP connection; Run then returns. It is
// safe to call more than once and from any goroutine.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		for _, u := range s.udp {
			u.Close()
		}
		for _, l := range s.tcp {
			l.Close()
		}
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	return nil
}

// serveUDP answers the queries arriving on u until it is closed.
func (s *Server) serveUDP(u *net.UDPConn) error {
	buf := make([]byte, 65535)
	for {
		n, from, err := u.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("reading DNS over UDP on %v: %w", u.LocalAddr(), err)
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		out, ok := s.handle(buf[:n], UDP, from)
		if !ok {
			continue
		}
		if _, err := u.WriteToUDPAddrPort(out, from); err != nil {
			s.c.drop(DropWrite)
			s.log.Debug("cannot send DNS response", "client", from, "error", err)
		}
	}
}

// serveTCP accepts connections on l until it is closed.
func (s *Server) serveTCP(l *net.TCPListener) error {
	for {
		c, err := l.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Such as EMFILE: keep serving the connections we have.
			s.log.Warn("cannot accept DNS TCP connection", "error", err)
			select {
			case <-s.closing:
				return nil
			case <-time.After(acceptBackoff):
			}
			continue
		}
		if !s.track(c) {
			s.c.drop(DropTCPLimit)
			c.Close()
			continue
		}
		s.wg.Go(func() {
			defer s.untrack(c)
			s.serveConn(c)
		})
	}
}

// track records c as open and reports whether it may be served.
func (s *Server) track(c *net.TCPConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		return false
	default:
	}
	if len(s.conns) >= MaxTCPConns {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// untrack closes c and forgets it.
func (s *Server) untrack(c *net.TCPConn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// serveConn answers the length-prefixed queries of one TCP connection
// (RFC 1035 §4.2.2) in order, until the client closes it, stays idle for
// TCPIdleTimeout, or sends a malformed message.
func (s *Server) serveConn(c *net.TCPConn) {
	from := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	r := bufio.NewReader(c)
	var lenBuf [2]byte
	for {
		if err := c.SetReadDeadline(time.Now().Add(TCPIdleTimeout)); err != nil {
			return
		}
		if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint16(lenBuf[:]))
		if _, err := io.ReadFull(r, msg); err != nil {
			return
		}
		out, ok := s.handle(msg, TCP, from)
		if !ok {
			return // A client that sends garbage loses its connection.
		}
		frame := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(out)), uint16(len(out)))
		frame = append(frame, out...)
		if err := c.SetWriteDeadline(time.Now().Add(tcpWriteTimeout)); err != nil {
			return
		}
		if _, err := c.Write(frame); err != nil {
			s.c.drop(DropWrite)
			s.log.Debug("cannot send DNS response", "client", from, "error", err)
			return
		}
	}
}

// handle answers one query from client, counts it, logs it and calls the
// hook. It reports false when the message is dropped.
func (s *Server) handle(b []byte, t Transport, client netip.AddrPort) ([]byte, bool) {
	out, res, err := s.h.Handle(b, t)
	if err != nil {
		reason := DropMalformed
		if errors.Is(err, ErrNotQuery) {
			reason = DropResponse
		}
		s.c.drop(reason)
		s.log.Debug("dropped DNS message", "client", client, "transport", t, "reason", reason, "error", err)
		return nil, false
	}
	s.c.answered(client.Addr().WithZone(""), t, res, time.Now())
	s.log.Debug("DNS query", "client", client, "transport", t,
		"name", res.Question.Name, "type", dns.Type(res.Question.Qtype).String(),
		"rcode", rcodeName(res.Rcode), "truncated", res.Truncated, "dns64", res.Synthesized)
	if s.onQuery != nil {
		s.onQuery(client, res.Question, res.Rcode)
	}
	return out, true
}
