package udpio

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// loopback opens a UDP socket on [::1] with a free port.
func loopback(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		netlabtest.SkipOrFail(t, "no IPv6 loopback: "+err.Error())
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// adopt makes c a Socket whose reads wake every wake, closed at the end
// of the test.
func adopt(t *testing.T, c *net.UDPConn, wake time.Duration) *Socket {
	t.Helper()
	s, err := Adopt(c, wake)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// readUntil reads from r until it has want datagrams or 5 s passed.
func readUntil(t *testing.T, r *Reader, want int) []Msg {
	t.Helper()
	var got []Msg
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		n, err := r.Read()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			t.Fatalf("Read after %d datagrams: %v", len(got), err)
		}
		for _, m := range r.Msgs[:n] {
			m.Buf = append([]byte{}, m.Buf[:m.N]...)
			got = append(got, m)
		}
	}
	return got
}

// TestBatchRoundTrip sends a batch with Writer and reads it with Reader:
// payloads, sources, destinations and the receiving interface.
func TestBatchRoundTrip(t *testing.T) {
	srvConn := loopback(t)
	if err := ipv6.NewPacketConn(srvConn).SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true); err != nil {
		t.Fatal(err)
	}
	srv := adopt(t, srvConn, 100*time.Millisecond)
	cli := adopt(t, loopback(t), 0)
	w := NewWriter(cli, 4)
	payloads := [][]byte{[]byte("one"), []byte("two"), {}, []byte("four")}
	for _, p := range payloads {
		w.Add(p, srv.LocalAddr(), 0)
	}
	if w.Len() != 4 {
		t.Errorf("Writer of 4 holds %d datagrams after 4 Adds", w.Len())
	}
	if n, err := w.Flush(); n != 4 || err != nil {
		t.Fatalf("Flush = %d, %v; want 4, nil (errors %v)", n, err, w.Errs)
	}
	r := NewReader(srv, 8, 16, "")
	var got [][]byte
	for _, m := range readUntil(t, r, 4) {
		got = append(got, m.Buf[:m.N])
		if m.Src != cli.LocalAddr() {
			t.Errorf("source %v, want %v", m.Src, cli.LocalAddr())
		}
		if m.Dst != netip.IPv6Loopback() || m.IfIndex == 0 || m.Truncated {
			t.Errorf("destination %v on interface %d (truncated %v), want ::1 on lo", m.Dst, m.IfIndex, m.Truncated)
		}
	}
	if diff := cmp.Diff(payloads, got); diff != "" {
		t.Errorf("datagrams (-sent +received):\n%s", diff)
	}
	if drops := r.NewDrops(); drops != 0 {
		t.Errorf("NewDrops = %d; want 0 (the kernel reports SO_RXQ_OVFL once it dropped)", drops)
	}
}

// TestReaderTruncatedAndDrops overflows a small receive queue: Reader
// reports the kernel's drops, and a datagram longer than its buffers as
// truncated.
func TestReaderTruncatedAndDrops(t *testing.T) {
	srvConn := loopback(t)
	cli := loopback(t)
	if err := srvConn.SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	to := srvConn.LocalAddr().(*net.UDPAddr)
	srv := adopt(t, srvConn, 100*time.Millisecond)
	big := make([]byte, 100)
	for range 200 {
		if _, err := cli.WriteToUDP(big, to); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(srv, 4, 10, "")
	got := readUntil(t, r, 1)
	if len(got) == 0 {
		t.Fatal("nothing read")
	}
	if m := got[0]; !m.Truncated || m.N != 10 {
		t.Errorf("100 bytes read into 10: N %d, Truncated %v; want 10, true", m.N, m.Truncated)
	}
	// The kernel stamps the drop count on datagrams queued after a drop:
	// empty the queue, then send one more.
	for {
		if _, err := r.Read(); err != nil {
			break
		}
	}
	if _, err := cli.WriteToUDP(big, to); err != nil {
		t.Fatal(err)
	}
	if len(readUntil(t, r, 1)) == 0 {
		t.Fatal("the datagram after the drops was not read")
	}
	if drops := r.NewDrops(); drops == 0 {
		t.Error("NewDrops = 0 after 200 datagrams into a 4 KiB queue; want some")
	}
	if drops := r.NewDrops(); drops != 0 {
		t.Errorf("NewDrops = %d a second time; want 0, the drops were returned", drops)
	}
}

// TestShutdownWakesReader shuts down a socket whose reader waits without
// a wake interval: the reader returns net.ErrClosed at once, Close waits
// for it, and calls after Close fail with net.ErrClosed.
func TestShutdownWakesReader(t *testing.T) {
	s, err := Adopt(loopback(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(s, 4, 16, "")
	done := make(chan error, 1)
	go func() {
		_, err := r.Read()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the reader wait in the kernel
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still waiting 5 s after Close")
	}
	if _, err := r.Read(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close = %v, want net.ErrClosed", err)
	}
	w := NewWriter(s, 1)
	w.Add([]byte("x"), netip.MustParseAddrPort("[::1]:9"), 0)
	if _, err := w.Flush(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Flush after Close = %v, want net.ErrClosed", err)
	}
}

// TestWriterNeverWaits sends, from the lab router's namespace, to an
// on-link address nobody owns through a socket with the smallest send
// buffer: the kernel holds the datagrams while it tries to resolve the
// neighbour, the buffer fills, and Flush returns at once with the rest
// reported as ErrWouldBlock instead of waiting up to 3 s.
func TestWriterNeverWaits(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	lab := netlabtest.New(t)
	r := lab.Router()
	if out, err := r.Run(t.Context(), "ip", "addr", "add", "2001:db8:77::1/64", "dev", r.IfName, "nodad"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var c *net.UDPConn
	err := r.Do(func() error {
		var err error
		c, err = net.ListenUDP("udp6", nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s := adopt(t, c, 0)
	var serr error
	cerr := s.Control(func(fd int) { serr = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 1) })
	if err := errors.Join(cerr, serr); err != nil {
		t.Fatal(err)
	}
	to := netip.MustParseAddrPort("[2001:db8:77::99]:546")
	w := NewWriter(s, 64)
	for range 64 {
		w.Add(make([]byte, 500), to, 0)
	}
	start := time.Now()
	n, err := w.Flush()
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Flush took %v, want no wait", d)
	}
	blocked := 0
	for _, e := range w.Errs[:64] {
		if errors.Is(e, ErrWouldBlock) {
			blocked++
		} else if e != nil {
			t.Errorf("unexpected error %v", e)
		}
	}
	if n == 0 || blocked == 0 || n+blocked != 64 {
		t.Errorf("Flush sent %d and reported %d as ErrWouldBlock; want some of each, 64 in all", n, blocked)
	}
	// The same happens with nothing sent at all once the buffer is full.
	w.Add([]byte("x"), to, 0)
	if n, _ := w.Flush(); n != 0 || !errors.Is(w.Errs[0], ErrWouldBlock) {
		t.Errorf("Flush on a full buffer = %d, %v; want 0, ErrWouldBlock", n, w.Errs[0])
	}
}

// TestNeighbourTable looks up the router's neighbour entries: none for an
// address never used, INCOMPLETE once a datagram waits for it.
func TestNeighbourTable(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	lab := netlabtest.New(t)
	r := lab.Router()
	if out, err := r.Run(t.Context(), "ip", "addr", "add", "2001:db8:77::1/64", "dev", r.IfName, "nodad"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var nt *NeighbourTable
	var c *net.UDPConn
	err := r.Do(func() error {
		ifi, err := net.InterfaceByName(r.IfName)
		if err != nil {
			return err
		}
		if nt, err = OpenNeighbourTable(ifi.Index); err != nil {
			return err
		}
		c, err = net.ListenUDP("udp6", nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer nt.Close()
	defer c.Close()
	a := netip.MustParseAddr("2001:db8:77::99")
	if state, found, err := nt.Lookup(a); found || err != nil {
		t.Errorf("Lookup before any datagram = %#x, %v, %v; want not found", state, found, err)
	}
	if _, err := c.WriteToUDPAddrPort([]byte("x"), netip.AddrPortFrom(a, 546)); err != nil {
		t.Fatal(err)
	}
	if state, found, err := nt.Lookup(a); !found || err != nil || state != 0x01 {
		t.Errorf("Lookup while resolving = %#x, %v, %v; want INCOMPLETE (0x1)", state, found, err)
	}
}

// TestGuard runs Guard over a scripted neighbour table.
func TestGuard(t *testing.T) {
	const (
		incomplete = 0x01
		reachable  = 0x02
		stale      = 0x04
		failed     = 0x20
	)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		state uint16
		found bool
		err   error
		// want is Allow's answer to replies at 0, 1, ... ms.
		want []bool
		// looks is how many lookups the replies cause.
		looks int
	}{
		{name: "resolved: one look, then trusted", state: reachable, found: true,
			want: []bool{true, true, true, true, true, true, true}, looks: 1},
		{name: "stale is resolved", state: stale, found: true,
			want: []bool{true, true, true, true, true, true}, looks: 1},
		{name: "incomplete: Budget, then dropped", state: incomplete, found: true,
			want: []bool{true, true, true, true, false, false, false}, looks: 3},
		{name: "failed: dropped", state: failed, found: true,
			want: []bool{true, true, true, true, false}, looks: 1},
		{name: "no entry: routed, trusted", found: false,
			want: []bool{true, true, true, true, true, true}, looks: 1},
		{name: "lookup error: sent", err: errors.New("netlink"),
			want: []bool{true, true, true, true, true, true}, looks: 2},
	}
	dst := netip.MustParseAddr("fe80::5:1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			looks := 0
			g := NewGuard(func(a netip.Addr) (uint16, bool, error) {
				looks++
				if a != dst {
					t.Errorf("lookup of %v, want %v", a, dst)
				}
				return tt.state, tt.found, tt.err
			})
			var got []bool
			for i := range tt.want {
				got = append(got, g.Allow(dst.WithZone("eth0"), t0.Add(time.Duration(i)*time.Millisecond)))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Allow (-want +got):\n%s", diff)
			}
			if looks != tt.looks {
				t.Errorf("%d lookups, want %d", looks, tt.looks)
			}
		})
	}
}

// TestGuardWindowAndTrust checks that Budget renews after Window, that
// trust expires after Trust, and that multicast and IPv4 destinations
// are never looked at.
func TestGuardWindowAndTrust(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	state := uint16(0x01)
	looks := 0
	g := NewGuard(func(netip.Addr) (uint16, bool, error) { looks++; return state, true, nil })
	dst := netip.MustParseAddr("2001:db8::5")
	for i := range Budget + 1 {
		g.Allow(dst, t0.Add(time.Duration(i)))
	}
	if g.Allow(dst, t0.Add(Window-time.Nanosecond)) {
		t.Error("unresolved destination allowed before its window ended")
	}
	if !g.Allow(dst, t0.Add(Window)) {
		t.Error("unresolved destination refused its budget in a new window")
	}
	state = 0x02
	for i := range Budget {
		g.Allow(dst, t0.Add(Window+time.Duration(i+1)))
	}
	before := looks
	if !g.Allow(dst, t0.Add(Window+Trust/2)) || looks != before {
		t.Errorf("trusted destination looked at again (%d lookups, was %d)", looks, before)
	}
	for _, a := range []string{"ff02::1:2", "192.0.2.1", "::ffff:192.0.2.1"} {
		for range 2 * Budget {
			if !g.Allow(netip.MustParseAddr(a), t0) {
				t.Errorf("%s refused", a)
			}
		}
	}
	var nilGuard *Guard
	if !nilGuard.Allow(dst, t0) {
		t.Error("nil Guard refused")
	}
}

// TestGuardBounded checks that the destination table stays within
// MaxDestinations.
func TestGuardBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := NewGuard(func(netip.Addr) (uint16, bool, error) { return 0x01, true, nil })
	for i := range MaxDestinations + 100 {
		a := netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 12: byte(i >> 24), 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
		g.Allow(a, t0)
	}
	if n := len(g.dests); n > MaxDestinations {
		t.Errorf("%d destinations tracked, want at most %d", n, MaxDestinations)
	}
}

// TestParseNeighAnswer decodes the kernel's answers to RTM_GETNEIGH.
func TestParseNeighAnswer(t *testing.T) {
	hdr := func(l int, typ uint16, seq uint32) []byte {
		b := make([]byte, 16)
		b[0], b[1] = byte(l), byte(l>>8)
		b[4], b[5] = byte(typ), byte(typ>>8)
		b[8] = byte(seq)
		return b
	}
	newNeigh := append(hdr(28, unix.RTM_NEWNEIGH, 7), 10, 0, 0, 0, 2, 0, 0, 0, 0x04, 0, 0, 0)
	enoent := append(hdr(20, unix.NLMSG_ERROR, 7), 0xfe, 0xff, 0xff, 0xff) // -ENOENT
	eperm := append(hdr(20, unix.NLMSG_ERROR, 7), 0xff, 0xff, 0xff, 0xff)  // -EPERM
	tests := []struct {
		name              string
		b                 []byte
		state             uint16
		found, done, fail bool
	}{
		{name: "entry", b: newNeigh, state: 0x04, found: true, done: true},
		{name: "no entry", b: enoent, done: true},
		{name: "error", b: eperm, done: true, fail: true},
		{name: "other sequence", b: append(hdr(20, unix.NLMSG_ERROR, 6), 0xfe, 0xff, 0xff, 0xff)},
		{name: "truncated", b: hdr(40, unix.RTM_NEWNEIGH, 7), done: true, fail: true},
		{name: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, found, done, err := parseNeighAnswer(tt.b, 7)
			if state != tt.state || found != tt.found || done != tt.done || (err != nil) != tt.fail {
				t.Errorf("parseNeighAnswer = %#x, %v, %v, %v; want %#x, %v, %v, error %v", state, found, done, err, tt.state, tt.found, tt.done, tt.fail)
			}
		})
	}
}
