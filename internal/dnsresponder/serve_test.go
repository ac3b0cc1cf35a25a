package dnsresponder

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// testLogger returns a logger that writes debug and higher to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func TestServeErrors(t *testing.T) {
	t.Parallel()
	good := Config{Zone: "lab.example"}
	a := []netip.Addr{netip.MustParseAddr("2001:db8::53")}
	tests := []struct {
		name string
		cfg  ServeConfig
		want error
	}{
		{name: "no interface", cfg: ServeConfig{Zone: good, Addrs: a, Port: 53}, want: ErrNoInterface},
		{name: "bad zone", cfg: ServeConfig{Addrs: a, Port: 53}, want: ErrZone},
		{name: "bad record", cfg: ServeConfig{Zone: Config{Zone: "z", Records: []Record{{Name: "a", Type: "A", Value: "x"}}}, Addrs: a, Port: 53}, want: ErrRecord},
		{name: "no addresses", cfg: ServeConfig{Zone: good, Port: 53}, want: ErrNoAddrs},
		{name: "IPv4 address", cfg: ServeConfig{Zone: good, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.53")}, Port: 53}, want: ErrAddr},
		{name: "multicast address", cfg: ServeConfig{Zone: good, Addrs: []netip.Addr{netip.MustParseAddr("ff02::1")}, Port: 53}, want: ErrAddr},
		{name: "port 0", cfg: ServeConfig{Zone: good, Addrs: a}, want: ErrAddr},
		{name: "on-link prefix with host bits", cfg: ServeConfig{Zone: good, Addrs: a, Port: 53, OnLink: []netip.Prefix{netip.MustParsePrefix("2001:db8::1/64")}}, want: ErrAddr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want != ErrNoInterface {
				tt.cfg.Interface = "ralabt-none0"
			}
			tt.cfg.Logger = testLogger(t)
			err := Serve(t.Context(), tt.cfg)
			if !errors.Is(err, tt.want) {
				t.Errorf("Serve: %v, want %v", err, tt.want)
			}
		})
	}
}

// serveIn runs Serve in the network namespace of h until the test ends
// or the returned stop is called; stop returns Serve's error.
func serveIn(t *testing.T, h *netlab.Host, cfg ServeConfig) (done <-chan error, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	cfg.Logger = testLogger(t)
	go func() { ch <- h.Do(func() error { return Serve(ctx, cfg) }) }()
	var result error
	stopped := false
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case result = <-ch:
			case <-time.After(waitTimeout):
				result = errors.New("Serve did not return after cancel")
			}
		}
		return result
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ch, stop
}

// addrsOf returns the IPv6 addresses of interface ifName in namespace ns
// as "addr/len", in kernel order.
func addrsOf(t *testing.T, ns, ifName string) []string {
	t.Helper()
	out := run(t, "ip", "-n", ns, "-6", "-o", "addr", "show", "dev", ifName)
	var got []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if i := slices.Index(f, "inet6"); i >= 0 && i+1 < len(f) {
			got = append(got, f[i+1])
		}
	}
	return got
}

// routesOf returns the IPv6 routes through interface ifName in namespace
// ns, one line each with white space collapsed.
func routesOf(t *testing.T, ns, ifName string) []string {
	t.Helper()
	var got []string
	for _, line := range strings.Split(run(t, "ip", "-n", ns, "-6", "route", "show", "dev", ifName), "\n") {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			got = append(got, line)
		}
	}
	return got
}

// waitRoute waits until interface ifName in namespace ns has a route
// whose line starts with want.
func waitRoute(t *testing.T, ns, ifName, want string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := routesOf(t, ns, ifName)
		if slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, want) }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s in %s has routes %q after %v, want %q", ifName, ns, got, waitTimeout, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitAddrs waits until interface ifName in namespace ns has every
// address of want ("addr/len") and returns its addresses.
func waitAddrs(t *testing.T, ns, ifName string, want ...string) []string {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := addrsOf(t, ns, ifName)
		missing := false
		for _, w := range want {
			missing = missing || !slices.Contains(got, w)
		}
		if !missing {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s in %s has %q after %v, want %q", ifName, ns, got, waitTimeout, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeNamespace runs Serve in a router namespace whose interface
// already has one of the two responder addresses but no address or route
// in the clients' prefix, queries both with dig from a client namespace,
// and checks that Serve removes exactly the address and route it added
// when it stops.
func TestServeNamespace(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "dig", "bind9-dnsutils")
	t.Parallel()
	lab := netlabtest.New(t)
	r, c := lab.Router(), lab.Host(t, "c1", "02:00:00:00:02:01")
	rtr, cli := r.Namespace, c.Namespace
	rif, cif := r.IfName, c.IfName
	// ::54 is configured by hand: Serve must leave it alone.
	run(t, "ip", "-n", rtr, "addr", "add", "2001:db8:1::54/128", "dev", rif, "nodad")
	run(t, "ip", "-n", cli, "addr", "add", "2001:db8:1::c/64", "dev", cif, "nodad")

	cfg := Config{
		Zone: "lab.example",
		Records: []Record{
			{Name: "www", Type: TypeAAAA, Value: "2001:db8:1::80"},
			{Name: "v4only", Type: TypeA, Value: "192.0.2.1"},
		},
		PREF64: netip.MustParsePrefix("64:ff9b::/96"),
	}
	var rec recorder
	addrs := []netip.Addr{netip.MustParseAddr("2001:db8:1::53"), netip.MustParseAddr("2001:db8:1::54")}
	_, stop := serveIn(t, r, ServeConfig{
		Interface: rif,
		Zone:      cfg,
		Addrs:     addrs,
		Port:      53,
		OnLink:    []netip.Prefix{netip.MustParsePrefix("2001:db8:1::/64")},
		OnQuery:   rec.onQuery,
	})
	waitAddrs(t, rtr, rif, "2001:db8:1::53/128", "2001:db8:1::54/128")
	// Without this route the answers to 2001:db8:1::c would have no way
	// out ("network is unreachable").
	waitRoute(t, rtr, rif, "2001:db8:1::/64 proto static")

	tests := []struct {
		server string
		args   []string
		want   string
	}{
		{server: "2001:db8:1::53", args: []string{"www.lab.example", "AAAA"}, want: "www.lab.example. 60 IN AAAA 2001:db8:1::80"},
		{server: "2001:db8:1::54", args: []string{"v4only.lab.example", "AAAA"}, want: "v4only.lab.example. 60 IN AAAA 64:ff9b::c000:201"},
		{server: "2001:db8:1::53", args: []string{"+tcp", "v4only.lab.example", "A"}, want: "v4only.lab.example. 60 IN A 192.0.2.1"},
	}
	for _, tt := range tests {
		args := append([]string{"netns", "exec", cli, "dig", "@" + tt.server, "+time=5", "+tries=3", "+noall", "+answer"}, tt.args...)
		out := run(t, "ip", args...)
		got := strings.Join(strings.Fields(out), " ")
		if got != tt.want {
			t.Errorf("dig @%s %s: %q, want %q", tt.server, strings.Join(tt.args, " "), got, tt.want)
		}
	}
	var clients []netip.Addr
	for _, c := range rec.get() {
		clients = append(clients, c.Client)
	}
	client := netip.MustParseAddr("2001:db8:1::c")
	if diff := cmp.Diff([]netip.Addr{client, client, client}, clients, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("OnQuery clients (-want +got):\n%s", diff)
	}

	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	got := addrsOf(t, rtr, rif)
	if slices.Contains(got, "2001:db8:1::53/128") || !slices.Contains(got, "2001:db8:1::54/128") {
		t.Errorf("after Serve: %s has %q, want 2001:db8:1::54/128 and not 2001:db8:1::53/128", rif, got)
	}
	for _, r := range routesOf(t, rtr, rif) {
		if strings.HasPrefix(r, "2001:db8:1::/64") {
			t.Errorf("after Serve: %s still has route %q", rif, r)
		}
	}
}

// TestServeWaitsForInterface starts Serve in a lab's router namespace
// before its interface exists,
// then deletes and re-creates the interface, and takes it down and up:
// Serve must add its addresses and route each time, and remove them when
// it stops.
func TestServeWaitsForInterface(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	r := netlabtest.New(t).Router()
	ns := r.Namespace
	addrs := []netip.Addr{netip.MustParseAddr("2001:db8:2::53"), netip.MustParseAddr("fe80::53")}
	done, stop := serveIn(t, r, ServeConfig{
		Interface: "dnsw0",
		Zone:      Config{Zone: "lab.example"},
		Addrs:     addrs,
		Port:      53,
		OnLink:    []netip.Prefix{netip.MustParsePrefix("2001:db8:2::/64")},
	})

	for i := range 2 {
		// A veth pair inside the namespace (this kernel may lack the dummy
		// driver); deleting one end deletes both.
		run(t, "ip", "-n", ns, "link", "add", "dnsw0", "type", "veth", "peer", "name", "dnsw1")
		run(t, "ip", "-n", ns, "link", "set", "dnsw0", "up")
		waitAddrs(t, ns, "dnsw0", "2001:db8:2::53/128", "fe80::53/128")
		waitRoute(t, ns, "dnsw0", "2001:db8:2::/64 proto static")
		select {
		case err := <-done:
			t.Fatalf("round %d: Serve returned %v", i, err)
		default:
		}
		if i == 0 {
			run(t, "ip", "-n", ns, "link", "del", "dnsw0")
		}
	}
	// Linux flushes the IPv6 addresses of a link that goes down
	// (keep_addr_on_down = 0): Serve must put its addresses back.
	run(t, "ip", "-n", ns, "link", "set", "dnsw0", "down")
	waitAddrs(t, ns, "dnsw0", "2001:db8:2::53/128", "fe80::53/128")
	// Linux takes no routes through a link that is down: the route comes
	// back once it is up.
	run(t, "ip", "-n", ns, "link", "set", "dnsw0", "up")
	waitRoute(t, ns, "dnsw0", "2001:db8:2::/64 proto static")
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for _, a := range addrsOf(t, ns, "dnsw0") {
		if a == "2001:db8:2::53/128" || a == "fe80::53/128" {
			t.Errorf("after Serve: dnsw0 still has %s", a)
		}
	}
	for _, r := range routesOf(t, ns, "dnsw0") {
		if strings.HasPrefix(r, "2001:db8:2::/64") {
			t.Errorf("after Serve: dnsw0 still has route %q", r)
		}
	}
}
