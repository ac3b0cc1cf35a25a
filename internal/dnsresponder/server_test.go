package dnsresponder

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// waitTimeout bounds every network wait: generous, because CI runs
// everything at once on two cores.
const waitTimeout = 10 * time.Second

// seen is a recorded OnQuery call.
type seen struct {
	Client netip.Addr
	Name   string
	Type   uint16
	Rcode  int
}

// recorder collects OnQuery calls.
type recorder struct {
	mu    sync.Mutex
	calls []seen
}

// onQuery is the QueryFunc of r.
func (r *recorder) onQuery(client netip.AddrPort, q dns.Question, rcode int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, seen{Client: client.Addr(), Name: q.Name, Type: q.Qtype, Rcode: rcode})
}

// get returns the calls so far.
func (r *recorder) get() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.calls...)
}

// startServer runs a server for cfg until the test ends and returns it.
func startServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	if cfg.Handler == nil {
		h, err := NewHandler(testConfig())
		if err != nil {
			t.Fatalf("NewHandler: %v", err)
		}
		cfg.Handler = h
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := Listen(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Errorf("Run did not return after cancel")
		}
	})
	return s
}

// exchange sends m to addr over net ("udp" or "tcp") with a real client.
func exchange(t *testing.T, network string, m *dns.Msg, addr netip.AddrPort) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: waitTimeout}
	r, _, err := c.Exchange(m, addr.String())
	if err != nil {
		t.Fatalf("%s exchange with %v: %v", network, addr, err)
	}
	return r
}

func TestServerLoopback(t *testing.T) {
	t.Parallel()
	var rec recorder
	reg := prometheus.NewRegistry()
	metrics := NewMetrics(reg)
	s := startServer(t, ServerConfig{
		Addrs:   []netip.AddrPort{netip.MustParseAddrPort("[::1]:0"), netip.MustParseAddrPort("127.0.0.1:0")},
		Metrics: metrics,
		OnQuery: rec.onQuery,
	})
	addrs := s.Addrs()
	if len(addrs) != 2 || addrs[0].Port() == 0 {
		t.Fatalf("Addrs() = %v", addrs)
	}
	v6, v4 := addrs[0], addrs[1]

	// UDP, plain answer.
	m := new(dns.Msg).SetQuestion("www.lab.example.", dns.TypeAAAA)
	r := exchange(t, "udp", m, v6)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || !r.Authoritative || r.RecursionAvailable {
		t.Errorf("UDP AAAA www: %v", r)
	}

	// UDP over IPv4, DNS64.
	r = exchange(t, "udp", new(dns.Msg).SetQuestion("v4only.lab.example.", dns.TypeAAAA), v4)
	if len(r.Answer) != 2 || r.Answer[0].(*dns.AAAA).AAAA.String() != "64:ff9b::c000:221" {
		t.Errorf("UDP AAAA v4only: %v", r)
	}

	// UDP truncated, then the same over TCP in full.
	big := new(dns.Msg).SetQuestion("big.lab.example.", dns.TypeAAAA)
	big.SetEdns0(4096, false)
	r = exchange(t, "udp", big, v6)
	if !r.Truncated || len(r.Answer) != 0 {
		t.Errorf("UDP big: TC %v, %d answers; want TC and none", r.Truncated, len(r.Answer))
	}
	r = exchange(t, "tcp", big, v6)
	if r.Truncated || len(r.Answer) != 60 {
		t.Errorf("TCP big: TC %v, %d answers; want 60", r.Truncated, len(r.Answer))
	}

	// Two pipelined queries on one TCP connection, answered in order.
	conn, err := dns.DialTimeout("tcp", v4.String(), waitTimeout)
	if err != nil {
		t.Fatalf("dial TCP: %v", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatalf("SetDeadline: %v", err)
	}
	q1 := new(dns.Msg).SetQuestion("nothere.lab.example.", dns.TypeA)
	q2 := new(dns.Msg).SetQuestion("example.com.", dns.TypeA)
	for _, q := range []*dns.Msg{q1, q2} {
		if err := conn.WriteMsg(q); err != nil {
			t.Fatalf("WriteMsg: %v", err)
		}
	}
	for _, want := range []struct {
		id    uint16
		rcode int
	}{{q1.Id, dns.RcodeNameError}, {q2.Id, dns.RcodeRefused}} {
		r, err := conn.ReadMsg()
		if err != nil {
			t.Fatalf("ReadMsg: %v", err)
		}
		if r.Id != want.id || r.Rcode != want.rcode {
			t.Errorf("pipelined answer: id %d rcode %s, want id %d rcode %s", r.Id, rcodeName(r.Rcode), want.id, rcodeName(want.rcode))
		}
	}

	// A malformed datagram and a response are dropped; the server still
	// answers afterwards.
	raw, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(v6))
	if err != nil {
		t.Fatalf("DialUDP: %v", err)
	}
	defer raw.Close()
	resp := new(dns.Msg).SetQuestion("www.lab.example.", dns.TypeA)
	resp.Response = true
	respBytes, err := resp.Pack()
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	for _, b := range [][]byte{{1, 2, 3}, respBytes} {
		if _, err := raw.Write(b); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	r = exchange(t, "udp", new(dns.Msg).SetQuestion("ipv4only.arpa.", dns.TypeA), v6)
	if len(r.Answer) != 2 {
		t.Errorf("UDP A ipv4only.arpa after garbage: %v", r)
	}

	// UDP datagrams on one socket are handled in order, so the garbage
	// was counted before the last answer.
	st := s.Stats()
	loop6, loop4 := netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")
	want := Stats{
		Queries:   map[string]uint64{"AAAA": 4, "A": 3},
		Responses: map[string]uint64{"NOERROR": 5, "NXDOMAIN": 1, "REFUSED": 1},
		Dropped:   map[string]uint64{DropMalformed: 1, DropResponse: 1},
		Truncated: 1,
		Clients:   map[netip.Addr]ClientStats{loop6: {Queries: 4}, loop4: {Queries: 3}},
	}
	if diff := cmp.Diff(want, st, cmpopts.IgnoreFields(ClientStats{}, "First", "Last")); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	for a, cs := range st.Clients {
		if cs.First.IsZero() || cs.Last.Before(cs.First) {
			t.Errorf("client %v: first %v last %v", a, cs.First, cs.Last)
		}
	}
	wantCalls := []seen{
		{loop6, "www.lab.example.", dns.TypeAAAA, dns.RcodeSuccess},
		{loop4, "v4only.lab.example.", dns.TypeAAAA, dns.RcodeSuccess},
		{loop6, "big.lab.example.", dns.TypeAAAA, dns.RcodeSuccess},
		{loop6, "big.lab.example.", dns.TypeAAAA, dns.RcodeSuccess},
		{loop4, "nothere.lab.example.", dns.TypeA, dns.RcodeNameError},
		{loop4, "example.com.", dns.TypeA, dns.RcodeRefused},
		{loop6, "ipv4only.arpa.", dns.TypeA, dns.RcodeSuccess},
	}
	if diff := cmp.Diff(wantCalls, rec.get(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("OnQuery calls (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{metrics.queries.WithLabelValues("", "udp", "AAAA"), 3},
		{metrics.queries.WithLabelValues("", "tcp", "AAAA"), 1},
		{metrics.responses.WithLabelValues("", "NXDOMAIN"), 1},
		{metrics.dropped.WithLabelValues("", DropMalformed), 1},
		{metrics.truncated.WithLabelValues(""), 1},
		{metrics.clients.WithLabelValues(""), 2},
	} {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("metric %v = %v, want %v", c.c, got, c.want)
		}
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n == 0 {
		t.Errorf("GatherAndCount: %d, %v", n, err)
	}
}

// TestServerTCPGarbage checks that a TCP client sending garbage loses its
// connection and is counted, without harm to the server.
func TestServerTCPGarbage(t *testing.T) {
	t.Parallel()
	s := startServer(t, ServerConfig{Addrs: []netip.AddrPort{netip.MustParseAddrPort("[::1]:0")}})
	addr := s.Addrs()[0]
	c, err := net.DialTimeout("tcp", addr.String(), waitTimeout)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatalf("SetDeadline: %v", err)
	}
	if _, err := c.Write([]byte{0, 3, 1, 2, 3}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if n, err := c.Read(make([]byte, 16)); !errors.Is(err, io.EOF) {
		t.Errorf("Read after garbage: %d bytes, %v; want EOF", n, err)
	}
	if got := s.Stats().Dropped[DropMalformed]; got != 1 {
		t.Errorf("malformed drops %d, want 1", got)
	}
	r := exchange(t, "tcp", new(dns.Msg).SetQuestion("www.lab.example.", dns.TypeA), addr)
	if len(r.Answer) != 1 {
		t.Errorf("TCP A www after garbage: %v", r)
	}
}

func TestListenErrors(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(testConfig())
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	busy := startServer(t, ServerConfig{Addrs: []netip.AddrPort{netip.MustParseAddrPort("[::1]:0")}})
	tests := []struct {
		name string
		cfg  ServerConfig
		want error
	}{
		{name: "no handler", cfg: ServerConfig{Addrs: busy.Addrs()}, want: ErrNoHandler},
		{name: "no addresses", cfg: ServerConfig{Handler: h}, want: ErrNoAddrs},
		{name: "invalid address", cfg: ServerConfig{Handler: h, Addrs: []netip.AddrPort{{}}}, want: ErrAddr},
		{name: "link-local without zone", cfg: ServerConfig{Handler: h, Addrs: []netip.AddrPort{netip.MustParseAddrPort("[fe80::53]:0")}}, want: ErrAddr},
		{name: "port in use", cfg: ServerConfig{Handler: h, Addrs: []netip.AddrPort{netip.MustParseAddrPort("[::1]:0"), busy.Addrs()[0]}}, want: ErrAddr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Listen(context.Background(), tt.cfg)
			if !errors.Is(err, tt.want) {
				t.Errorf("Listen: %v, want %v", err, tt.want)
			}
			if s != nil {
				s.Close()
			}
		})
	}
}

// TestCloseBeforeRun checks that Run returns at once on a closed server.
func TestCloseBeforeRun(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(testConfig())
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	s, err := Listen(context.Background(), ServerConfig{Handler: h, Addrs: []netip.AddrPort{netip.MustParseAddrPort("[::1]:0")},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	s.Close()
	s.Close()
	if err := s.Run(context.Background()); err != nil {
		t.Errorf("Run after Close: %v", err)
	}
}

// TestServerTCPLimit checks that the connection after MaxTCPConns open
// ones is closed at once and counted, and that a freed slot is reused.
func TestServerTCPLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, ServerConfig{Addrs: []netip.AddrPort{netip.MustParseAddrPort("[::1]:0")}})
	addr := s.Addrs()[0].String()
	q := new(dns.Msg).SetQuestion("www.lab.example.", dns.TypeA)
	var conns []*dns.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range MaxTCPConns {
		c, err := dns.DialTimeout("tcp", addr, waitTimeout)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		conns = append(conns, c)
		// An answer proves the server tracks this connection.
		if err := c.SetDeadline(time.Now().Add(waitTimeout)); err != nil {
			t.Fatal(err)
		}
		if err := c.WriteMsg(q); err != nil {
			t.Fatalf("WriteMsg: %v", err)
		}
		if _, err := c.ReadMsg(); err != nil {
			t.Fatalf("ReadMsg on connection %d: %v", len(conns), err)
		}
	}
	extra, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer extra.Close()
	if err := extra.SetDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	if n, err := extra.Read(make([]byte, 16)); !errors.Is(err, io.EOF) {
		t.Errorf("connection %d: read %d bytes, %v; want EOF", MaxTCPConns+1, n, err)
	}
	if got := s.Stats().Dropped[DropTCPLimit]; got != 1 {
		t.Errorf("tcp-limit drops %d, want 1", got)
	}
	// Free one slot; a new connection is then served. The server notices
	// the close asynchronously, so retry until the deadline.
	conns[0].Close()
	conns = conns[1:]
	deadline := time.Now().Add(waitTimeout)
	for {
		r, _, err := (&dns.Client{Net: "tcp", Timeout: waitTimeout}).Exchange(q, addr)
		if err == nil && len(r.Answer) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no TCP answer after freeing a slot: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
