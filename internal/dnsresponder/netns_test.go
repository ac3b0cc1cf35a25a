package dnsresponder

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// run runs a command and fails t with its output when it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// listenIn runs Listen inside the network namespace of h: sockets keep
// the namespace they were created in.
func listenIn(t *testing.T, h *netlab.Host, cfg ServerConfig) *Server {
	t.Helper()
	var s *Server
	err := h.Do(func() error {
		var err error
		s, err = Listen(context.Background(), cfg)
		return err
	})
	if err != nil {
		t.Fatalf("Listen in %s: %v", h.Namespace, err)
	}
	return s
}

// TestNamespaceDig serves a zone from one namespace on an address added
// after Listen (FREEBIND) to the lab bridge bound with SO_BINDTODEVICE,
// and queries it with dig from a lab host over UDP and TCP.
func TestNamespaceDig(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "dig", "bind9-dnsutils")
	t.Parallel()
	lab := netlabtest.New(t)
	srv, cli := lab.Router(), lab.Host(t, "c1", "02:00:00:00:02:01")
	sif, cif := srv.IfName, cli.IfName

	serverAddr := netip.MustParseAddr("2001:db8:53::53")
	clientAddr := netip.MustParseAddr("2001:db8:53::c")
	// A link-local RDNSS address (F14), given without zone: Listen adds
	// the interface.
	linkLocal := netip.MustParseAddr("fe80::53")
	var rec recorder
	h, err := NewHandler(testConfig())
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	s := listenIn(t, srv, ServerConfig{
		Handler:   h,
		Addrs:     []netip.AddrPort{netip.AddrPortFrom(serverAddr, 53), netip.AddrPortFrom(linkLocal, 53)},
		Interface: sif,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnQuery:   rec.onQuery,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	// The address arrives after Listen, as when ralab adds its RDNSS
	// addresses to the interface.
	run(t, "ip", "-n", srv.Namespace, "addr", "add", serverAddr.String()+"/64", "dev", sif, "nodad")
	run(t, "ip", "-n", srv.Namespace, "addr", "add", linkLocal.String()+"/64", "dev", sif, "nodad")
	run(t, "ip", "-n", cli.Namespace, "addr", "add", clientAddr.String()+"/64", "dev", cif, "nodad")

	// The lab's hosts have their link-local address, usable, from the start.
	ll := cli.LinkLocal()

	tests := []struct {
		name   string
		server string
		args   []string
		status string
		flags  string
		answer []string
	}{
		{name: "UDP AAAA", args: []string{"www.lab.example", "AAAA"}, status: "NOERROR", flags: "qr aa rd",
			answer: []string{"www.lab.example. 60 IN AAAA 2001:db8::80"}},
		{name: "TCP DNS64", args: []string{"+tcp", "v4only.lab.example", "AAAA"}, status: "NOERROR", flags: "qr aa rd",
			answer: []string{"v4only.lab.example. 60 IN AAAA 64:ff9b::c000:221", "v4only.lab.example. 60 IN AAAA 64:ff9b::c633:6407"}},
		{name: "ipv4only.arpa", args: []string{"ipv4only.arpa", "AAAA"}, status: "NOERROR", flags: "qr rd",
			answer: []string{"ipv4only.arpa. 60 IN AAAA 64:ff9b::c000:aa", "ipv4only.arpa. 60 IN AAAA 64:ff9b::c000:ab"}},
		{name: "UDP truncated, dig retries over TCP", args: []string{"big.lab.example", "AAAA", "+bufsize=512"}, status: "NOERROR", flags: "qr aa rd"},
		{name: "REFUSED", args: []string{"example.com", "A"}, status: "REFUSED", flags: "qr rd"},
		{name: "NXDOMAIN", args: []string{"nothere.lab.example", "A"}, status: "NXDOMAIN", flags: "qr aa rd"},
		{name: "link-local server", server: linkLocal.String() + "%" + cif, args: []string{"www.lab.example", "A"}, status: "NOERROR", flags: "qr aa rd",
			answer: []string{"www.lab.example. 60 IN A 192.0.2.80"}},
	}
	for _, tt := range tests {
		server := serverAddr.String()
		if tt.server != "" {
			server = tt.server
		}
		args := append([]string{"netns", "exec", cli.Namespace, "dig", "@" + server, "+time=5", "+tries=3", "+noall", "+comments", "+answer"}, tt.args...)
		start := time.Now()
		out := run(t, "ip", args...)
		t.Logf("%s: %v", tt.name, time.Since(start))
		var status, flags string
		var answer []string
		for _, line := range strings.Split(out, "\n") {
			switch {
			case strings.Contains(line, "status: "):
				status = strings.TrimSuffix(strings.Fields(line[strings.Index(line, "status: "):])[1], ",")
			case strings.HasPrefix(line, ";; flags: "):
				flags, _, _ = strings.Cut(strings.TrimPrefix(line, ";; flags: "), ";")
			case line != "" && !strings.HasPrefix(line, ";"):
				answer = append(answer, strings.Join(strings.Fields(line), " "))
			}
		}
		if tt.name == "UDP truncated, dig retries over TCP" {
			if len(answer) != 60 {
				t.Errorf("%s: %d answers, want 60:\n%s", tt.name, len(answer), out)
			}
			answer = nil
		}
		if diff := cmp.Diff(tt.status+"|"+tt.flags, status+"|"+flags); diff != "" {
			t.Errorf("%s: status|flags (-want +got):\n%s\n%s", tt.name, diff, out)
		}
		if diff := cmp.Diff(tt.answer, answer); diff != "" {
			t.Errorf("%s: answer (-want +got):\n%s\n%s", tt.name, diff, out)
		}
	}

	st := s.Stats()
	if got := st.Clients[clientAddr].Queries; got != 7 {
		t.Errorf("queries from %v: %d, want 7 (6 digs, one retried over TCP): %+v", clientAddr, got, st)
	}
	if got := st.Clients[ll].Queries; got != 1 {
		t.Errorf("queries from %v: %d, want 1: %+v", ll, got, st)
	}
	calls := rec.get()
	if len(calls) != 8 {
		t.Fatalf("OnQuery calls: %d, want 8: %+v", len(calls), calls)
	}
	for i, c := range calls {
		want := clientAddr
		if i == 7 {
			want = ll.WithZone(sif)
		}
		if c.Client != want {
			t.Errorf("OnQuery call %d: client %v, want %v", i, c.Client, want)
		}
	}
	if got := st.Truncated; got != 1 {
		t.Errorf("truncated responses: %d, want 1", got)
	}
}
