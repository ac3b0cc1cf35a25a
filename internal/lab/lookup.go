package lab

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"

	"github.com/ralab/ralab/internal/dnsname"
	"github.com/ralab/ralab/internal/netlab"
)

// lookupName is the name each client looks up (AAAA): a name of the lab
// zone that ralab's DNS responder answers.
const lookupName = "www.lab.example"

// maxLookupAnswer bounds one read of an answer; answers are discarded.
const maxLookupAnswer = 4096

// looker sends a client's DNS lookups from a UDP socket opened inside its
// namespace, so that the client's DNS use shows on the wire as a real
// client's steady lookups would. Queries leave at once, in the harness's
// own process: a lookup for the servers one sample holds is on the wire
// within milliseconds of that sample, never seconds later as a spawned
// dig can be on a loaded machine (a late query to a server the client has
// dropped looks like stale use to the observer). Answers are read and
// discarded.
type looker struct {
	conn net.PacketConn
	// zone is the interface index, for link-local servers.
	zone string
	// q is the query, built once; lookup sets its ID before each send.
	q    []byte
	id   uint16
	done sync.WaitGroup
}

// newLooker opens the socket inside h's namespace.
func newLooker(ctx context.Context, h *netlab.Host) (*looker, error) {
	idx, err := h.IfIndex(ctx)
	if err != nil {
		return nil, err
	}
	q, err := query(0, lookupName)
	if err != nil {
		return nil, err
	}
	var conn net.PacketConn
	err = h.Do(func() error {
		var err error
		conn, err = net.ListenPacket("udp6", "[::]:0")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lab: lookup socket in %s: %w", h.Name, err)
	}
	l := &looker{conn: conn, zone: strconv.Itoa(idx), q: q}
	l.done.Go(l.drain)
	return l, nil
}

// drain reads and discards answers until the socket is closed.
func (l *looker) drain() {
	buf := make([]byte, maxLookupAnswer)
	for {
		if _, _, err := l.conn.ReadFrom(buf); errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// lookup sends one AAAA query for lookupName to each server, a
// link-local one through the client's interface whatever its zone. Send
// errors (a server without a route) are expected and ignored, as a
// client's failed lookups are. It is not safe for concurrent use.
func (l *looker) lookup(servers []netip.Addr) {
	for _, a := range servers {
		to := &net.UDPAddr{IP: a.WithZone("").AsSlice(), Port: 53}
		if a.Is6() && a.IsLinkLocalUnicast() {
			to.Zone = l.zone
		}
		l.id++
		binary.BigEndian.PutUint16(l.q, l.id) // WriteTo copies q before it returns
		_, _ = l.conn.WriteTo(l.q, to)
	}
}

// close closes the socket and waits for drain.
func (l *looker) close() {
	_ = l.conn.Close()
	l.done.Wait()
}

// query returns a DNS query (RFC 1035 §4.1) with id for the AAAA record
// (type 28, RFC 3596) of name, recursion desired.
func query(id uint16, name string) ([]byte, error) {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0x00)             // RD
	b = append(b, 0, 1, 0, 0, 0, 0, 0, 0) // one question
	b, err := dnsname.Append(b, name)
	if err != nil {
		return nil, fmt.Errorf("lab: lookup name: %w", err)
	}
	return append(b, 0, 28, 0, 1), nil // AAAA, IN
}
