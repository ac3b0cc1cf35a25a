package advertiser

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/ndp"
	"golang.org/x/net/ipv6"
)

// Conn is the NDP socket of one usable link as the advertiser uses it:
// RS come in through ReadRaw and RAs go out through WriteTo. *ndp.Conn,
// from DialNDP, is the production Conn; package advertisertest has one
// in memory, so that the whole advertiser runs in a unit test.
type Conn interface {
	// ReadRaw reads one ICMPv6 message, from its type byte on, into b.
	// The control message carries the hop limit and the interface index
	// when known; src is the IPv6 source.
	ReadRaw(b []byte) (n int, cm *ipv6.ControlMessage, src netip.Addr, err error)
	// WriteTo writes m to dst; the socket adds the IPv6 header and the
	// checksum.
	WriteTo(m ndp.Message, cm *ipv6.ControlMessage, dst netip.Addr) error
	// SetReadDeadline makes ReadRaw return an error at t; a time in the
	// past unblocks a pending ReadRaw.
	SetReadDeadline(t time.Time) error
	// Close closes the socket.
	Close() error
}

var _ Conn = (*ndp.Conn)(nil)

// DialFunc opens the NDP socket on the usable link st. An error wrapping
// os.ErrPermission is fatal; any other is retried while the link stays
// the same.
type DialFunc func(st LinkState) (Conn, error)

// DialNDP is the DialFunc of production: a raw ICMPv6 socket bound to the
// link-local address of st, joined to all-routers, receiving only RS with
// their hop limit and interface index.
func DialNDP(st LinkState) (Conn, error) {
	ifi := indexedInterface(st)
	// An address, not ndp.LinkLocal: ndp picks the first link-local
	// address without checking that it is not tentative.
	conn, _, err := ndp.Listen(ifi, ndp.Addr(st.LinkLocal.WithZone("").String()))
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", st.LinkLocal, err)
	}
	var f ipv6.ICMPFilter
	f.SetAll(true)
	f.Accept(ipv6.ICMPTypeRouterSolicitation)
	steps := []func() error{
		// All-routers, where hosts send RS (RFC 4861 §6.3.7).
		func() error { return conn.JoinGroup(netip.MustParseAddr("ff02::2")) },
		func() error { return conn.SetICMPFilter(&f) },
		func() error { return conn.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagInterface, true) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("configuring NDP socket: %w", err)
		}
	}
	return conn, nil
}
