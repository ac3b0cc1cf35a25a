package capture

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// The lab's fixed MACs give fixed link-local addresses (lab-recipes.md):
// the router's bridge netlab.RouterMAC and the client's clientMAC.
const (
	routerMAC = netlab.RouterMAC
	routerLL  = "fe80::ff:fe00:100"
	clientMAC = "02:00:00:00:02:01"
	clientLL  = "fe80::ff:fe00:201"
)

// listenIn opens a Listener on the host's lab interface, inside its
// namespace.
func listenIn(h *netlab.Host) (*Listener, error) {
	var l *Listener
	err := h.Do(func() error {
		ifi, err := net.InterfaceByName(h.IfName)
		if err != nil {
			return err
		}
		l, err = Listen(ifi)
		return err
	})
	return l, err
}

func TestListenerNamespaces(t *testing.T) {
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "rdisc6", "ndisc6")
	netlabtest.RequireTool(t, "dig", "bind9-dnsutils")
	netlabtest.RequireTool(t, "tshark", "tshark")
	lab := netlabtest.New(t)
	rtr, cli := lab.Router(), lab.Host(t, "c1", clientMAC)
	rif, cif := rtr.IfName, cli.IfName

	l, err := listenIn(rtr)
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
	w, err := NewWriter(f, rif)
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
		{"cli", "rdisc6", "-1", "-r", "1", "-w", "500", cif},
		{"cli", "dig", "@" + routerLL + "%" + cif, "+tries=1", "+time=1", "AAAA", "example.com"},
		{"rtr", "dig", "@" + clientLL + "%" + rif, "+tries=1", "+time=1", "AAAA", "example.org"},
		{"cli", "dig", "-p", "9", "@" + routerLL + "%" + cif, "+tries=1", "+time=1", "A", "discard.test"},
	}
	for _, args := range sends {
		h := cli
		if args[0] == "rtr" {
			h = rtr
		}
		_, _ = h.Run(t.Context(), args[1], args[2:]...)
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
		if fields[2] != rif {
			t.Errorf("tshark interface name %q, want %s", fields[2], rif)
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
