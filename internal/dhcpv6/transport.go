package dhcpv6

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/ralab/ralab/internal/udpio"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// Transport sizes.
const (
	// batchSize is how many datagrams a worker reads and sends per system
	// call.
	batchSize = 32
	// readSize is the largest datagram read; a longer one is discarded as
	// malformed (RFC 8415 messages from clients and relays are far
	// smaller).
	readSize = 16 << 10
	// maxWorkers bounds the workers per interface: they share one socket,
	// whose reads the kernel serialises.
	maxWorkers = 4
)

// sock is the server's UDP socket with what its workers share.
type sock struct {
	s   *udpio.Socket
	ifi *net.Interface // nil for a socket from WithListener
	// guard keeps replies to unresolved neighbours from filling the send
	// buffer (package udpio); nil for a socket from WithListener.
	guard *udpio.Guard
	nt    *udpio.NeighbourTable
	// slow sends delayed replies, off the workers.
	slowMu sync.Mutex
	slow   *udpio.Writer
}

// newSock takes over pc, a *net.UDPConn, bound to ifi (nil: not bound to
// an interface, no neighbour guard); it closes pc.
func newSock(pc net.PacketConn, ifi *net.Interface) (*sock, error) {
	us, err := udpio.Adopt(pc, pollInterval)
	if err != nil {
		return nil, fmt.Errorf("dhcpv6: %w", err)
	}
	sk := &sock{s: us, ifi: ifi, slow: udpio.NewWriter(us, 1)}
	if ifi != nil {
		nt, err := udpio.OpenNeighbourTable(ifi.Index)
		if err != nil {
			us.Close()
			return nil, fmt.Errorf("dhcpv6: %w", err)
		}
		sk.nt, sk.guard = nt, udpio.NewGuard(nt.Lookup)
	}
	return sk, nil
}

// close closes the socket and the neighbour table.
func (sk *sock) close() {
	sk.s.Close()
	if sk.nt != nil {
		sk.nt.Close()
	}
}

// zone is the zone of link-local addresses on the socket's interface.
func (sk *sock) zone() string {
	if sk.ifi == nil {
		return ""
	}
	return sk.ifi.Name
}

// listen binds UDP [::]:547 with SO_BINDTODEVICE on ifi, so that only
// messages received on ifi reach it and a server on another interface can
// bind the same port, joins the DHCPv6 server groups on ifi and asks for
// each datagram's destination address.
func listen(ctx context.Context, ifi *net.Interface) (*sock, error) {
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
	return newSock(pc, ifi)
}

// workers returns how many workers serve one interface: one per two
// cores, at least one and at most maxWorkers. The other half is left to
// the kernel, which does most of the work of a reply in the worker's
// send and receive calls and in softirq: on 2 cores, one worker answered
// 60,400-69,000 Information-Requests a second at 10.5-12.1 µs of CPU a
// reply, where two answered 45,700-58,400 at 14.9-16.7 µs, with a higher
// p99 (closed loop of 64 outstanding, 4 s runs alternating between the
// two, three pairs).
func workers() int {
	return max(1, min(runtime.GOMAXPROCS(0)/2, maxWorkers))
}

// serve answers messages on sk with workers() workers until ctx ends,
// the interface (when sk has one) goes away, or the socket fails.
func (s *Server) serve(ctx context.Context, sk *sock, h *Handler) error {
	stop := context.AfterFunc(ctx, sk.s.Shutdown)
	defer stop()
	n := workers()
	errc := make(chan error, n)
	for range n {
		go func() { errc <- s.work(ctx, sk, h) }()
	}
	err := <-errc
	sk.s.Shutdown() // stops the other workers
	for range n - 1 {
		<-errc
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// worker is one serving goroutine's state: its batches and reply buffers.
type worker struct {
	r *udpio.Reader
	w *udpio.Writer
	// replies are the reply buffers, one per datagram of a batch, and
	// types the type of each reply added to w.
	replies [batchSize][]byte
	types   [batchSize]MessageType
}

// work is one worker: it reads a batch, answers it and sends the answers
// in one batch, until the socket fails or is closed.
func (s *Server) work(ctx context.Context, sk *sock, h *Handler) error {
	wk := &worker{r: udpio.NewReader(sk.s, batchSize, readSize, sk.zone()), w: udpio.NewWriter(sk.s, batchSize)}
	for i := range wk.replies {
		wk.replies[i] = make([]byte, 0, 1024)
	}
	for {
		n, err := wk.r.Read()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if sk.ifi != nil && !same(sk.ifi) {
					return errInterfaceGone
				}
				continue
			}
			if sk.ifi != nil && !same(sk.ifi) {
				return errInterfaceGone
			}
			return err
		}
		if d := wk.r.NewDrops(); d > 0 {
			s.m.kernelDropped(h.ifname, d)
		}
		s.answerBatch(ctx, sk, h, wk, n)
	}
}

// answerBatch answers the n datagrams in wk.r and sends the answers.
func (s *Server) answerBatch(ctx context.Context, sk *sock, h *Handler, wk *worker, n int) {
	now := time.Now()
	for i := range n {
		m := &wk.r.Msgs[i]
		if !m.Src.IsValid() || (sk.ifi != nil && m.IfIndex != 0 && m.IfIndex != sk.ifi.Index) {
			// SO_BINDTODEVICE makes the latter impossible; never answer
			// on the wrong link.
			continue
		}
		msg := m.Buf[:m.N]
		if m.Truncated {
			h.discardUnread(msg, m.Src, now, fmt.Errorf("%w: datagram longer than %d bytes", ErrDiscardMalformed,
				readSize))
			continue
		}
		out, err := s.process(h, msg, m.Src, m.Dst, now, wk.replies[i][:0])
		if err != nil {
			continue
		}
		if out.delay > 0 {
			s.sendLater(ctx, sk, h, bytes.Clone(out.reply), out.to, m.Scope, out.delay)
			continue
		}
		if cap(out.reply) > cap(wk.replies[i]) {
			wk.replies[i] = out.reply[:0] // keep the grown buffer
		}
		if !sk.guard.Allow(out.to.Addr(), now) {
			s.notSent(h, out.to, now, ErrDiscardNeighbourUnresolved)
			continue
		}
		wk.types[wk.w.Len()] = innerType(out.reply)
		wk.w.Add(out.reply, out.to, m.Scope)
	}
	s.flush(sk, h, wk.w, wk.types[:], now)
}

// flush sends what w holds and counts each reply sent or not.
func (s *Server) flush(sk *sock, h *Handler, w *udpio.Writer, types []MessageType, now time.Time) {
	n := w.Len()
	if n == 0 {
		return
	}
	if _, err := w.Flush(); err != nil {
		// The socket was closed under us.
		return
	}
	for i := range n {
		switch err := w.Errs[i]; {
		case err == nil:
			s.m.replied(h.ifname, types[i])
		case errors.Is(err, udpio.ErrWouldBlock):
			s.notSent(h, netip.AddrPort{}, now, ErrDiscardSendBufferFull)
		default:
			s.notSent(h, netip.AddrPort{}, now, fmt.Errorf("%w: %w", ErrDiscardSendFailed, err))
		}
	}
}

// sendLater sends reply to to after delay (an impairment, field guide
// F9) unless ctx has ended by then.
func (s *Server) sendLater(ctx context.Context, sk *sock, h *Handler, reply []byte, to netip.AddrPort, scope uint32,
	delay time.Duration) {
	time.AfterFunc(delay, func() {
		if ctx.Err() != nil {
			return
		}
		now := time.Now()
		if !sk.guard.Allow(to.Addr(), now) {
			s.notSent(h, to, now, ErrDiscardNeighbourUnresolved)
			return
		}
		sk.slowMu.Lock()
		defer sk.slowMu.Unlock()
		sk.slow.Add(reply, to, scope)
		s.flush(sk, h, sk.slow, []MessageType{innerType(reply)}, now)
	})
}

// notSent counts a reply that was built but not sent, and logs it,
// rate-limited.
func (s *Server) notSent(h *Handler, to netip.AddrPort, now time.Time, err error) {
	h.m.discarded(h.ifname, Reason(err))
	if n, ok := s.sendLogs.Allow(now); ok {
		args := []any{"reason", Reason(err), "err", err.Error(), "suppressed_since_last", n}
		if to.IsValid() {
			args = append(args, "to", to.String())
		}
		s.log.Warn("dhcpv6 reply not sent", args...)
	}
}
