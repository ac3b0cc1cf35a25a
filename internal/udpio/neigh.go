package udpio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Guard limits, see the package documentation.
const (
	// Budget is how many replies a destination gets in a Window before
	// Guard looks at its neighbour entry.
	Budget = 4
	// Window is how long Linux may hold a reply for an unresolved
	// neighbour: MAX_MULTICAST_SOLICIT (3) × RETRANS_TIMER (1 s), RFC 4861
	// §10.
	Window = 3 * time.Second
	// Trust is how long a destination found resolved is not looked at
	// again.
	Trust = time.Second
	// MaxDestinations bounds the destinations Guard tracks.
	MaxDestinations = 8192
)

// nudValid is NUD_VALID (include/net/neighbour.h): the neighbour entry
// states REACHABLE, STALE, DELAY, PROBE, NOARP and PERMANENT, in which the
// kernel sends at once instead of queueing.
const nudValid = 0x02 | 0x04 | 0x08 | 0x10 | 0x40 | 0x80

// A LookupFunc returns the state (NUD_*) of the neighbour entry of a, and
// false when there is none.
type LookupFunc func(a netip.Addr) (state uint16, found bool, err error)

// Guard decides, per reply, whether it may be handed to the kernel; see
// the package documentation. It is safe for concurrent use.
type Guard struct {
	lookup LookupFunc
	mu     sync.Mutex
	dests  map[netip.Addr]*dest
	// lookupErrors counts failed neighbour lookups; the reply is then
	// sent.
	lookupErrors uint64
}

// dest is what Guard knows of one destination.
type dest struct {
	start   time.Time // of the current window
	sent    int       // replies sent in it without a look
	trusted time.Time // trusted until
}

// NewGuard returns a Guard that asks lookup about neighbour entries.
func NewGuard(lookup LookupFunc) *Guard {
	return &Guard{lookup: lookup, dests: make(map[netip.Addr]*dest)}
}

// Allow reports whether a reply to a may be sent now. Multicast and IPv4
// destinations are always allowed.
func (g *Guard) Allow(a netip.Addr, now time.Time) bool {
	if g == nil || !a.Is6() || a.Is4In6() || a.IsMulticast() {
		return true
	}
	a = a.WithZone("")
	g.mu.Lock()
	d := g.dests[a]
	if d == nil {
		if len(g.dests) >= MaxDestinations {
			g.evict(now)
		}
		d = &dest{start: now}
		g.dests[a] = d
	}
	if now.Before(d.trusted) {
		g.mu.Unlock()
		return true
	}
	if now.Sub(d.start) >= Window {
		d.start, d.sent = now, 0
	}
	if d.sent < Budget {
		d.sent++
		g.mu.Unlock()
		return true
	}
	g.mu.Unlock()

	state, found, err := g.lookup(a)
	ok := err != nil || !found || state&nudValid != 0
	g.mu.Lock()
	if err != nil {
		g.lookupErrors++
	} else if ok {
		// Resolved, or no entry at all although replies went out: the
		// destination is reached through a router.
		d.trusted = now.Add(Trust)
	}
	g.mu.Unlock()
	return ok
}

// LookupErrors returns how many neighbour lookups failed.
func (g *Guard) LookupErrors() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lookupErrors
}

// evict drops the destinations whose window and trust have both passed,
// then, if that freed nothing, an arbitrary eighth.
func (g *Guard) evict(now time.Time) {
	for a, d := range g.dests {
		if now.Sub(d.start) >= Window && !now.Before(d.trusted) {
			delete(g.dests, a)
		}
	}
	n := MaxDestinations / 8
	for a := range g.dests {
		if len(g.dests) < MaxDestinations || n == 0 {
			break
		}
		delete(g.dests, a)
		n--
	}
}

// NeighbourTable looks up neighbour entries of one interface with
// RTM_GETNEIGH requests (Linux 4.20 or later) on its own rtnetlink
// socket, in the network namespace it was opened in.
type NeighbourTable struct {
	mu      sync.Mutex
	fd      int
	ifIndex int
	seq     uint32
	buf     []byte
}

// OpenNeighbourTable opens a NeighbourTable for interface ifIndex.
func OpenNeighbourTable(ifIndex int) (*NeighbourTable, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("rtnetlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("rtnetlink bind: %w", err)
	}
	// The kernel answers a get request before sendmsg returns; the
	// timeout only guards against a lost answer.
	tv := unix.Timeval{Usec: 100000}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("rtnetlink SO_RCVTIMEO: %w", err)
	}
	return &NeighbourTable{fd: fd, ifIndex: ifIndex, buf: make([]byte, 8192)}, nil
}

// Close closes the netlink socket.
func (t *NeighbourTable) Close() error { return unix.Close(t.fd) }

// errTruncated reports a netlink answer too short to read.
var errTruncated = errors.New("truncated rtnetlink answer")

// Lookup returns the state of a's neighbour entry on the interface; it is
// a LookupFunc.
func (t *NeighbourTable) Lookup(a netip.Addr) (uint16, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	var req [16 + 12 + 4 + 16]byte
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], unix.RTM_GETNEIGH)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(req[8:], t.seq)
	req[16] = unix.AF_INET6
	binary.NativeEndian.PutUint32(req[20:], uint32(t.ifIndex))
	binary.NativeEndian.PutUint16(req[28:], 4+16)
	binary.NativeEndian.PutUint16(req[30:], unix.NDA_DST)
	a16 := a.As16()
	copy(req[32:], a16[:])
	if err := unix.Sendto(t.fd, req[:], 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, false, fmt.Errorf("RTM_GETNEIGH: %w", err)
	}
	for {
		n, _, err := unix.Recvfrom(t.fd, t.buf, 0)
		if err != nil {
			return 0, false, fmt.Errorf("RTM_GETNEIGH answer: %w", err)
		}
		state, found, done, err := parseNeighAnswer(t.buf[:n], t.seq)
		if done {
			return state, found, err
		}
	}
}

// parseNeighAnswer reads the answer to the get request seq from the
// netlink messages b; done is false when b holds none.
func parseNeighAnswer(b []byte, seq uint32) (state uint16, found, done bool, err error) {
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(b))
		typ := binary.NativeEndian.Uint16(b[4:])
		s := binary.NativeEndian.Uint32(b[8:])
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return 0, false, true, errTruncated
		}
		body := b[unix.NLMSG_HDRLEN:l]
		if s == seq {
			switch typ {
			case unix.NLMSG_ERROR:
				if len(body) < 4 {
					return 0, false, true, errTruncated
				}
				errno := -int32(binary.NativeEndian.Uint32(body))
				if errno == 0 || unix.Errno(errno) == unix.ENOENT {
					return 0, false, true, nil
				}
				return 0, false, true, fmt.Errorf("RTM_GETNEIGH: %w", unix.Errno(errno))
			case unix.RTM_NEWNEIGH:
				if len(body) < 12 {
					return 0, false, true, errTruncated
				}
				return binary.NativeEndian.Uint16(body[8:]), true, true, nil
			}
		}
		next := (l + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
		if next >= len(b) {
			break
		}
		b = b[next:]
	}
	return 0, false, false, nil
}
