package advertiser

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// wire is where the advertiser's packets go. linkWire is the real link;
// tests substitute a recorder.
type wire interface {
	// ra writes msg to dst through the ICMPv6 socket, which adds the IPv6
	// header and checksum.
	ra(msg *ndp.RouterAdvertisement, dst netip.Addr) error
	// ipv6 writes pkt, a whole IPv6 packet such as a fragment (F13), to
	// dst on the link.
	ipv6(pkt []byte, dst netip.Addr) error
	// frame writes a whole Ethernet frame, such as a second router's RA
	// from another MAC address (F15).
	frame(b []byte) error
}

// ErrFrame reports an Ethernet frame too short to hold a destination.
var ErrFrame = errors.New("advertiser: frame shorter than an Ethernet header")

// linkWire writes to one interface: RAs through the NDP socket, raw IPv6
// packets through an IPPROTO_RAW socket and frames through an AF_PACKET
// socket. The raw sockets are opened on first use, since only some
// impairments need them.
type linkWire struct {
	conn Conn
	st   LinkState
	name string
	// raw is the IPPROTO_RAW socket, or -1.
	raw int
	pkt *packet.Conn
}

// newLinkWire returns a linkWire writing RAs to conn.
func newLinkWire(conn Conn, name string, st LinkState) *linkWire {
	return &linkWire{conn: conn, st: st, name: name, raw: -1}
}

func (l *linkWire) ra(msg *ndp.RouterAdvertisement, dst netip.Addr) error {
	return l.conn.WriteTo(msg, nil, dst)
}

// ipv6 sends pkt on a raw IPv6 socket. An IPPROTO_RAW socket implies
// IPV6_HDRINCL on Linux (raw(7), ipv6(7)): the kernel sends the header
// as given, Fragment header included, and only resolves the next hop.
func (l *linkWire) ipv6(pkt []byte, dst netip.Addr) error {
	if l.raw < 0 {
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		if err != nil {
			return fmt.Errorf("raw IPv6 socket: %w", err)
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_HDRINCL, 1); err != nil {
			_ = unix.Close(fd)
			return fmt.Errorf("raw IPv6 socket: IPV6_HDRINCL: %w", err)
		}
		if err := unix.BindToDevice(fd, l.name); err != nil {
			_ = unix.Close(fd)
			return fmt.Errorf("raw IPv6 socket: binding to %s: %w", l.name, err)
		}
		l.raw = fd
	}
	sa := &unix.SockaddrInet6{Addr: dst.As16(), ZoneId: uint32(l.st.Index)}
	if err := unix.Sendto(l.raw, pkt, 0, sa); err != nil {
		return fmt.Errorf("raw IPv6 send to %s: %w", dst, err)
	}
	return nil
}

// frame sends b on an AF_PACKET socket that receives nothing (protocol
// 0), so the kernel puts it on the link as it is.
func (l *linkWire) frame(b []byte) error {
	if len(b) < ethHeaderLen {
		return ErrFrame
	}
	if l.pkt == nil {
		ifi := &net.Interface{Index: l.st.Index, MTU: l.st.MTU, Name: l.name, HardwareAddr: l.st.MAC}
		c, err := packet.Listen(ifi, packet.Raw, 0, nil)
		if err != nil {
			return fmt.Errorf("packet socket: %w", err)
		}
		l.pkt = c
	}
	if _, err := l.pkt.WriteTo(b, &packet.Addr{HardwareAddr: net.HardwareAddr(b[:6])}); err != nil {
		return fmt.Errorf("packet socket: %w", err)
	}
	return nil
}

// close closes the raw sockets; the NDP socket belongs to the caller.
func (l *linkWire) close() {
	if l.raw >= 0 {
		_ = unix.Close(l.raw)
		l.raw = -1
	}
	if l.pkt != nil {
		_ = l.pkt.Close()
		l.pkt = nil
	}
}

// ethHeaderLen is the length of an Ethernet II header.
const ethHeaderLen = 14

// ethFrame returns an Ethernet II frame carrying the IPv6 packet pkt from
// src to the multicast MAC address of dst (RFC 2464 §7: 33:33 followed by
// the last four octets of the address). dst must be multicast.
func ethFrame(src net.HardwareAddr, dst netip.Addr, pkt []byte) []byte {
	d := dst.As16()
	b := make([]byte, ethHeaderLen+len(pkt))
	copy(b, []byte{0x33, 0x33, d[12], d[13], d[14], d[15]})
	copy(b[6:12], src)
	b[12], b[13] = 0x86, 0xdd
	copy(b[ethHeaderLen:], pkt)
	return b
}
