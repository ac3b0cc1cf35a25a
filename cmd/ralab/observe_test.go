package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
	"github.com/vishvananda/netns"
)

// observeToolPackage names the Debian package of each program
// TestObserveNamespaces needs.
var observeToolPackage = map[string]string{"sysctl": "procps", "rdisc6": "ndisc6", "dig": "bind9-dnsutils", "tshark": "tshark"}

// needLab skips a test that needs root and tools through netlabtest, which
// fails it instead when CI=true.
func needLab(t *testing.T, tools ...string) {
	t.Helper()
	netlabtest.RequireLab(t)
	for _, tool := range append([]string{"sysctl"}, tools...) {
		netlabtest.RequireTool(t, tool, observeToolPackage[tool])
	}
}

// mustRun runs a command and fails the test if it fails.
func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// vethPair creates namespaces "<prefix>-r" and "<prefix>-c" joined by a
// veth pair R0 (routerHW) – C0 (clientHW), up with usable link-local
// addresses, all removed when the test ends.
func vethPair(t *testing.T) (rtr, cli string) {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random: %v", err)
	}
	prefix := "ralabt" + hex.EncodeToString(b[:])
	rtr, cli = prefix+"-r", prefix+"-c"
	for _, ns := range []string{rtr, cli} {
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		mustRun(t, "ip", "netns", "add", ns)
		mustRun(t, "ip", "netns", "exec", ns, "sysctl", "-q", "-w",
			"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	}
	mustRun(t, "ip", "link", "add", "R0", "netns", rtr, "address", routerHW.String(),
		"type", "veth", "peer", "name", "C0", "netns", cli, "address", clientHW.String())
	mustRun(t, "ip", "-n", rtr, "link", "set", "R0", "up")
	mustRun(t, "ip", "-n", cli, "link", "set", "C0", "up")
	for _, l := range []struct{ ns, dev string }{{rtr, "R0"}, {cli, "C0"}} {
		deadline := time.Now().Add(20 * time.Second)
		for {
			out, _ := exec.Command("ip", "-n", l.ns, "-6", "addr", "show", "dev", l.dev, "scope", "link").Output()
			if s := string(out); strings.Contains(s, "fe80::") && !strings.Contains(s, "tentative") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s in %s has no usable link-local address", l.dev, l.ns)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return rtr, cli
}

// inNetns runs fn on a thread switched into namespace ns. The thread is
// never unlocked, so the Go runtime retires it when fn returns and no
// other goroutine ever runs in the namespace.
func inNetns(ns string, fn func() error) <-chan error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := netns.GetFromName(ns)
		if err != nil {
			done <- err
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			done <- err
			return
		}
		done <- fn()
	}()
	return done
}

func TestObserveNamespaces(t *testing.T) {
	needLab(t, "rdisc6", "dig", "tshark")
	rtr, cli := vethPair(t)
	dir := t.TempDir()
	pcap := filepath.Join(dir, "live.pcapng")
	out := filepath.Join(dir, "live.json")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := inNetns(rtr, func() error {
		return runObserve(ctx, []string{"-i", "R0", "-w", pcap, "--progress", "1s", "--report-every", "300ms", "--duration", "2m", "-o", out})
	})

	// Give the socket time to open (observe has no readiness signal; the
	// traffic repeats until the capture file shows it).
	deadline := time.Now().Add(60 * time.Second)
	for {
		_ = exec.Command("ip", "netns", "exec", cli, "rdisc6", "-1", "-r", "1", "-w", "300", "C0").Run()
		_ = exec.Command("ip", "netns", "exec", cli, "dig", "@"+routerIP.String()+"%C0", "+tries=1", "+time=1", "AAAA", "example.com").Run()
		if fi, err := os.Stat(pcap); err == nil && fi.Size() > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("observe ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("observe never wrote its capture file")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// While it runs, observe keeps replacing the report.
	for {
		if _, err := os.Stat(out); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("observe never wrote an intermediate report")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The pcapng header is written at once; send the traffic once more so
	// it is certainly inside the capture, then stop observe as SIGINT would.
	_ = exec.Command("ip", "netns", "exec", cli, "rdisc6", "-1", "-r", "1", "-w", "300", "C0").Run()
	_ = exec.Command("ip", "netns", "exec", cli, "dig", "@"+routerIP.String()+"%C0", "+tries=1", "+time=1", "AAAA", "example.com").Run()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("runObserve: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("observe did not stop after its context ended")
	}

	// tshark opens the capture and sees the RS and the DNS query.
	b, err := exec.Command("tshark", "-n", "-r", pcap, "-T", "fields", "-e", "icmpv6.type", "-e", "udp.dstport").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", pcap, err)
	}
	lines := strings.Split(string(b), "\n")
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "133\t") }) ||
		!slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, "\t53") }) {
		t.Fatalf("capture lacks the RS or the DNS query; tshark fields:\n%s", b)
	}

	r := readJSONReport(t, out)
	if r.Source.Kind != conformance.SourceInterface || r.Source.Name != "R0" {
		t.Errorf("source %+v, want interface R0", r.Source)
	}
	i := slices.IndexFunc(r.Clients, func(c conformance.Client) bool { return c.MAC == clientHW.String() })
	if i < 0 {
		t.Fatalf("report has no client %s; clients %+v", clientHW, r.Clients)
	}
	if c := r.Clients[i]; c.Counts.RS == 0 || c.Counts.DNSQueries == 0 {
		t.Errorf("client counts %+v, want RS and DNS queries", c.Counts)
	}
}

func TestObserveFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  error
	}{
		{name: "no interface", args: nil, err: errUsage},
		{name: "stray argument", args: []string{"-i", "lo", "x"}, err: errUsage},
		{name: "negative duration", args: []string{"-i", "lo", "--duration", "-1s"}, err: errUsage},
		{name: "bad format", args: []string{"-i", "lo", "--format", "xml"}, err: errUsage},
		{name: "bad log level", args: []string{"-i", "lo", "--log-level", "loud"}, err: errUsage},
		{name: "no clients", args: []string{"-i", "lo", "--max-clients", "0"}, err: errUsage},
		{name: "rewrite without -o", args: []string{"-i", "lo", "--report-every", "1m"}, err: errUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := runObserve(context.Background(), tt.args); !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
		})
	}
	t.Run("unknown interface", func(t *testing.T) {
		err := runObserve(context.Background(), []string{"-i", "ralab-no-such-if0"})
		if err == nil || !strings.Contains(err.Error(), "ralab-no-such-if0") {
			t.Fatalf("error %v, want one naming the interface", err)
		}
	})
}
