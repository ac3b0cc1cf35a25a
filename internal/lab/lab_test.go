package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

var (
	dns1 = netip.MustParseAddr("2001:db8:1::53")
	dns2 = netip.MustParseAddr("2001:db8:1::54")
)

func TestCompareServers(t *testing.T) {
	other := netip.MustParseAddr("2001:db8:9::1")
	ours := []netip.Addr{dns1, dns2}
	tests := []struct {
		name string
		held []netip.Addr
		want string
	}{
		{"same", []netip.Addr{dns2, dns1}, "yes"},
		{"duplicates and zones", []netip.Addr{dns1, dns2, dns1.WithZone("eth0")}, "yes"},
		{"one of two", []netip.Addr{dns1}, "partial"},
		{"ours and another", []netip.Addr{dns1, dns2, other}, "partial"},
		{"foreign", []netip.Addr{other}, "no"},
		{"none", nil, "no"},
	}
	for _, tt := range tests {
		if got := compareServers(tt.held, ours); got != tt.want {
			t.Errorf("%s: compareServers(%v) = %q, want %q", tt.name, tt.held, got, tt.want)
		}
	}
}

func TestParseServed(t *testing.T) {
	s, err := parseServed(configs.LabName, configs.Lab)
	if err != nil {
		t.Fatal(err)
	}
	want := served{rdnss: []netip.Addr{dns1, dns2}, prefixes: []netip.Prefix{netip.MustParsePrefix("2001:db8:1::/64")}}
	if diff := cmp.Diff(want, s, cmp.AllowUnexported(served{}),
		cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("parseServed (-want +got):\n%s", diff)
	}
	other := bytes.Replace(configs.Lab, []byte(`name = "lab0"`), []byte(`name = "eth9"`), 1)
	if _, err := parseServed("other.toml", other); !errors.Is(err, ErrNoLabInterface) {
		t.Errorf("config without lab0: err = %v, want ErrNoLabInterface", err)
	}
	if _, err := parseServed("bad.toml", []byte("[[interface]\n")); err == nil {
		t.Error("bad TOML accepted")
	}
}

func TestWriteTable(t *testing.T) {
	s := &Summary{
		Config: "lab.toml",
		RDNSS:  []netip.Addr{dns1, dns2},
		Clients: []Client{
			{Name: "rdnssd", MAC: "02:00:00:00:02:01", SLAAC: "2001:db8:1::ff:fe00:201", OurServers: "yes",
				Resolver: labclient.Resolver{Servers: []labclient.Server{{Addr: dns1}, {Addr: dns2}}}},
			{Name: "networkd", MAC: "02:00:00:00:02:03", OurServers: "no"},
		},
		Missing: []Missing{{Name: "dhcpcd", Package: "dhcpcd-base"}},
	}
	var b strings.Builder
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := `CLIENT    MAC                SLAAC ADDRESS            DNS SERVERS HELD                OUR SERVERS?
rdnssd    02:00:00:00:02:01  2001:db8:1::ff:fe00:201  2001:db8:1::53, 2001:db8:1::54  yes
networkd  02:00:00:00:02:03  no                       none                            no

configured RDNSS (lab.toml): 2001:db8:1::53, 2001:db8:1::54
not installed: dhcpcd (Debian package dhcpcd-base)
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteTable (-want +got):\n%s", diff)
	}
}

func TestRunOptions(t *testing.T) {
	if _, err := Run(t.Context(), Options{}); !errors.Is(err, ErrOptions) {
		t.Errorf("Run without options: %v, want ErrOptions", err)
	}
}

// fakeServer writes a stand-in for "ralab serve" that sends nothing.
func fakeServer(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-ralab")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// assertRemoved fails t if anything of the lab with prefix is left.
func assertRemoved(t *testing.T, prefix string) {
	t.Helper()
	if prefix == "" {
		t.Fatal("no lab prefix in the summary")
	}
	if ns := netlabtest.Namespaces(prefix); len(ns) != 0 {
		t.Errorf("namespaces left: %v", ns)
	}
	if _, err := os.Stat(filepath.Join(netlab.MarkerDir, prefix+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("marker left: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(os.TempDir(), "ralab-"+prefix+"-*")); len(m) != 0 {
		t.Errorf("state dirs left: %v", m)
	}
}

// TestRunInterrupted cancels a run (as Ctrl-C does) while the clients
// wait for a server that never answers: Run reports the clients, returns
// the context's error and removes the lab.
func TestRunInterrupted(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	installed := 0
	for _, c := range RAClients() {
		if c.Available() == nil {
			installed++
		}
	}
	// Interrupt once every client has started.
	log := slog.New(&cancelHandler{Handler: netlabtest.Logger(t).Handler(), msg: "client started", n: installed, cancel: cancel})
	out := t.TempDir()
	sum, err := Run(ctx, Options{
		Config: configs.Lab, ConfigName: configs.LabName,
		Executable: fakeServer(t, "exec sleep 600"),
		OutDir:     out, Duration: 10 * time.Minute, Logger: log,
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want the context's error", err)
	}
	if sum == nil {
		t.Fatal("no summary")
	}
	if len(sum.Clients)+len(sum.Missing) != len(RAClients()) {
		t.Errorf("clients %+v, missing %+v: want every RA client in one of them", sum.Clients, sum.Missing)
	}
	for _, c := range sum.Clients {
		if c.SLAAC != "" || c.OurServers != "no" {
			t.Errorf("client %s configured without a server: %+v", c.Name, c)
		}
	}
	for _, f := range []string{"summary.json", "capture.pcapng", "logs/rtr/ralab-serve.stderr"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("output %s: %v", f, err)
		}
	}
	assertRemoved(t, sum.Lab)
}

// cancelHandler calls cancel when it has seen n records with message msg.
type cancelHandler struct {
	slog.Handler
	msg    string
	n      int
	cancel context.CancelFunc

	mu   sync.Mutex
	seen int
}

func (h *cancelHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.mu.Lock()
		h.seen++
		if h.seen == h.n {
			h.cancel()
		}
		h.mu.Unlock()
	}
	return h.Handler.Handle(ctx, r)
}

// TestRunServerExits checks that a server that dies ends the run with
// ErrServerExited, and the lab is removed.
func TestRunServerExits(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	sum, err := Run(t.Context(), Options{
		Config: configs.Lab, ConfigName: configs.LabName,
		Executable: fakeServer(t, "echo cannot serve >&2; exit 3"),
		Duration:   10 * time.Minute, Logger: netlabtest.Logger(t),
	})
	if !errors.Is(err, ErrServerExited) {
		t.Errorf("Run = %v, want ErrServerExited", err)
	}
	if sum != nil {
		assertRemoved(t, sum.Lab)
	}
}

// TestRun runs the real lab: ralab serve with configs.Lab and every
// installed RA client. Each must form a SLAAC address and hold exactly
// the configured RDNSS servers.
func TestRun(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "tshark", "tshark")
	t.Parallel()
	bin := netlabtest.RalabBinary(t)
	out := t.TempDir()
	sum, err := Run(t.Context(), Options{
		Config: configs.Lab, ConfigName: configs.LabName, Executable: bin,
		OutDir: out, Duration: 2 * time.Minute, Logger: netlabtest.Logger(t),
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, netlabtest.Tail(filepath.Join(out, "logs/rtr/ralab-serve.stderr"), 3000))
	}
	if netlabtest.InCI() && len(sum.Missing) > 0 {
		t.Errorf("CI=true but clients are missing: %+v", sum.Missing)
	}
	if len(sum.Clients) == 0 {
		netlabtest.SkipOrFail(t, "no RA client installed")
	}
	for _, c := range sum.Clients {
		if c.SLAAC == "" || c.OurServers != "yes" {
			t.Errorf("client %s: SLAAC %q, servers %v, ours %q; want an address and our servers",
				c.Name, c.SLAAC, c.Resolver.Addrs(), c.OurServers)
		}
	}
	var back Summary
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	if diff := cmp.Diff(sum, &back, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("summary.json round trip (-want +got):\n%s", diff)
	}
	// The capture holds ralab's RAs.
	ras, err := exec.Command("tshark", "-n", "-r", filepath.Join(out, "capture.pcapng"),
		"-Y", "icmpv6.type == 134", "-T", "fields", "-e", "ipv6.src").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ras), "fe80::ff:fe00:100") {
		t.Errorf("no RA from the router in the capture: %q", ras)
	}
	assertRemoved(t, sum.Lab)
}
