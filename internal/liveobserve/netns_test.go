package liveobserve

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/vishvananda/netns"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// inNetns runs fn on a thread switched into namespace ns and waits for
// it. The thread goes back to its namespace afterwards, or, when that
// fails, stays locked so the Go runtime retires it.
func inNetns(t *testing.T, ns string, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			done <- err
			return
		}
		defer orig.Close()
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
		err = fn()
		// Back to the process's namespace, so that the thread, which may
		// be the main thread, does not stay in the lab's namespace (the
		// lab would count the test process as one of its own).
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	if err := <-done; err != nil {
		t.Fatalf("in namespace %s: %v", ns, err)
	}
}

// informationRequest is a DHCPv6 Information-Request (RFC 8415 §18.2.6)
// from a client with link-layer address mac: Client ID (DUID-LL), ORO
// asking for DNS servers, Elapsed Time 0.
func informationRequest(mac net.HardwareAddr) []byte {
	b := []byte{11, 0x12, 0x34, 0x56}
	b = append(b, 0, 1, 0, byte(4+len(mac)), 0, 3, 0, 1)
	b = append(b, mac...)
	b = append(b, 0, 6, 0, 2, 0, 23)
	return append(b, 0, 8, 0, 2, 0, 0)
}

// reply is a DHCPv6 Reply to informationRequest with one DNS server.
func reply() []byte {
	b := []byte{7, 0x12, 0x34, 0x56}
	b = append(b, 0, 23, 0, 16)
	return append(b, netip.MustParseAddr("2001:db8:1::53").AsSlice()...)
}

// TestNamespaceObserver runs an Observer in a lab's router namespace: a
// client's RS and Information-Request are seen, RAs and a Reply the
// "daemon" noted are matched against the wire, the observer survives its
// interface going down and up, and tshark reads the pcapng file.
func TestNamespaceObserver(t *testing.T) {
	lab := netlabtest.New(t)
	netlabtest.RequireTool(t, "rdisc6", "ndisc6")
	netlabtest.RequireTool(t, "tshark", "tshark")
	rtr := lab.Router()
	c1 := lab.Host(t, "c1", "02:00:00:00:02:01")
	ctx := t.Context()
	dir := t.TempDir()
	pcap := filepath.Join(dir, "obs.pcapng")
	jsonOut := filepath.Join(dir, "obs.json")

	var obs *Observer
	inNetns(t, rtr.Namespace, func() error {
		var err error
		obs, err = Start(ctx, Config{
			Interface:   rtr.IfName,
			PCAPNG:      pcap,
			Outputs:     []Output{{Path: jsonOut, Format: FormatJSON}},
			ReportEvery: 200 * time.Millisecond,
			Progress:    time.Second,
			Poll:        100 * time.Millisecond,
			Wait:        true,
			Logger:      netlabtest.Logger(t),
		})
		return err
	})
	closed := false
	t.Cleanup(func() {
		if !closed {
			_, _ = obs.Close()
		}
	})

	// The "daemon" notes an RA, then sends it; and notes a Reply it never
	// sends, as when an impairment drops it.
	ra := testRA(t)
	inNetns(t, rtr.Namespace, func() error {
		ifi, err := net.InterfaceByName(rtr.IfName)
		if err != nil {
			return err
		}
		c, _, err := ndp.Listen(ifi, ndp.LinkLocal)
		if err != nil {
			return err
		}
		defer c.Close()
		m, err := ndp.ParseMessage(ra)
		if err != nil {
			return err
		}
		obs.NoteRA(time.Now(), "periodic", netip.IPv6LinkLocalAllNodes(), nil, ra)
		if err := c.WriteTo(m, nil, netip.IPv6LinkLocalAllNodes()); err != nil {
			return err
		}
		obs.NoteDHCPv6Reply(time.Now(), c1.LinkLocal(), reply())
		return nil
	})

	// The client solicits and asks DHCPv6 for DNS.
	// Nothing answers: rdisc6 fails, its RS is what counts.
	_, _ = c1.Run(ctx, "rdisc6", "-1", "-r", "1", "-w", "200", netlab.HostIfName)
	inNetns(t, c1.Namespace, func() error {
		conn, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IP(c1.LinkLocal().AsSlice()), Port: 546, Zone: netlab.HostIfName})
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = conn.WriteToUDP(informationRequest(c1.MAC), &net.UDPAddr{IP: net.ParseIP("ff02::1:2"), Port: 547, Zone: netlab.HostIfName})
		return err
	})

	client := func() conformance.Client {
		r := obs.Report(time.Now())
		i := slices.IndexFunc(r.Clients, func(c conformance.Client) bool { return c.MAC == c1.MAC.String() })
		if i < 0 {
			return conformance.Client{}
		}
		return r.Clients[i]
	}
	waitFor(t, "the client's RS and Information-Request", func() bool {
		c := client()
		return c.Counts.RS >= 1 && c.Counts.InformationRequests >= 1
	})

	// The interface goes down and comes back: the observer re-opens it and
	// keeps counting in the same tracker and file.
	if _, err := rtr.Run(ctx, "ip", "link", "set", rtr.IfName, "down"); err != nil {
		t.Fatalf("link down: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := rtr.Run(ctx, "ip", "link", "set", rtr.IfName, "up"); err != nil {
		t.Fatalf("link up: %v", err)
	}
	rs := client().Counts.RS
	waitFor(t, "an RS after the interface came back", func() bool {
		_, _ = c1.Run(ctx, "rdisc6", "-1", "-r", "1", "-w", "200", netlab.HostIfName)
		return client().Counts.RS > rs
	})

	// The periodic report is on disk while running.
	if _, err := os.Stat(jsonOut); err != nil {
		t.Errorf("no periodic report: %v", err)
	}
	r, err := obs.Close()
	closed = true
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	var seen []string
	for _, s := range r.Sent {
		seen = append(seen, fmt.Sprintf("%s %t", s.Kind, s.SeenPacket != 0))
	}
	if !slices.Contains(seen, "ra true") || !slices.Contains(seen, "dhcpv6-reply false") {
		t.Errorf("sent records %q (%+v), want the RA seen on the wire and the Reply not", seen, r.Sent)
	}
	if st := obs.Stats(); st.Packets == 0 {
		t.Errorf("stats %+v", st)
	}

	// tshark reads the one capture file of the run, with frames from
	// before and after the interface flapped.
	out, err := exec.CommandContext(ctx, "tshark", "-n", "-r", pcap, "-T", "fields", "-e", "eth.src", "-e", "icmpv6.type", "-e", "dhcpv6.msgtype").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark -r: %v\n%s", err, out)
	}
	var clientRS, ras, infoReqs int
	for l := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(l, "\n"), "\t")
		if len(f) < 3 {
			continue
		}
		switch {
		case f[0] == c1.MAC.String() && f[1] == "133":
			clientRS++
		case f[1] == "134":
			ras++
		case f[2] == "11":
			infoReqs++
		}
	}
	if clientRS < 2 || ras < 1 || infoReqs < 1 {
		t.Errorf("capture has %d client RS (want ≥ 2), %d RA, %d Information-Requests; tshark:\n%s", clientRS, ras, infoReqs, out)
	}
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
