package advertisertest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/sysctl"
	"golang.org/x/net/ipv6"
)

// ErrClosed is returned by a closed Conn.
var ErrClosed = errors.New("advertisertest: connection closed")

// Packet is one message through a Conn.
type Packet struct {
	// Bytes is the ICMPv6 message from its type byte on.
	Bytes []byte
	// HopLimit is the IPv6 hop limit of a received message.
	HopLimit int
	// Addr is the source of a received message, the destination of a
	// sent one.
	Addr netip.Addr
	// At is when the advertiser wrote a sent message.
	At time.Time
}

// Conn is an advertiser.Conn in memory. Receive makes ReadRaw return a
// message; what the advertiser writes goes to Sent.
type Conn struct {
	// Link is the link state it was dialled for.
	Link advertiser.LinkState
	// Sent receives every message the advertiser writes; it is buffered,
	// and a write blocks when a test does not read it.
	Sent chan Packet

	in       chan Packet
	readErr  chan error
	mu       sync.Mutex
	deadline chan struct{}
	timer    *time.Timer
	closed   chan struct{}
	once     sync.Once
}

var _ advertiser.Conn = (*Conn)(nil)

// NewConn returns an open Conn for st.
func NewConn(st advertiser.LinkState) *Conn {
	return &Conn{Link: st, Sent: make(chan Packet, 1024), in: make(chan Packet, 64), readErr: make(chan error, 1),
		deadline: make(chan struct{}), closed: make(chan struct{})}
}

// Receive makes the advertiser read msg, from src with the given hop
// limit.
func (c *Conn) Receive(msg []byte, hopLimit int, src netip.Addr) {
	c.in <- Packet{Bytes: append([]byte(nil), msg...), HopLimit: hopLimit, Addr: src}
}

// Fail makes the next ReadRaw return err, as a socket on a vanished link
// does.
func (c *Conn) Fail(err error) { c.readErr <- err }

// Closed is closed when the advertiser closed the Conn.
func (c *Conn) Closed() <-chan struct{} { return c.closed }

// ReadRaw implements advertiser.Conn.
func (c *Conn) ReadRaw(b []byte) (int, *ipv6.ControlMessage, netip.Addr, error) {
	c.mu.Lock()
	deadline := c.deadline
	c.mu.Unlock()
	select {
	case p := <-c.in:
		n := copy(b, p.Bytes)
		return n, &ipv6.ControlMessage{HopLimit: p.HopLimit, IfIndex: c.Link.Index}, p.Addr, nil
	case err := <-c.readErr:
		return 0, nil, netip.Addr{}, err
	case <-deadline:
		return 0, nil, netip.Addr{}, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, nil, netip.Addr{}, ErrClosed
	}
}

// WriteTo implements advertiser.Conn.
func (c *Conn) WriteTo(m ndp.Message, _ *ipv6.ControlMessage, dst netip.Addr) error {
	select {
	case <-c.closed:
		return ErrClosed
	default:
	}
	b, err := ndp.MarshalMessage(m)
	if err != nil {
		return err
	}
	c.Sent <- Packet{Bytes: b, Addr: dst, At: time.Now()}
	return nil
}

// SetReadDeadline implements advertiser.Conn.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	select {
	case <-c.deadline:
		c.deadline = make(chan struct{})
	default:
	}
	if t.IsZero() {
		return nil
	}
	d := c.deadline
	c.timer = time.AfterFunc(time.Until(t), func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		select {
		case <-d:
		default:
			close(d)
		}
	})
	return nil
}

// Close implements advertiser.Conn.
func (c *Conn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// Dialer opens a Conn per dial, as advertiser.Options.Dial. Its zero
// value is ready to use.
type Dialer struct {
	// Err, when set, is returned by the next dials instead of a Conn.
	Err func(st advertiser.LinkState) error

	mu     sync.Mutex
	conns  []*Conn
	dialed chan struct{}
}

// Dial implements advertiser.DialFunc.
func (d *Dialer) Dial(st advertiser.LinkState) (advertiser.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Err != nil {
		if err := d.Err(st); err != nil {
			return nil, err
		}
	}
	c := NewConn(st)
	d.conns = append(d.conns, c)
	if d.dialed != nil {
		close(d.dialed)
		d.dialed = nil
	}
	return c, nil
}

// WaitConn returns the n-th Conn (from 1) once it is dialled, failing t
// after timeout.
func (d *Dialer) WaitConn(t testing.TB, n int, timeout time.Duration) *Conn {
	t.Helper()
	return d.wait(t, fmt.Sprintf("connection %d", n), timeout, func(cs []*Conn) *Conn {
		if len(cs) >= n {
			return cs[n-1]
		}
		return nil
	})
}

// WaitLink returns the n-th Conn (from 1) dialled for the link of the
// given index, failing t after timeout; a Dialer shared by several
// advertisers tells them apart by index.
func (d *Dialer) WaitLink(t testing.TB, index, n int, timeout time.Duration) *Conn {
	t.Helper()
	return d.wait(t, fmt.Sprintf("connection %d to link %d", n, index), timeout, func(cs []*Conn) *Conn {
		seen := 0
		for _, c := range cs {
			if c.Link.Index != index {
				continue
			}
			if seen++; seen == n {
				return c
			}
		}
		return nil
	})
}

// wait returns what pick finds among the Conns dialled, once it finds
// one.
func (d *Dialer) wait(t testing.TB, what string, timeout time.Duration, pick func([]*Conn) *Conn) *Conn {
	t.Helper()
	deadline := time.After(timeout)
	for {
		d.mu.Lock()
		if c := pick(d.conns); c != nil {
			d.mu.Unlock()
			return c
		}
		if d.dialed == nil {
			d.dialed = make(chan struct{})
		}
		ch := d.dialed
		d.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("advertisertest: %s not dialled within %v", what, timeout)
		}
	}
}

// Link is an interface whose state a test sets; Watch follows it.
type Link struct {
	mu       sync.Mutex
	state    advertiser.LinkState
	watchers []chan struct{}
}

// NewLink returns a Link in state st.
func NewLink(st advertiser.LinkState) *Link { return &Link{state: st} }

// Usable returns the state of a usable link with index index, link-local
// address fe80::N (N the index) and a MAC address from the index.
func Usable(index int) advertiser.LinkState {
	return advertiser.LinkState{
		Usable:    true,
		Index:     index,
		MTU:       1500,
		MAC:       net.HardwareAddr{2, 0, 0, 0, byte(index >> 8), byte(index)},
		LinkLocal: netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 14: byte(index >> 8), 15: byte(index)}),
	}
}

// Gone is the state of an interface that does not exist.
var Gone = advertiser.LinkState{Reason: "interface does not exist"}

// Set changes the state and tells every watcher.
func (l *Link) Set(st advertiser.LinkState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state = st
	for _, c := range l.watchers {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// watcher is one advertiser's view of a Link.
type watcher struct {
	l *Link
	c chan struct{}
}

func (w watcher) State() advertiser.LinkState {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.state
}

func (w watcher) Changed() <-chan struct{} { return w.c }

// Watch implements advertiser.WatchFunc for this one link, whatever the
// name.
func (l *Link) Watch(context.Context, string, time.Duration, *slog.Logger) advertiser.LinkWatcher {
	c := make(chan struct{}, 1)
	l.mu.Lock()
	l.watchers = append(l.watchers, c)
	l.mu.Unlock()
	return watcher{l: l, c: c}
}

// Links is a set of Links by interface name, for a daemon that runs an
// advertiser per interface. A name not added watches as Gone.
type Links struct {
	mu sync.Mutex
	m  map[string]*Link
}

// Link returns the Link called name, created Gone when new.
func (ls *Links) Link(name string) *Link {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.m == nil {
		ls.m = map[string]*Link{}
	}
	l, ok := ls.m[name]
	if !ok {
		l = NewLink(Gone)
		ls.m[name] = l
	}
	return l
}

// Watch implements advertiser.WatchFunc.
func (ls *Links) Watch(ctx context.Context, name string, recheck time.Duration,
	log *slog.Logger) advertiser.LinkWatcher {
	return ls.Link(name).Watch(ctx, name, recheck, log)
}

// Sysctls returns a sysctl.FS in a temporary directory that holds the
// files the advertiser changes for each of names, set as a host has them
// (accept_ra=1, autoconf=1).
func Sysctls(t testing.TB, names ...string) *sysctl.FS {
	t.Helper()
	root := t.TempDir()
	for _, n := range names {
		dir := filepath.Join(root, "net", "ipv6", "conf", n)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range sysctl.RouterSettings {
			if err := os.WriteFile(filepath.Join(dir, s.Key), []byte("1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return sysctl.New(root)
}

// RS returns a Router Solicitation from src with a Source Link-Layer
// Address option of mac (none when nil).
func RS(mac net.HardwareAddr) []byte {
	m := &ndp.RouterSolicitation{}
	if mac != nil {
		m.Options = []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: mac}}
	}
	b, err := ndp.MarshalMessage(m)
	if err != nil {
		panic(fmt.Sprintf("advertisertest: marshalling an RS: %v", err))
	}
	return b
}
