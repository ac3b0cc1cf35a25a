package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestServeCrashRecovery kills "ralab serve" with SIGKILL while it has
// turned accept_ra and autoconf off and added the DNS responder's /128
// address and on-link route, then starts it again: the new run restores
// what the dead one recorded in the state directory before it changes
// anything itself, so that after its clean exit the host is as before.
func TestServeCrashRecovery(t *testing.T) {
	requireServeLab(t)
	l := newServeLab(t)
	rtr := l.Router()
	stateDir := filepath.Join(t.TempDir(), "state")
	cfg := filepath.Join(t.TempDir(), "ralab.toml")
	doc := fmt.Sprintf(`[[interface]]
name = %q
max_interval = "10s"

[[interface.prefix]]
prefix = "2001:db8:7::/64"

[[interface.rdnss]]
servers = ["2001:db8:7::53"]

[interface.dns_responder]
enabled = true
port = 5353
zone = "lab.example"
`, netlab.BridgeName)
	if err := os.WriteFile(cfg, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	sysctl := func(key string) string {
		b, _ := rtr.Run(t.Context(), "cat", "/proc/sys/net/ipv6/conf/"+netlab.BridgeName+"/"+key)
		return strings.TrimSpace(string(b))
	}
	// host describes what ralab changes: the sysctls, the address and
	// the route.
	host := func() string {
		addrs, _ := rtr.Run(t.Context(), "ip", "-6", "-o", "addr", "show", "dev", netlab.BridgeName, "to", "2001:db8:7::53/128")
		routes, _ := rtr.Run(t.Context(), "ip", "-6", "-o", "route", "show", "dev", netlab.BridgeName, "to", "2001:db8:7::/64", "proto", "static")
		return fmt.Sprintf("accept_ra=%s autoconf=%s address=%v route=%v", sysctl("accept_ra"), sysctl("autoconf"), len(addrs) > 0, len(routes) > 0)
	}
	before := host()
	const changed = "accept_ra=0 autoconf=0 address=true route=true"
	if before == changed {
		t.Fatalf("the host looks changed before ralab ran: %s", before)
	}

	srv := startServe(t, rtr, "serve", "-c", cfg, "--state-dir", stateDir)
	netlabtest.WaitFor(t, "ralab to change the host", 30*time.Second, func() bool { return host() == changed })
	if err := srv.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	netlabtest.WaitFor(t, "ralab to die", 30*time.Second, srv.Exited)
	if got := host(); got != changed {
		t.Fatalf("after SIGKILL the host is %q, want it left changed (%q)", got, changed)
	}
	records, _ := filepath.Glob(filepath.Join(stateDir, "*.host.json"))
	if len(records) != 1 {
		t.Fatalf("state directory holds %v, want one record", records)
	}

	again := startServe(t, rtr, "serve", "-c", cfg, "--state-dir", stateDir)
	netlabtest.WaitFor(t, "the restart to restore and advertise", 30*time.Second, func() bool {
		return strings.Contains(serveOutput(again), "msg=advertising")
	})
	out := serveOutput(again)
	for _, want := range []string{"ended without restoring the host", `sysctl="accept_ra=1"`, `sysctl="autoconf=1"`, "address=2001:db8:7::53", "route=2001:db8:7::/64"} {
		if !strings.Contains(out, want) {
			t.Errorf("the restart's log lacks %q", want)
		}
	}
	if err := again.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitServeExit(t, again, 30*time.Second, "SIGTERM")
	if got := host(); got != before {
		t.Errorf("after the restart's clean exit the host is %q, want %q as before the crash", got, before)
	}
	if records, _ := filepath.Glob(filepath.Join(stateDir, "*.host.json")); len(records) != 0 {
		t.Errorf("records left after a clean exit: %v", records)
	}
}
