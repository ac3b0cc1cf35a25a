package netlab_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// waitTimeout is the generous bound on any wait in these tests: CI is a
// loaded 2-core machine.
const waitTimeout = 60 * time.Second

// assertGone fails t unless nothing of the lab with prefix is left:
// namespaces, /etc/netns directories, marker, state directory dir.
func assertGone(t *testing.T, prefix, dir string) {
	t.Helper()
	if ns := netlabtest.Namespaces(prefix); len(ns) != 0 {
		t.Errorf("namespaces left: %v", ns)
	}
	if m, _ := filepath.Glob(filepath.Join("/etc/netns", prefix+"-*")); len(m) != 0 {
		t.Errorf("/etc/netns entries left: %v", m)
	}
	if _, err := os.Stat(filepath.Join(netlab.MarkerDir, prefix+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("marker left (stat: %v)", err)
	}
	if dir != "" {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("state dir %s left (stat: %v)", dir, err)
		}
	}
}

func TestLabLifecycle(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	ctx := t.Context()
	l, err := netlab.New(ctx, netlab.Options{Grace: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	prefix, dir := l.Prefix(), l.Dir()

	c1, err := l.AddHost(ctx, "c1", "02:00:00:00:02:01")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.AddHost(ctx, "c2", "02:00:00:00:02:02"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, mac string
		want      error
	}{
		{"c1", "02:00:00:00:02:09", netlab.ErrDuplicate},
		{"c9", "02:00:00:00:02:01", netlab.ErrDuplicate},
		{"rtr", "02:00:00:00:02:09", netlab.ErrBadName},
		{"Bad/Name", "02:00:00:00:02:09", netlab.ErrBadName},
		{"c9", "01:00:5e:00:00:01", netlab.ErrBadMAC},
		{"c9", "nope", netlab.ErrBadMAC},
	} {
		if _, err := l.AddHost(ctx, tt.name, tt.mac); !errors.Is(err, tt.want) {
			t.Errorf("AddHost(%q, %q) = %v, want %v", tt.name, tt.mac, err, tt.want)
		}
	}

	var names []string
	for _, h := range l.Hosts() {
		names = append(names, h.Name)
	}
	if diff := cmp.Diff([]string{"c1", "c2"}, names); diff != "" {
		t.Errorf("Hosts (-want +got):\n%s", diff)
	}
	want := []string{prefix + "-c1", prefix + "-c2", prefix + "-rtr"}
	if diff := cmp.Diff(want, netlabtest.Namespaces(prefix)); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(filepath.Join(netlab.MarkerDir, prefix+".json"))
	if err != nil {
		t.Fatalf("marker: %v", err)
	}
	var m struct {
		PID        int      `json:"pid"`
		Namespaces []string `json:"namespaces"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	slices.Sort(m.Namespaces)
	if diff := cmp.Diff(want, m.Namespaces); diff != "" || m.PID != os.Getpid() {
		t.Errorf("marker pid %d (want %d), namespaces (-want +got):\n%s", m.PID, os.Getpid(), diff)
	}

	// The fixed MAC gives the fixed link-local address, usable at once
	// (no DAD).
	addrs, err := c1.Addresses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ll := netip.MustParseAddr("fe80::ff:fe00:201")
	if c1.LinkLocal() != ll || !slices.ContainsFunc(addrs, func(a netlab.Address) bool { return a.Addr() == ll && a.Usable() }) {
		t.Errorf("c1 link-local %v, addresses %+v; want usable %v", c1.LinkLocal(), addrs, ll)
	}
	// Resolver isolation: the namespace sees its own empty resolv.conf.
	if out, err := c1.Run(ctx, "cat", "/etc/resolv.conf"); err != nil || len(out) != 0 {
		t.Errorf("namespace resolv.conf = %q, %v; want empty", out, err)
	}
	if got, err := c1.Run(ctx, "cat", "/proc/sys/net/ipv6/conf/eth0/accept_ra"); err != nil || strings.TrimSpace(string(got)) != "2" {
		t.Errorf("accept_ra = %q, %v; want 2", got, err)
	}
	if rs, err := c1.DefaultRoutes(ctx); err != nil || len(rs) != 0 {
		t.Errorf("DefaultRoutes = %v, %v; want none before any RA", rs, err)
	}

	// Neighbour discovery works across the bridge.
	if _, err := exec.LookPath("ndisc6"); err == nil {
		if out, err := c1.Run(ctx, "ndisc6", "-1", "-r", "5", "-w", "1000", "fe80::ff:fe00:100", "eth0"); err != nil {
			t.Errorf("ndisc6 to the router: %v: %s", err, out)
		}
	}

	p, err := c1.Start(ctx, "sleep", "sleep", "600")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !p.Exited() {
		t.Error("process still running after Close")
	}
	assertGone(t, prefix, dir)
	if _, err := l.AddHost(ctx, "c3", "02:00:00:00:02:03"); !errors.Is(err, netlab.ErrClosed) {
		t.Errorf("AddHost after Close = %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestProcessStop(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	l, err := netlab.New(t.Context(), netlab.Options{Grace: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h, err := l.AddHost(t.Context(), "c1", "02:00:00:00:02:01")
	if err != nil {
		t.Fatal(err)
	}

	// Cancelling the context stops the process.
	ctx, cancel := context.WithCancel(t.Context())
	p, err := h.Start(ctx, "sleep", "sleep", "600")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	wctx, wcancel := context.WithTimeout(t.Context(), waitTimeout)
	defer wcancel()
	if err := p.Wait(wctx); errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("process survived context cancellation")
	}

	// A process ignoring SIGTERM is killed after the grace period; the
	// child it leaves in the namespace is killed by Close.
	p2, err := h.Start(t.Context(), "stubborn", "sh", "-c", `trap "" TERM; echo ready; sleep 600`)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { b, _ := os.ReadFile(p2.Stdout); return strings.Contains(string(b), "ready") })
	if err := p2.Stop(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop of a TERM-ignoring process = %v, want killed", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, l.Prefix(), l.Dir())
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCleanStale(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	ctx := t.Context()

	// A live lab must survive CleanStale.
	live := netlabtest.New(t)

	// Simulate a run killed with SIGKILL: namespaces with a process in
	// one, /etc/netns, a state dir and a marker naming a dead PID.
	var rb [3]byte
	if _, err := rand.Read(rb[:]); err != nil {
		t.Fatal(err)
	}
	prefix := "rl" + hex.EncodeToString(rb[:])
	nss := []string{prefix + "-rtr", prefix + "-c1"}
	t.Cleanup(func() {
		for _, ns := range nss {
			_ = exec.Command("ip", "netns", "delete", ns).Run()
			_ = os.RemoveAll(filepath.Join("/etc/netns", ns))
		}
		_ = os.Remove(filepath.Join(netlab.MarkerDir, prefix+".json"))
	})
	for _, ns := range nss {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v: %s", err, out)
		}
		if err := os.MkdirAll(filepath.Join("/etc/netns", ns), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("/etc/netns", ns, "resolv.conf"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	orphan := exec.Command("ip", "netns", "exec", nss[1], "sh", "-c", "echo ready; exec sleep 600")
	orphan.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := orphan.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	// Only once it prints is the process inside the namespace.
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	orphanDone := make(chan struct{})
	go func() { _ = orphan.Wait(); close(orphanDone) }()
	t.Cleanup(func() { _ = orphan.Process.Kill(); <-orphanDone })

	dir, err := os.MkdirTemp("", "ralab-"+prefix+"-")
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	mb, err := json.Marshal(map[string]any{
		"prefix": prefix, "pid": dead.Process.Pid, "start_time": 1, "dir": dir, "namespaces": nss,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(netlab.MarkerDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(netlab.MarkerDir, prefix+".json"), mb, 0o644); err != nil {
		t.Fatal(err)
	}

	cleaned, err := netlab.CleanStale(ctx, nil)
	if err != nil {
		t.Errorf("CleanStale: %v", err)
	}
	if !slices.Contains(cleaned, prefix) || slices.Contains(cleaned, live.Prefix()) {
		t.Errorf("CleanStale cleaned %v; want %s and not the live %s", cleaned, prefix, live.Prefix())
	}
	select {
	case <-orphanDone:
	case <-time.After(waitTimeout):
		t.Error("process in the stale namespace was not killed")
	}
	assertGone(t, prefix, dir)
	if got := netlabtest.Namespaces(live.Prefix()); len(got) != 1 {
		t.Errorf("live lab namespaces = %v, want its router", got)
	}
}

// panicEnv tells TestPanicHelper to run: it names the file that receives
// the lab prefix.
const panicEnv = "NETLAB_PANIC_HELPER_OUT"

// TestPanicHelper is run by TestPanicCleanup in a subprocess; otherwise it
// does nothing.
func TestPanicHelper(t *testing.T) {
	out := os.Getenv(panicEnv)
	if out == "" {
		return
	}
	l := netlabtest.New(t)
	h := l.Host(t, "c1", "02:00:00:00:02:01")
	if _, err := h.Start(t.Context(), "sleep", "sleep", "600"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte(l.Prefix()+"\n"+l.Dir()), 0o644); err != nil {
		t.Fatal(err)
	}
	panic("deliberate panic in a test body")
}

func TestPanicCleanup(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	out := filepath.Join(t.TempDir(), "prefix")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestPanicHelper$", "-test.v")
	cmd.Env = append(os.Environ(), panicEnv+"="+out)
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "deliberate panic") {
		t.Fatalf("helper did not panic: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("helper wrote no prefix: %v\n%s", err, b)
	}
	prefix, dir, _ := strings.Cut(string(got), "\n")
	assertGone(t, prefix, dir)
}

func TestCapture(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "ndisc6", "ndisc6")
	t.Parallel()
	l := netlabtest.New(t)
	c1 := l.Host(t, "c1", "02:00:00:00:02:01")
	c := l.Capture(t)
	if out, err := c1.Run(t.Context(), "ndisc6", "-1", "-r", "5", "-w", "1000", "fe80::ff:fe00:100", "eth0"); err != nil {
		t.Fatalf("ndisc6: %v: %s", err, out)
	}
	path, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if path != c.Path() || filepath.Ext(path) != ".pcapng" {
		t.Errorf("Stop returned %q, Path %q", path, c.Path())
	}
	b, err := exec.Command("tshark", "-n", "-r", path, "-T", "fields", "-e", "icmpv6.type", "-e", "ipv6.src").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	want := []string{"135\tfe80::ff:fe00:201", "136\tfe80::ff:fe00:100"}
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("capture lacks %q; has:\n%s", w, b)
		}
	}
}

func TestParallelLabs(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			l := netlabtest.New(t)
			for j := 1; j <= 2; j++ {
				h := l.Host(t, fmt.Sprintf("c%d", j), fmt.Sprintf("02:00:00:00:02:%02x", j))
				if h.LinkLocal().String() != fmt.Sprintf("fe80::ff:fe00:2%02x", j) {
					t.Errorf("host %s link-local %v", h.Name, h.LinkLocal())
				}
			}
			if got := len(netlabtest.Namespaces(l.Prefix())); got != 3 {
				t.Errorf("%d namespaces, want 3", got)
			}
		})
	}
}

// TestAddHostConcurrent adds hosts from several goroutines: each AddHost
// rewrites the marker, which must neither fail nor lose a namespace.
func TestAddHostConcurrent(t *testing.T) {
	netlabtest.RequireLab(t)
	t.Parallel()
	ctx := t.Context()
	l, err := netlab.New(ctx, netlab.Options{Grace: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const n = 4
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := l.AddHost(ctx, fmt.Sprintf("c%d", i+1), fmt.Sprintf("02:00:00:00:02:%02x", i+1))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("AddHost: %v", err)
		}
	}
	b, err := os.ReadFile(filepath.Join(netlab.MarkerDir, l.Prefix()+".json"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if ns := fmt.Sprintf("%s-c%d", l.Prefix(), i+1); !strings.Contains(string(b), ns) {
			t.Errorf("marker lacks namespace %s:\n%s", ns, b)
		}
	}
}

// TestRestoreBridge deletes the router's bridge under a host and creates
// it again: the host reaches the router's link-local address before and
// after, the new bridge forwards like the first, and nothing is left
// behind.
func TestRestoreBridge(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "ndisc6", "ndisc6")
	t.Parallel()
	ctx := t.Context()
	l := netlabtest.New(t)
	c1 := l.Host(t, "c1", "02:00:00:00:02:01")
	rtr := l.Router()
	reach := func() error {
		_, err := c1.Run(ctx, "ndisc6", "-1", "-r", "3", "-w", "1000", rtr.LinkLocal().String(), c1.IfName)
		return err
	}
	if err := reach(); err != nil {
		t.Fatalf("before: %v", err)
	}
	if err := l.DeleteBridge(ctx); err != nil {
		t.Fatalf("DeleteBridge: %v", err)
	}
	if _, err := rtr.IfIndex(ctx); err == nil {
		t.Errorf("%s still exists after DeleteBridge", netlab.BridgeName)
	}
	if err := l.RestoreBridge(ctx); err != nil {
		t.Fatalf("RestoreBridge: %v", err)
	}
	if err := reach(); err != nil {
		t.Errorf("after RestoreBridge: %v", err)
	}
	if got, err := rtr.Run(ctx, "cat", "/proc/sys/net/ipv6/conf/"+netlab.BridgeName+"/forwarding"); err != nil || strings.TrimSpace(string(got)) != "1" {
		t.Errorf("forwarding on the new bridge = %q, %v; want 1", got, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.RestoreBridge(ctx); !errors.Is(err, netlab.ErrClosed) {
		t.Errorf("RestoreBridge after Close = %v, want ErrClosed", err)
	}
	assertGone(t, l.Prefix(), l.Dir())
}

// TestStartPcap captures on a host with tcpdump and reads the file while
// the capture runs: the host's Neighbor Solicitation and the router's
// Advertisement are there without stopping it.
func TestStartPcap(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "ndisc6", "ndisc6")
	netlabtest.RequireTool(t, "tcpdump", "tcpdump")
	t.Parallel()
	l := netlabtest.New(t)
	c1 := l.Host(t, "c1", "02:00:00:00:02:01")
	c, err := c1.StartPcap(t.Context(), "c1", "icmp6")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := c1.Run(t.Context(), "ndisc6", "-1", "-r", "5", "-w", "1000", "fe80::ff:fe00:100", "eth0"); err != nil {
		t.Fatalf("ndisc6: %v: %s", err, out)
	}
	// ICMPv6 type after the Ethernet (14) and IPv6 (40) headers.
	const offType = 14 + 40
	types := func() []byte {
		fs, err := netlab.ReadPcap(c.Path())
		if err != nil {
			t.Fatal(err)
		}
		var out []byte
		for _, f := range fs {
			if len(f.Data) > offType && (f.Data[offType] == 135 || f.Data[offType] == 136) {
				out = append(out, f.Data[offType])
			}
		}
		return out
	}
	waitFor(t, func() bool { ts := types(); return slices.Contains(ts, 135) && slices.Contains(ts, 136) })
	path, err := c.Stop()
	if err != nil || path != c.Path() || filepath.Ext(path) != ".pcap" {
		t.Errorf("Stop = %q, %v; want %q", path, err, c.Path())
	}
}
