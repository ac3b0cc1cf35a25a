package udpio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Socket is a UDP socket that Reader waits on in the kernel, on the
// reading goroutine's thread, instead of in Go's network poller (see the
// package documentation for why). It is safe for concurrent use.
type Socket struct {
	fd    int
	local netip.AddrPort
	// mu is held shared by every system call on fd and exclusively by
	// Close, so that fd is never closed, and its number reused, under a
	// call.
	mu       sync.RWMutex
	closed   bool
	shutdown atomic.Bool
	// drops is the kernel's receive-queue drop count (SO_RXQ_OVFL) as
	// last reported by Reader.NewDrops.
	drops atomic.Uint32
}

// Adopt takes over the socket of pc, a *net.UDPConn set up as the caller
// wants (bound, options set), and closes pc: from then on only the
// returned Socket uses the socket, in blocking mode, tuned for a server
// (see tune). A Read that waits
// longer than wake without a datagram returns os.ErrDeadlineExceeded, so
// that its caller can look around; wake 0 waits until a datagram comes
// or the socket is shut down.
func Adopt(pc net.PacketConn, wake time.Duration) (*Socket, error) {
	defer pc.Close()
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("udpio: %T has no file descriptor", pc)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("udpio: %w", err)
	}
	fd := -1
	var derr error
	if err := rc.Control(func(f uintptr) { fd, derr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, fmt.Errorf("udpio: %w", err)
	}
	if derr != nil {
		return nil, fmt.Errorf("udpio: dup: %w", derr)
	}
	s := &Socket{fd: fd}
	if a, ok := pc.LocalAddr().(*net.UDPAddr); ok {
		s.local = a.AddrPort()
	}
	if err := s.setBlocking(wake); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := tune(fd); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return s, nil
}

// setBlocking clears O_NONBLOCK (shared with pc's descriptor, which is
// being closed) and sets the receive timeout to wake.
func (s *Socket) setBlocking(wake time.Duration) error {
	if err := unix.SetNonblock(s.fd, false); err != nil {
		return fmt.Errorf("udpio: clear O_NONBLOCK: %w", err)
	}
	tv := unix.NsecToTimeval(wake.Nanoseconds())
	if err := unix.SetsockoptTimeval(s.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("udpio: setsockopt SO_RCVTIMEO: %w", err)
	}
	return nil
}

// LocalAddr returns the address the socket is bound to.
func (s *Socket) LocalAddr() netip.AddrPort { return s.local }

// Control calls f with the socket's descriptor, which f must not keep or
// close; it returns net.ErrClosed after Close.
func (s *Socket) Control(f func(fd int)) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return net.ErrClosed
	}
	f(s.fd)
	return nil
}

// Shutdown makes every Read, waiting or to come, return net.ErrClosed;
// Writers can still send until Close.
func (s *Socket) Shutdown() {
	if s.shutdown.Swap(true) {
		return
	}
	// shutdown(2) wakes the readers waiting in recvmmsg; Linux does so
	// for an unconnected UDP socket too, although it returns ENOTCONN.
	// An error means Close came first: nobody is waiting.
	_ = s.Control(func(fd int) { unix.Shutdown(fd, unix.SHUT_RD) })
}

// Close shuts the socket down, waits for the calls under way to return
// and closes it.
func (s *Socket) Close() error {
	s.Shutdown()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := unix.Close(s.fd); err != nil && !errors.Is(err, unix.EINTR) {
		return fmt.Errorf("udpio: close: %w", err)
	}
	return nil
}
