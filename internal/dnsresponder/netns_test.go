package dnsresponder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netns"
)

// skipOrFail skips t with reason, or fails it under CI (CI=true), where a
// skip would hide a broken environment.
func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true, cannot skip: %s", reason)
	}
	t.Skip(reason)
}

// run runs a command and fails t with its output when it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newNamespace creates network namespace name with DAD off, removed when
// the test ends.
func newNamespace(t *testing.T, name string) {
	t.Helper()
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v\n%s", name, err, out)
		}
	})
	// DAD off before any link exists (lab-recipes.md, "Building a link").
	run(t, "ip", "netns", "exec", name, "sh", "-c",
		"echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad && echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad")
}

// listenIn runs Listen inside network namespace name: sockets keep the
// namespace they were created in. The goroutine's thread is never
// unlocked, so Go discards it rather than reuse a thread in the wrong
// namespace.
func listenIn(t *testing.T, name string, cfg ServerConfig) *Server {
	t.Helper()
	type result struct {
		s   *Server
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.GetFromName(name)
		if err != nil {
			ch <- result{err: fmt.Errorf("opening namespace %s: %w", name, err)}
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			ch <- result{err: fmt.Errorf("entering namespace %s: %w", name, err)}
			return
		}
		s, err := Listen(context.Background(), cfg)
		ch <- result{s, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("Listen in %s: %v", name, r.err)
	}
	return r.s
}

// waitLinkLocal waits until interface ifname of namespace ns has its
// link-local address, which the kernel adds only once the veth has carrier
// (~0.2 s after link up without DAD, lab-recipes.md), and returns it.
func waitLinkLocal(t *testing.T, ns, ifname string) netip.Addr {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		out := run(t, "ip", "-n", ns, "-6", "-o", "addr", "show", "dev", ifname, "scope", "link")
		for _, f := range strings.Fields(out) {
			if p, err := netip.ParsePrefix(f); err == nil && p.Addr().IsLinkLocalUnicast() {
				return p.Addr()
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no link-local address on %s in %s after %v:\n%s", ifname, ns, waitTimeout, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNamespaceDig serves a zone from one namespace on an address added
// after Listen (FREEBIND) to a veth bound with SO_BINDTODEVICE, and
// queries it with dig from a peer namespace over UDP and TCP.
func TestNamespaceDig(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root to create network namespaces")
	}
	for _, tool := range []string{"ip", "dig"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, fmt.Sprintf("needs %s: %v", tool, err))
		}
	}
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatalf("rand: %v", err)
	}
	prefix := "ralabt" + hex.EncodeToString(rnd[:])
	srv, cli := prefix+"-dns-s", prefix+"-dns-c"
	newNamespace(t, srv)
	newNamespace(t, cli)
	run(t, "ip", "link", "add", "dns0", "netns", srv, "type", "veth", "peer", "name", "dns0", "netns", cli)

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
		Interface: "dns0",
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
	run(t, "ip", "-n", srv, "addr", "add", serverAddr.String()+"/64", "dev", "dns0", "nodad")
	run(t, "ip", "-n", srv, "addr", "add", linkLocal.String()+"/64", "dev", "dns0", "nodad")
	run(t, "ip", "-n", cli, "addr", "add", clientAddr.String()+"/64", "dev", "dns0", "nodad")
	run(t, "ip", "-n", srv, "link", "set", "dns0", "up")
	run(t, "ip", "-n", cli, "link", "set", "dns0", "up")

	ll := waitLinkLocal(t, cli, "dns0")

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
		{name: "link-local server", server: linkLocal.String() + "%dns0", args: []string{"www.lab.example", "A"}, status: "NOERROR", flags: "qr aa rd",
			answer: []string{"www.lab.example. 60 IN A 192.0.2.80"}},
	}
	for _, tt := range tests {
		server := serverAddr.String()
		if tt.server != "" {
			server = tt.server
		}
		args := append([]string{"netns", "exec", cli, "dig", "@" + server, "+time=5", "+tries=3", "+noall", "+comments", "+answer"}, tt.args...)
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
			want = ll.WithZone("dns0")
		}
		if c.Client != want {
			t.Errorf("OnQuery call %d: client %v, want %v", i, c.Client, want)
		}
	}
	if got := st.Truncated; got != 1 {
		t.Errorf("truncated responses: %d, want 1", got)
	}
}
