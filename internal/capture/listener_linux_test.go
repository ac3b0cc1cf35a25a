package capture

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// Fixed MACs give fixed link-local addresses (lab-recipes.md).
const (
	routerMAC = "02:00:00:00:01:01"
	routerLL  = "fe80::ff:fe00:101"
	clientMAC = "02:00:00:00:02:01"
	clientLL  = "fe80::ff:fe00:201"
)

// requireLab skips the test when it cannot build namespaces, or fails it
// under CI (CI=true), where a skip would hide a broken environment.
func requireLab(t testing.TB, tools ...string) {
	t.Helper()
	missing := func(reason string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s", reason)
		}
		t.Skip(reason)
	}
	if os.Geteuid() != 0 {
		missing("needs root to create network namespaces")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			missing("needs " + tool + " in PATH")
		}
	}
}

// run runs a command and fails the test if it fails.
func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// newLink creates two namespaces joined by a veth pair, R0 in the first
// (router) and C0 in the second (client), both up with usable link-local
// addresses. Everything is removed when the test ends.
func newLink(t testing.TB) (rtr, cli string) {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random: %v", err)
	}
	prefix := "ralabt" + hex.EncodeToString(b[:])
	rtr, cli = prefix+"-r", prefix+"-c"
	for _, ns := range []string{rtr, cli} {
		t.Cleanup(func() {
			// Deleting the namespace also deletes its veth end.
			_ = exec.Command("ip", "netns", "del", ns).Run()
		})
		run(t, "ip", "netns", "add", ns)
		// DAD off before the link exists, so link-local is usable at once.
		run(t, "ip", "netns", "exec", ns, "sysctl", "-q", "-w",
			"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	}
	run(t, "ip", "link", "add", "R0", "netns", rtr, "address", routerMAC,
		"type", "veth", "peer", "name", "C0", "netns", cli, "address", clientMAC)
	run(t, "ip", "-n", rtr, "link", "set", "R0", "up")
	run(t, "ip", "-n", cli, "link", "set", "C0", "up")
	for _, l := range []struct{ ns, dev string }{{rtr, "R0"}, {cli, "C0"}} {
		deadline := time.Now().Add(20 * time.Second)
		for {
			out, _ := exec.Command("ip", "-n", l.ns, "-6", "addr", "show", "dev", l.dev, "scope", "link").Output()
			s := string(out)
			if strings.Contains(s, "fe80::") && !strings.Contains(s, "tentative") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s in %s has no usable link-local address:\n%s", l.dev, l.ns, s)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return rtr, cli
}

// inNetns runs fn on a thread switched into namespace ns and returns its
// error. Sockets opened by fn keep the namespace after the thread is gone.
func inNetns(ns string, fn func() error) error {
	ch := make(chan error, 1)
	go func() {
		// Never unlocked: the Go runtime ends the thread with this
		// goroutine, so no other goroutine runs in the namespace.
		runtime.LockOSThread()
		h, err := netns.GetFromName(ns)
		if err != nil {
			ch <- err
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			ch <- err
			return
		}
		ch <- fn()
	}()
	return <-ch
}

// listenIn opens a Listener on interface dev inside namespace ns.
func listenIn(ns, dev string) (*Listener, error) {
	var l *Listener
	err := inNetns(ns, func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		l, err = Listen(ifi)
		return err
	})
	return l, err
}

func TestListenerNamespaces(t *testing.T) {
	requireLab(t, "rdisc6", "dig", "tshark")
	rtr, cli := newLink(t)

	l, err := listenIn(rtr, "R0")
	if err != nil {
		t.Fatalf("listenIn: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })

	path := filepath.Join(t.TempDir(), "capture.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer f.Close()
	w, err := NewWriter(f, "R0")
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}

	var (
		mu  sync.Mutex
		got []Packet
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- l.Run(ctx, func(p Packet) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, p)
			return w.WritePacket(p)
		})
	}()

	// Traffic: a Router Solicitation and a DNS query from the client; a
	// DNS query the router side sends itself (outbound); UDP to port 9,
	// which the filter drops. Nothing answers the queries, so the tools'
	// exit status is ignored.
	sends := [][]string{
		{"ip", "netns", "exec", cli, "rdisc6", "-1", "-r", "1", "-w", "500", "C0"},
		{"ip", "netns", "exec", cli, "dig", "@" + routerLL + "%C0", "+tries=1", "+time=1", "AAAA", "example.com"},
		{"ip", "netns", "exec", rtr, "dig", "@" + clientLL + "%R0", "+tries=1", "+time=1", "AAAA", "example.org"},
		{"ip", "netns", "exec", cli, "dig", "-p", "9", "@" + routerLL + "%C0", "+tries=1", "+time=1", "A", "discard.test"},
	}
	for _, args := range sends {
		_ = exec.Command(args[0], args[1:]...).Run()
	}

	// What the capture must hold, checked on the Packets as read.
	type want struct {
		name     string
		match    func(p Packet) bool
		outbound bool
	}
	icmpType := func(typ byte) func(Packet) bool {
		return func(p Packet) bool {
			return len(p.Data) > offICMPType && p.Data[offNextHeader] == protoICMPv6 && p.Data[offICMPType] == typ
		}
	}
	udpDst := func(port int, fromRouter bool) func(Packet) bool {
		return func(p Packet) bool {
			return len(p.Data) > offDstPort+1 && p.Data[offNextHeader] == protoUDP &&
				int(p.Data[offDstPort])<<8|int(p.Data[offDstPort+1]) == port &&
				(net.HardwareAddr(p.Data[6:12]).String() == routerMAC) == fromRouter
		}
	}
	wants := []want{
		{name: "RS from client", match: icmpType(133)},
		{name: "DNS query from client", match: udpDst(53, false)},
		{name: "DNS query from router", match: udpDst(53, true), outbound: true},
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		missing := ""
		for _, wt := range wants {
			found := false
			for _, p := range got {
				if wt.match(p) {
					found = true
					if p.Outbound != wt.outbound {
						t.Errorf("%s: Outbound = %v, want %v", wt.name, p.Outbound, wt.outbound)
					}
					if p.Time.Before(start) {
						t.Errorf("%s: stamped %v, before the capture began at %v", wt.name, p.Time, start)
					}
					break
				}
			}
			if !found {
				missing = wt.name
				break
			}
		}
		dropped := false
		for _, p := range got {
			if udpDst(9, false)(p) {
				dropped = true
			}
		}
		mu.Unlock()
		if dropped {
			t.Error("captured UDP to port 9, which the filter must drop")
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in the capture", missing)
		}
		time.Sleep(100 * time.Millisecond)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	filled := 0
	for _, p := range got {
		if p.ChecksumFilled {
			filled++
		}
		if p.Length != len(p.Data) {
			t.Errorf("frame of %d bytes captured as %d", p.Length, len(p.Data))
		}
	}
	t.Logf("%d of %d frames needed their checksum filled in", filled, len(got))
	st, err := l.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.Packets < uint64(len(wants)) || st.KernelPackets < st.Packets {
		t.Errorf("Stats = %+v, want at least %d packets, kernel count ≥ ours", st, len(wants))
	}
	if err := w.WriteStats(st, start, time.Now()); err != nil {
		t.Fatalf("WriteStats: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// An independent decoder must open the file and see the same traffic.
	out, err := exec.Command("tshark", "-n", "-r", path, "-o", "udp.check_checksum:TRUE", "-T", "fields",
		"-e", "icmpv6.type", "-e", "udp.dstport", "-e", "frame.interface_name",
		"-e", "udp.checksum.status", "-e", "icmpv6.checksum.status").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("tshark -r: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("tshark -r: %v", err)
	}
	t.Logf("tshark fields (ICMPv6 type, UDP port, interface, UDP and ICMPv6 checksum status):\n%s", out)
	var rs, dns, port9 bool
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		fields := strings.Split(line, "\t")
		if len(fields) != 5 {
			t.Fatalf("tshark line %q: want 5 fields", line)
		}
		// Status 0 is a bad checksum (1 good, 2 unverified): frames the
		// kernel handed over before offload must have been filled in.
		if fields[3] == "0" || fields[4] == "0" {
			t.Errorf("tshark finds a bad checksum: %q", line)
		}
		rs = rs || fields[0] == "133"
		dns = dns || fields[1] == "53"
		port9 = port9 || fields[1] == "9"
		if fields[2] != "R0" {
			t.Errorf("tshark interface name %q, want R0", fields[2])
		}
	}
	if !rs || !dns || port9 {
		t.Fatalf("tshark saw RS=%v DNS=%v port9=%v, want true true false:\n%s", rs, dns, port9, out)
	}
}

func TestListenRejectsNonEthernet(t *testing.T) {
	_, err := Listen(&net.Interface{Name: "lo", Index: 1})
	if !errors.Is(err, ErrNoHardwareAddr) {
		t.Fatalf("Listen(lo) error = %v, want ErrNoHardwareAddr", err)
	}
}
