package liveobserve

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestServeWiring runs "ralab serve" with [interface.observe] in a lab:
// the daemon's own observer writes the pcapng and the reports, serves the
// live report over HTTP, and records what the daemon meant to send next to
// what the wire carried: every RA and Reply it sent is matched to a
// captured packet, tshark counts the same RAs and Replies, and the client
// that asked is dns-ok in the live and the final report.
func TestServeWiring(t *testing.T) {
	lab := netlabtest.New(t)
	netlabtest.RequireTool(t, "rdisc6", "ndisc6")
	netlabtest.RequireTool(t, "tshark", "tshark")
	rtr := lab.Router()
	c1 := lab.Host(t, "c1", "02:00:00:00:02:01")
	ctx := t.Context()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`
[http]
address = "127.0.0.1:9431"
[[interface]]
name = "lab0"
other_config = true
max_interval = "10s"
[[interface.rdnss]]
servers = ["2001:db8:1::53"]
[interface.dhcpv6]
enabled = true
[interface.observe]
enabled = true
dir = %q
report_every = "1s"
`, dir)
	if _, err := rtr.Run(ctx, "ip", "link", "set", "lo", "up"); err != nil {
		t.Fatal(err)
	}
	p := lab.StartRalab(t, []byte(cfg))
	waitFor(t, "the pcapng file", func() bool {
		fi, err := os.Stat(filepath.Join(dir, "lab0.pcapng"))
		return err == nil && fi.Size() > 0
	})
	waitFor(t, "an RA answering rdisc6", func() bool {
		_, err := c1.Run(ctx, "rdisc6", "-1", "-r", "1", "-w", "1000", netlab.HostIfName)
		return err == nil
	})
	inNetns(t, c1.Namespace, func() error {
		conn, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IP(c1.LinkLocal().AsSlice()), Port: 546, Zone: netlab.HostIfName})
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = conn.WriteToUDP(informationRequest(c1.MAC), &net.UDPAddr{IP: net.ParseIP("ff02::1:2"), Port: 547, Zone: netlab.HostIfName})
		if err != nil {
			return err
		}
		if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			return err
		}
		b := make([]byte, 1500)
		n, _, err := conn.ReadFromUDP(b)
		if err != nil {
			return fmt.Errorf("no reply: %w", err)
		}
		return checkReply(b[:n])
	})
	// The live report over HTTP.
	var live *conformance.Report
	get := func(path string) (*http.Response, error) {
		// Dial here, on the namespace's thread: http.Transport would
		// dial from another goroutine, outside the namespace.
		c, err := net.Dial("tcp", "127.0.0.1:9431")
		if err != nil {
			return nil, err
		}
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path); err != nil {
			return nil, err
		}
		return http.ReadResponse(bufio.NewReader(c), nil)
	}
	getAccept := func(path, accept string) (string, error) {
		c, err := net.Dial("tcp", "127.0.0.1:9431")
		if err != nil {
			return "", err
		}
		defer c.Close()
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: x\r\nAccept: %s\r\n\r\n", path, accept); err != nil {
			return "", err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		return string(b), err
	}
	inNetns(t, rtr.Namespace, func() error {
		// The live report is rebuilt every second (report_every): poll
		// until it shows the Information-Request and its Reply.
		for deadline := time.Now().Add(10 * time.Second); ; {
			var err error
			if live, err = getReport(get, "/report/lab0?format=json"); err != nil {
				return err
			}
			if c, ok := clientOf(live, c1.MAC.String()); ok && c.Counts.Replies > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		for path, want := range map[string]int{"/report/nope0": 404, "/ra": 200, "/metrics": 200} {
			resp, err := get(path)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				return fmt.Errorf("%s: %s", path, resp.Status)
			}
		}
		return nil
	})
	checkWiredClient(t, "live", live, c1.MAC.String())
	if n := countSent(live, "ra"); n == 0 {
		t.Errorf("the live report records no RA sent")
	}
	if n := countSent(live, "dhcpv6-reply"); n != 1 {
		t.Errorf("the live report records %d DHCPv6 Replies sent, want 1", n)
	}
	// The index, the HTML report and the observer's series, once the
	// observer has taken its first report (report_every).
	inNetns(t, rtr.Namespace, func() error {
		deadline := time.Now().Add(10 * time.Second)
		for {
			body, err := getAccept("/metrics", "text/plain")
			if err != nil || strings.Contains(body, "ralab_clients{") || time.Now().After(deadline) {
				return err
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	inNetns(t, rtr.Namespace, func() error {
		for path, wants := range map[string][]string{
			"/":                      {`<a href="/report/lab0">/report/lab0</a>`, `<a href="/metrics">`},
			"/report/":               {`<a href="/report/lab0">`},
			"/report/lab0":           {"<!DOCTYPE html>", "lab0"},
			"/report/lab0?format=md": {"lab0"},
			"/metrics": {`ralab_clients{interface="lab0",verdict="dns-ok"}`, `ralab_build_info{`,
				`ralab_dns_outages_ongoing{interface="lab0"} 0`},
		} {
			body, err := getAccept(path, "text/html")
			if err != nil {
				return err
			}
			for _, want := range wants {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s (Accept text/html) lacks %q:\n%s", path, want, body)
				}
			}
		}
		return nil
	})
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("ralab: %v", err)
	}
	f, err := os.Open(filepath.Join(dir, "lab0.report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := render.DecodeJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	checkWiredClient(t, "final", r, c1.MAC.String())
	for _, s := range r.Sent {
		if s.SeenPacket == 0 {
			t.Errorf("sent %s to %s (%s) never seen on the wire", s.Kind, s.Destination, s.Summary)
		}
	}
	final := 0
	for _, s := range r.Sent {
		if s.Kind == "ra" && strings.Contains(s.Summary, "(final)") && strings.Contains(s.Summary, "router lifetime 0s") {
			final++
		}
	}
	if final == 0 {
		t.Errorf("no final RA with router lifetime 0 recorded: %+v", r.Sent)
	}
	for _, ext := range []string{".report.md", ".report.html"} {
		if _, err := os.Stat(filepath.Join(dir, "lab0"+ext)); err != nil {
			t.Error(err)
		}
	}
	// The observer stops only after the final RAs are in the capture.
	finals, err := exec.Command("tshark", "-n", "-r", filepath.Join(dir, "lab0.pcapng"),
		"-Y", "icmpv6.type == 134 && icmpv6.nd.ra.router_lifetime == 0", "-T", "fields", "-e", "frame.number").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, finals)
	}
	if n := strings.Count(string(finals), "\n"); n < advertiser.MaxFinalRtrAdvertisements {
		t.Errorf("the capture holds %d final RAs (router lifetime 0), want %d", n, advertiser.MaxFinalRtrAdvertisements)
	}
	// tshark, an independent decoder, sees as many RAs and Replies in
	// the daemon's pcapng as the daemon says it sent.
	ras, replies := tsharkCounts(t, filepath.Join(dir, "lab0.pcapng"))
	if want := countSent(r, "ra"); ras != want {
		t.Errorf("tshark finds %d RAs in the pcapng, the report records %d sent", ras, want)
	}
	if want := countSent(r, "dhcpv6-reply"); replies != want || replies != 1 {
		t.Errorf("tshark finds %d DHCPv6 Replies in the pcapng, the report records %d sent, want 1", replies, want)
	}
}

// getReport fetches and decodes a JSON report over HTTP.
func getReport(get func(string) (*http.Response, error), path string) (*conformance.Report, error) {
	resp, err := get(path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: status %s", path, resp.Status)
	}
	return render.DecodeJSON(resp.Body)
}

// checkReply checks that b is the Reply to informationRequest: the same
// transaction id and the configured DNS server.
func checkReply(b []byte) error {
	dns := netip.MustParseAddr("2001:db8:1::53").AsSlice()
	if len(b) < 4 || b[0] != 7 || !bytes.Equal(b[1:4], []byte{0x12, 0x34, 0x56}) || !bytes.Contains(b, dns) {
		return fmt.Errorf("not a Reply to xid 123456 with DNS 2001:db8:1::53: % x", b)
	}
	return nil
}

// clientOf returns r's entry for mac.
func clientOf(r *conformance.Report, mac string) (conformance.Client, bool) {
	for _, c := range r.Clients {
		if c.MAC == mac {
			return c, true
		}
	}
	return conformance.Client{}, false
}

// checkWiredClient checks that r names exactly the client mac, which sent
// one Information-Request, got one Reply with DNS and is dns-ok.
func checkWiredClient(t *testing.T, which string, r *conformance.Report, mac string) {
	t.Helper()
	if len(r.Clients) != 1 {
		t.Errorf("%s report: %d clients, want 1 (%s)", which, len(r.Clients), mac)
	}
	c, ok := clientOf(r, mac)
	if !ok {
		t.Errorf("%s report names no client %s", which, mac)
		return
	}
	if c.Counts.InformationRequests != 1 || c.Counts.Replies != 1 || c.Counts.RAsReceived == 0 {
		t.Errorf("%s report: client %s counts %+v, want 1 Information-Request, 1 Reply and RAs", which, mac, c.Counts)
	}
	if c.Verdict != conformance.VerdictDNSOK || !slices.Contains(c.DNSSources, conformance.ViaDHCPv6) {
		t.Errorf("%s report: client %s is %s from %v, want dns-ok from DHCPv6: %s", which, mac, c.Verdict, c.DNSSources, c.Reason)
	}
}

// countSent counts r's sent records of kind.
func countSent(r *conformance.Report, kind string) int {
	n := 0
	for _, s := range r.Sent {
		if s.Kind == kind {
			n++
		}
	}
	return n
}

// tsharkCounts returns how many RAs and DHCPv6 Replies tshark decodes in
// the capture file name.
func tsharkCounts(t *testing.T, name string) (ras, replies int) {
	t.Helper()
	out, err := exec.Command("tshark", "-n", "-r", name, "-T", "fields", "-e", "icmpv6.type", "-e", "dhcpv6.msgtype").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", name, err)
	}
	for line := range strings.Lines(string(out)) {
		icmp, dhcp, _ := strings.Cut(strings.TrimRight(line, "\n"), "\t")
		if icmp == "134" {
			ras++
		}
		if dhcp == "7" {
			replies++
		}
	}
	return ras, replies
}
