package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// needLab skips (or, with CI=true, fails) unless the test runs as root
// with every tool it names.
func needLab(t *testing.T, tools ...string) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	if os.Geteuid() != 0 {
		fail("needs root to create network namespaces")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			fail("needs %s: %v", tool, err)
		}
	}
}

// lab is a set of network namespaces the test created.
type lab struct {
	t      *testing.T
	prefix string
	dir    string
}

func newLab(t *testing.T) *lab {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	l := &lab{t: t, prefix: "ralabt" + hex.EncodeToString(b), dir: t.TempDir()}
	return l
}

// ns returns the full name of namespace short.
func (l *lab) ns(short string) string { return l.prefix + "-" + short }

// run runs a command and fails the test on error.
func (l *lab) run(args ...string) string {
	l.t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// addNS creates namespace short, removed at cleanup, with DAD off
// (lab-recipes: before any veth exists) and a resolv.conf of its own.
func (l *lab) addNS(short string) string {
	n := l.ns(short)
	l.run("ip", "netns", "add", n)
	l.t.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", n).Run()
		_ = os.RemoveAll(filepath.Join("/etc/netns", n))
	})
	if err := os.MkdirAll(filepath.Join("/etc/netns", n), 0o755); err != nil {
		l.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("/etc/netns", n, "resolv.conf"), nil, 0o644); err != nil {
		l.t.Fatal(err)
	}
	l.run("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	return n
}

// start starts a long-running command, stopped at cleanup.
func (l *lab) start(name string, args ...string) *exec.Cmd {
	l.t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	logf, err := os.Create(filepath.Join(l.dir, name+".log"))
	if err != nil {
		l.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("starting %s: %v", name, err)
	}
	l.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if l.t.Failed() {
			out, _ := os.ReadFile(logf.Name())
			if len(out) > 2000 {
				out = out[len(out)-2000:]
			}
			l.t.Logf("%s log:\n%s", name, out)
		}
	})
	return cmd
}

// waitLinkLocal waits until eth0 in namespace ns has a usable link-local
// address (veth has a carrier delay; lab recipes).
func (l *lab) waitLinkLocal(ns string) {
	l.t.Helper()
	waitFor(l.t, "a link-local address in "+ns, 20*time.Second, func() bool {
		out, _ := exec.Command("ip", "-n", ns, "-6", "addr", "show", "dev", "eth0", "scope", "link").Output()
		return bytes.Contains(out, []byte("fe80::")) && !bytes.Contains(out, []byte("tentative"))
	})
}

// waitFor polls cond every 100 ms until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// analyzeFile runs Analyze on a capture file (possibly still being
// written).
func analyzeFile(t *testing.T, name string) *Report {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Analyze(f)
	if err != nil {
		return nil
	}
	return rep
}

// clientView is what the lab test checks per client.
type clientView struct {
	MAC        string
	Identified string
	Verdict    Verdict
}

func viewOf(r *Report) []clientView {
	var out []clientView
	if r == nil {
		return out
	}
	for _, c := range r.Clients {
		out = append(out, clientView{MAC: c.MAC, Identified: c.Identified, Verdict: c.Verdict})
	}
	return out
}

// TestLabRealClients captures dnsmasq (RA + stateless DHCPv6) serving ISC
// dhclient, dhcpcd, WIDE dhcp6c -i and a kernel-only host that queries
// DNS, in namespaces the test creates, and checks the observer's verdicts
// and client identification on that capture.
func TestLabRealClients(t *testing.T) {
	if testing.Short() {
		t.Skip("lab test skipped in -short mode")
	}
	needLab(t, "ip", "tcpdump", "dnsmasq", "dhclient", "dhcpcd", "dhcp6c", "dig", "sysctl", "mount")
	l := newLab(t)
	r := l.addNS("r")
	names := []string{"a", "b", "c", "d"}
	macs := []string{"02:00:00:00:02:01", "02:00:00:00:02:02", "02:00:00:00:02:03", "02:00:00:00:02:04"}
	ns := map[string]string{}

	// Link: a bridge in the router namespace, one veth per client.
	l.run("ip", "-n", r, "link", "add", "br0", "address", "02:00:00:00:01:01", "type", "bridge", "mcast_snooping", "0")
	for i, name := range names {
		c := l.addNS(name)
		ns[name] = c
		port := "p" + name
		l.run("ip", "link", "add", port, "netns", r, "type", "veth", "peer", "name", "eth0", "netns", c, "address", macs[i])
		l.run("ip", "-n", r, "link", "set", port, "master", "br0", "up")
		l.run("ip", "netns", "exec", c, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=2")
		l.run("ip", "-n", c, "link", "set", "lo", "up") // dhcp6c's control socket is on ::1
	}
	l.run("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
	l.run("ip", "-n", r, "link", "set", "br0", "up")
	l.run("ip", "-n", r, "addr", "add", "2001:db8:1::1/64", "dev", "br0")

	capFile := filepath.Join(l.dir, "lab.pcap")
	tcpdump := l.start("tcpdump", "ip", "netns", "exec", r, "tcpdump", "-i", "br0", "-U", "--immediate-mode", "-s", "0", "-w", capFile,
		"icmp6 or udp port 546 or udp port 547 or port 53")
	waitFor(t, "tcpdump to listen", 10*time.Second, func() bool {
		out, _ := os.ReadFile(filepath.Join(l.dir, "tcpdump.log"))
		return bytes.Contains(out, []byte("listening on"))
	})
	l.start("dnsmasq", "ip", "netns", "exec", r, "dnsmasq", "-k", "-C", "/dev/null", "-u", "root", "--port=0",
		"--interface=br0", "--bind-interfaces", "--enable-ra", "--ra-param=br0,10,1800",
		"--dhcp-range=::,constructor:br0,ra-stateless", "--dhcp-option=option6:dns-server,[2001:db8::53]",
		"--pid-file="+filepath.Join(l.dir, "dnsmasq.pid"), "--dhcp-leasefile="+filepath.Join(l.dir, "dnsmasq.leases"))

	for _, name := range names {
		l.run("ip", "-n", ns[name], "link", "set", "eth0", "up")
	}
	for _, name := range names {
		l.waitLinkLocal(ns[name])
	}

	// a: ISC dhclient, DHCPv6 only (lab recipes).
	hook := filepath.Join(l.dir, "hook.sh")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	l.start("dhclient", "ip", "netns", "exec", ns["a"], "dhclient", "-6", "-S", "-d", "-v", "-pf", filepath.Join(l.dir, "dhclient.pid"),
		"-lf", filepath.Join(l.dir, "dhclient.leases"), "-sf", hook, "eth0")
	// c: dhcpcd, with its state directories on tmpfs in its own mount
	// namespace (ip netns exec gives each command one).
	conf := filepath.Join(l.dir, "dhcpcd.conf")
	if err := os.WriteFile(conf, []byte("ipv6only\noption domain_name_servers, domain_search\nslaac hwaddr\nnoipv4ll\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l.start("dhcpcd", "ip", "netns", "exec", ns["c"], "sh", "-c",
		"mount -t tmpfs x /run && mkdir -p /run/dhcpcd && mount -t tmpfs x /var/lib/dhcpcd && exec dhcpcd -6 -B -d -f "+conf+" eth0")
	// d: WIDE dhcp6c -i, which sends no ORO.
	l.start("dhcp6c", "ip", "netns", "exec", ns["d"], "sh", "-c",
		"mount -t tmpfs x /var/lib/dhcpv6 && exec dhcp6c -f -i -p "+filepath.Join(l.dir, "dhcp6c.pid")+" eth0")
	// b: the kernel's own RS and SLAAC, then a DNS query.
	waitFor(t, "a default route in b", 30*time.Second, func() bool {
		out, _ := exec.Command("ip", "-n", ns["b"], "-6", "route", "show", "default").Output()
		return len(bytes.TrimSpace(out)) > 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = exec.CommandContext(ctx, "ip", "netns", "exec", ns["b"], "dig", "+time=1", "+tries=1", "@2001:db8::53", "example.org", "AAAA").Run()

	want := []clientView{
		{MAC: macs[0], Identified: "ISC dhclient", Verdict: VerdictDNSOK},
		{MAC: macs[1], Verdict: VerdictDNSOK},
		{MAC: macs[2], Identified: "dhcpcd", Verdict: VerdictDNSOK},
		{MAC: macs[3], Identified: "WIDE dhcp6c", Verdict: VerdictDNSOK},
	}
	// Poll the capture as it grows until every client has settled.
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) && !cmp.Equal(want, viewOf(analyzeFile(t, capFile))) {
		time.Sleep(500 * time.Millisecond)
	}
	_ = tcpdump.Process.Signal(syscall.SIGTERM)
	_ = tcpdump.Wait()
	if keep := os.Getenv("RALAB_LAB_PCAP"); keep != "" {
		// Keep the capture for comparison with tshark.
		if b, err := os.ReadFile(capFile); err == nil {
			_ = os.WriteFile(keep, b, 0o644)
		}
	}
	rep := analyzeFile(t, capFile)
	if rep == nil {
		t.Fatal("capture does not analyze")
	}
	for _, c := range rep.Clients {
		t.Logf("%s %s (%s): %s | %s", c.MAC, c.Verdict, c.Identified, c.Reason, c.Settle)
		for _, fd := range c.Findings {
			t.Logf("  %s %s: %s", fd.ID, fd.Severity, fd.Message)
		}
	}
	if diff := cmp.Diff(want, viewOf(rep)); diff != "" {
		t.Errorf("clients (-want +got):\n%s", diff)
	}
	if len(rep.Routers) != 1 || rep.Routers[0].LastRA == nil || !rep.Routers[0].LastRA.Other {
		t.Errorf("want one router whose RA sets O: %+v", rep.Routers)
	}
	for _, rt := range rep.Routers {
		for _, fd := range rt.Findings {
			t.Logf("router %s %s: %s", fd.ID, fd.Severity, fd.Message)
		}
	}
	if rep.Malformed != 0 {
		t.Errorf("%d malformed packets in a capture of well-behaved software: %+v", rep.Malformed, rep.Findings)
	}
}

// TestLabDHCPv6Dropped reproduces F9: the router's DHCPv6 server is there
// but an nftables rule in the router namespace drops Information-Requests,
// and ISC dhclient, which ignores RDNSS, retransmits in vain. The observer
// must say no-dns with F9, not dns-ok from the RDNSS the RAs carry.
func TestLabDHCPv6Dropped(t *testing.T) {
	if testing.Short() {
		t.Skip("lab test skipped in -short mode")
	}
	needLab(t, "ip", "tcpdump", "dnsmasq", "dhclient", "nft", "sysctl")
	l := newLab(t)
	r, a := l.addNS("r"), l.addNS("a")
	l.run("ip", "link", "add", "R0", "netns", r, "address", "02:00:00:00:01:01", "type", "veth", "peer", "name", "eth0", "netns", a, "address", "02:00:00:00:02:01")
	l.run("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
	l.run("ip", "netns", "exec", a, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=2")
	l.run("ip", "-n", r, "link", "set", "R0", "up")
	l.run("ip", "-n", r, "addr", "add", "2001:db8:1::1/64", "dev", "R0")
	l.run("ip", "netns", "exec", r, "nft", "add table inet f; add chain inet f in { type filter hook input priority 0; }; add rule inet f in udp dport 547 drop")

	capFile := filepath.Join(l.dir, "f9.pcap")
	tcpdump := l.start("tcpdump", "ip", "netns", "exec", r, "tcpdump", "-i", "R0", "-U", "--immediate-mode", "-s", "0", "-w", capFile,
		"icmp6 or udp port 546 or udp port 547 or port 53")
	waitFor(t, "tcpdump to listen", 10*time.Second, func() bool {
		out, _ := os.ReadFile(filepath.Join(l.dir, "tcpdump.log"))
		return bytes.Contains(out, []byte("listening on"))
	})
	l.start("dnsmasq", "ip", "netns", "exec", r, "dnsmasq", "-k", "-C", "/dev/null", "-u", "root", "--port=0",
		"--interface=R0", "--bind-interfaces", "--enable-ra", "--ra-param=R0,10,1800",
		"--dhcp-range=::,constructor:R0,ra-stateless", "--dhcp-option=option6:dns-server,[2001:db8::53]",
		"--pid-file="+filepath.Join(l.dir, "dnsmasq.pid"), "--dhcp-leasefile="+filepath.Join(l.dir, "dnsmasq.leases"))
	l.run("ip", "-n", a, "link", "set", "eth0", "up")
	l.waitLinkLocal(a)
	hook := filepath.Join(l.dir, "hook.sh")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	l.start("dhclient", "ip", "netns", "exec", a, "dhclient", "-6", "-S", "-d", "-v", "-pf", filepath.Join(l.dir, "dhclient.pid"),
		"-lf", filepath.Join(l.dir, "dhclient.leases"), "-sf", hook, "eth0")

	// dhclient retransmits after about 1, 2 and 4 s (RFC 8415 §15): wait
	// for at least three Information-Requests on the wire.
	waitFor(t, "three Information-Requests", 40*time.Second, func() bool {
		rep := analyzeFile(t, capFile)
		if rep != nil && len(rep.Clients) == 1 && rep.Clients[0].Counts.InformationRequests >= 3 {
			return true
		}
		return false
	})
	_ = tcpdump.Process.Signal(syscall.SIGTERM)
	_ = tcpdump.Wait()
	rep := analyzeFile(t, capFile)
	if rep == nil || len(rep.Clients) != 1 {
		t.Fatalf("want one client, got report %+v", rep)
	}
	c := rep.Clients[0]
	t.Logf("%s %s (%s): %s", c.MAC, c.Verdict, c.Identified, c.Reason)
	for _, fd := range c.Findings {
		t.Logf("  %s %s: %s", fd.ID, fd.Severity, fd.Message)
	}
	got := clientView{MAC: c.MAC, Identified: c.Identified, Verdict: c.Verdict}
	if diff := cmp.Diff(clientView{MAC: "02:00:00:00:02:01", Identified: "ISC dhclient", Verdict: VerdictNoDNS}, got); diff != "" {
		t.Errorf("client (-want +got):\n%s", diff)
	}
	if !strings.Contains(c.Reason, "F9") || len(findingIDs(rep, "N1")) == 0 {
		t.Errorf("want F9 in the reason and an N1 finding; reason %q, N1 %v", c.Reason, findingIDs(rep, "N1"))
	}
}
