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
	"github.com/ralab/ralab/internal/lograte"
	"github.com/ralab/ralab/internal/udpio"
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

	udp []*udpio.Socket
	tcp []*net.TCPListener

	// ifname is the zone of link-local clients; guard and nt keep replies
	// to unresolved neighbours from filling the send buffers (nil without
	// an interface).
	ifname   string
	guard    *udpio.Guard
	nt       *udpio.NeighbourTable
	sendLogs lograte.Limiter

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
		h:        cfg.Handler,
		log:      log.With("component", "dnsresponder", "interface", cfg.Interface),
		onQuery:  cfg.OnQuery,
		c:        newCounters(cfg.Interface, cfg.Metrics),
		closing:  make(chan struct{}),
		conns:    make(map[*net.TCPConn]struct{}),
		ifname:   cfg.Interface,
		sendLogs: lograte.Limiter{PerSecond: sendLogsPerSecond},
	}
	if err := s.openGuard(); err != nil {
		return nil, err
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

// openGuard opens the neighbour table of the server's interface, if it
// has one.
func (s *Server) openGuard() error {
	if s.ifname == "" {
		return nil
	}
	ifi, err := net.InterfaceByName(s.ifname)
	if err != nil {
		return fmt.Errorf("%w: interface %s: %w", ErrAddr, s.ifname, err)
	}
	nt, err := udpio.OpenNeighbourTable(ifi.Index)
	if err != nil {
		return err
	}
	s.nt, s.guard = nt, udpio.NewGuard(nt.Lookup)
	return nil
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
		udp, err := udpio.Adopt(pc, 0)
		if err != nil {
			return fmt.Errorf("%w: udp %v: %w", ErrAddr, ap, err)
		}
		port := udp.LocalAddr().Port()
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
		out = append(out, u.LocalAddr())
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
		if s.nt != nil {
			s.nt.Close()
		}
	})
	return nil
}

// UDP batch sizes.
const (
	// udpBatch is how many datagrams serveUDP reads and sends per system
	// call.
	udpBatch = 16
	// udpReadSize is the largest query read over UDP; a longer one is
	// dropped as malformed (EDNS requestors stay under 4096 bytes, RFC
	// 6891 §6.2.5).
	udpReadSize = 4096
)

// serveUDP answers the queries arriving on u until it is closed. It reads
// and sends in batches and never waits to send (package udpio): a reply
// that does not fit the send buffer, or whose destination does not
// answer Neighbor Discovery, is dropped and counted, so that spoofed
// on-link sources cannot hold back the answers to real clients.
func (s *Server) serveUDP(u *udpio.Socket) error {
	r := udpio.NewReader(u, udpBatch, udpReadSize, s.ifname)
	w := udpio.NewWriter(u, udpBatch)
	for {
		n, err := r.Read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("reading DNS over UDP on %v: %w", u.LocalAddr(), err)
		}
		if d := r.NewDrops(); d > 0 {
			s.c.dropN(DropReceiveQueue, uint64(d))
		}
		now := time.Now()
		for i := range n {
			m := &r.Msgs[i]
			from := netip.AddrPortFrom(m.Src.Addr().Unmap(), m.Src.Port())
			if m.Truncated {
				s.c.drop(DropMalformed)
				continue
			}
			out, ok := s.handle(m.Buf[:m.N], UDP, from)
			if !ok {
				continue
			}
			if !s.guard.Allow(from.Addr(), now) {
				s.notSent(DropNeighbour, from, now, nil)
				continue
			}
			w.Add(out, from, m.Scope)
		}
		s.flush(w, now)
	}
}

// flush sends the responses w holds and counts those not sent.
func (s *Server) flush(w *udpio.Writer, now time.Time) {
	n := w.Len()
	if n == 0 {
		return
	}
	if _, err := w.Flush(); err != nil {
		return // closed
	}
	for _, err := range w.Errs[:n] {
		switch {
		case err == nil:
		case errors.Is(err, udpio.ErrWouldBlock):
			s.notSent(DropSendBuffer, netip.AddrPort{}, now, err)
		default:
			s.notSent(DropWrite, netip.AddrPort{}, now, err)
		}
	}
}

// notSent counts a response not sent for reason and logs it, at most
// sendLogsPerSecond times a second with the number suppressed since.
func (s *Server) notSent(reason string, to netip.AddrPort, now time.Time, err error) {
	s.c.drop(reason)
	if n, ok := s.sendLogs.Allow(now); ok {
		args := []any{"reason", reason, "suppressed_since_last", n}
		if to.IsValid() {
			args = append(args, "client", to)
		}
		if err != nil {
			args = append(args, "err", err)
		}
		s.log.Warn("DNS response not sent", args...)
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
			s.log.Warn("cannot accept DNS TCP connection", "err", err)
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
			s.log.Debug("cannot send DNS response", "client", from, "err", err)
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
		s.log.Debug("dropped DNS message", "client", client, "transport", t, "reason", reason, "err", err)
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

// sendLogsPerSecond bounds the "DNS response not sent" log records.
const sendLogsPerSecond = 10
