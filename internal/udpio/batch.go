package udpio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// oobSize holds an IPV6_PKTINFO and an SO_RXQ_OVFL control message.
const oobSize = 128

// ErrWouldBlock reports a datagram the kernel could not take without
// waiting: the socket's send buffer is full.
var ErrWouldBlock = errors.New("send buffer full")

// Msg is one received datagram.
type Msg struct {
	// Buf holds the datagram in Buf[:N].
	Buf []byte
	N   int
	// Src is the sender; a link-local source carries the zone Reader was
	// given.
	Src netip.AddrPort
	// Scope is the sender's IPv6 scope ID (interface index), to answer a
	// link-local sender.
	Scope uint32
	// Dst is the destination address (IPV6_PKTINFO), invalid when the
	// kernel did not say.
	Dst netip.Addr
	// IfIndex is the receiving interface (IPV6_PKTINFO), 0 when unknown.
	IfIndex int
	// Truncated reports a datagram longer than Buf (MSG_TRUNC).
	Truncated bool
}

// Reader receives datagrams in batches from one socket. It is not safe
// for concurrent use; give each worker its own.
type Reader struct {
	s     *Socket
	zone  string
	hdrs  []unix.Mmsghdr
	names []unix.RawSockaddrInet6
	iovs  []unix.Iovec
	oob   []byte
	// Msgs holds the datagrams of the last Read.
	Msgs []Msg
	// drops is the socket's SO_RXQ_OVFL count stamped on the last
	// datagram that carried it.
	drops uint32
}

// NewReader returns a Reader of up to batch datagrams of up to size
// bytes each from s. zone names the interface of link-local sources.
func NewReader(s *Socket, batch, size int, zone string) *Reader {
	r := &Reader{
		s: s, zone: zone,
		hdrs:  make([]unix.Mmsghdr, batch),
		names: make([]unix.RawSockaddrInet6, batch),
		iovs:  make([]unix.Iovec, batch),
		oob:   make([]byte, batch*oobSize),
		Msgs:  make([]Msg, batch),
	}
	for i := range batch {
		r.Msgs[i].Buf = make([]byte, size)
		r.iovs[i].Base = &r.Msgs[i].Buf[0]
		r.iovs[i].SetLen(size)
		h := &r.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Iov = &r.iovs[i]
		h.Iovlen = 1
		h.Control = &r.oob[i*oobSize]
	}
	return r
}

// Read waits for datagrams and returns how many it put in Msgs. It waits
// in recvmmsg(2) for the first datagram and takes the others already
// queued (MSG_WAITFORONE). It returns os.ErrDeadlineExceeded when the
// socket's wake interval (Adopt) passed without a datagram, and
// net.ErrClosed once the socket is shut down.
func (r *Reader) Read() (int, error) {
	for i := range r.hdrs {
		r.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		r.hdrs[i].Hdr.SetControllen(oobSize)
		r.hdrs[i].Len = 0
	}
	for {
		var (
			n     int
			errno syscall.Errno
		)
		err := r.s.Control(func(fd int) {
			r0, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&r.hdrs[0])),
				uintptr(len(r.hdrs)), unix.MSG_WAITFORONE, 0, 0)
			n, errno = int(r0), e
		})
		switch {
		case err != nil:
			return 0, err
		case r.s.shutdown.Load():
			return 0, net.ErrClosed
		case errno == unix.EINTR:
			continue // a signal; SO_RCVTIMEO calls are not restarted
		case errno == unix.EAGAIN:
			return 0, os.ErrDeadlineExceeded
		case errno != 0:
			return 0, fmt.Errorf("recvmmsg: %w", errno)
		}
		for i := range n {
			r.fill(i)
		}
		return n, nil
	}
}

// fill decodes the address and control messages of datagram i.
func (r *Reader) fill(i int) {
	m := &r.Msgs[i]
	h := &r.hdrs[i]
	m.N = int(h.Len)
	m.Truncated = h.Hdr.Flags&unix.MSG_TRUNC != 0
	m.Src, m.Scope = sockaddrAddrPort(&r.names[i], r.zone)
	c := parseControl(r.oob[i*oobSize : i*oobSize+int(h.Hdr.Controllen)])
	m.Dst, m.IfIndex = c.dst, c.ifIndex
	if c.hasDrops {
		r.drops = c.drops
	}
}

// NewDrops returns how many datagrams the kernel dropped because the
// socket's receive queue was full (SO_RXQ_OVFL) since any Reader of the
// socket last returned them, as far as the datagrams this Reader read
// tell.
func (r *Reader) NewDrops() uint32 {
	for {
		last := r.s.drops.Load()
		if r.drops <= last {
			return 0
		}
		if r.s.drops.CompareAndSwap(last, r.drops) {
			return r.drops - last
		}
	}
}

// sockaddrAddrPort decodes a sockaddr_in6 or sockaddr_in.
func sockaddrAddrPort(sa *unix.RawSockaddrInet6, zone string) (netip.AddrPort, uint32) {
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	switch sa.Family {
	case unix.AF_INET6:
		a := netip.AddrFrom16(sa.Addr)
		if a.IsLinkLocalUnicast() && zone != "" {
			a = a.WithZone(zone)
		}
		return netip.AddrPortFrom(a, port), sa.Scope_id
	case unix.AF_INET:
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(s4.Addr), port), 0
	}
	return netip.AddrPort{}, 0
}

// control is what parseControl found.
type control struct {
	dst      netip.Addr
	ifIndex  int
	drops    uint32
	hasDrops bool
}

// parseControl reads IPV6_PKTINFO and SO_RXQ_OVFL from the control
// messages b, as laid out by the kernel (cmsg(3)); it ignores other
// messages and stops at a truncated one.
func parseControl(b []byte) control {
	var c control
	const hdr = unix.SizeofCmsghdr
	for len(b) >= hdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		l := int(h.Len)
		if l < hdr || l > len(b) {
			break
		}
		data := b[hdr:l]
		switch {
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			c.dst = netip.AddrFrom16([16]byte(data[:16]))
			c.ifIndex = int(binary.NativeEndian.Uint32(data[16:20]))
		case h.Level == unix.SOL_SOCKET && h.Type == unix.SO_RXQ_OVFL && len(data) >= 4:
			c.drops, c.hasDrops = binary.NativeEndian.Uint32(data), true
		}
		next := cmsgAlign(l)
		if next >= len(b) {
			break
		}
		b = b[next:]
	}
	return c
}

// cmsgAlign rounds n up as CMSG_ALIGN does.
func cmsgAlign(n int) int {
	const a = int(unsafe.Sizeof(uintptr(0)))
	return (n + a - 1) &^ (a - 1)
}

// Writer sends datagrams in batches on one socket without ever waiting.
// It is not safe for concurrent use; give each worker its own.
type Writer struct {
	s     *Socket
	hdrs  []unix.Mmsghdr
	names []unix.RawSockaddrInet6
	iovs  []unix.Iovec
	n     int
	// Errs holds, after Flush, the error of each datagram added, nil for
	// those sent: ErrWouldBlock when the send buffer was full, else the
	// errno.
	Errs []error
}

// NewWriter returns a Writer of up to batch datagrams on s.
func NewWriter(s *Socket, batch int) *Writer {
	w := &Writer{
		s:     s,
		hdrs:  make([]unix.Mmsghdr, batch),
		names: make([]unix.RawSockaddrInet6, batch),
		iovs:  make([]unix.Iovec, batch),
		Errs:  make([]error, batch),
	}
	for i := range batch {
		h := &w.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&w.names[i]))
		h.Iov = &w.iovs[i]
		h.Iovlen = 1
	}
	return w
}

// Len returns the number of datagrams added since the last Flush.
func (w *Writer) Len() int { return w.n }

// Add queues b for to; scope is the IPv6 scope ID of a link-local
// destination. b must stay unchanged until Flush. Add on a full Writer
// panics: Flush first.
func (w *Writer) Add(b []byte, to netip.AddrPort, scope uint32) {
	i := w.n
	sa := &w.names[i]
	*sa = unix.RawSockaddrInet6{}
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], to.Port())
	h := &w.hdrs[i].Hdr
	if a := to.Addr(); a.Is4() {
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		s4.Family = unix.AF_INET
		s4.Addr = a.As4()
		h.Namelen = unix.SizeofSockaddrInet4
	} else {
		sa.Family = unix.AF_INET6
		sa.Addr = a.As16()
		if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() {
			sa.Scope_id = scope
		}
		h.Namelen = unix.SizeofSockaddrInet6
	}
	if len(b) > 0 {
		w.iovs[i].Base = &b[0]
	} else {
		w.iovs[i].Base = nil
	}
	w.iovs[i].SetLen(len(b))
	w.Errs[i] = nil
	w.n++
}

// Flush sends the datagrams added with sendmmsg(2) and MSG_DONTWAIT and
// returns how many were sent; Errs tells which failed and why. A
// datagram the kernel refuses is skipped and the rest still go; once
// the send buffer is full the rest are dropped with ErrWouldBlock.
// Flush fails only when the socket is closed.
func (w *Writer) Flush() (int, error) {
	total := w.n
	sent, i := 0, 0
	err := w.s.Control(func(fd int) {
		for i < total {
			r0, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&w.hdrs[i])),
				uintptr(total-i), unix.MSG_DONTWAIT, 0, 0)
			switch {
			case e == 0:
				sent += int(r0)
				i += int(r0)
			case e == unix.EAGAIN || e == unix.ENOBUFS:
				for ; i < total; i++ {
					w.Errs[i] = ErrWouldBlock
				}
			case e == unix.EINTR:
			default:
				w.Errs[i] = e
				i++
			}
		}
	})
	w.n = 0
	return sent, err
}
