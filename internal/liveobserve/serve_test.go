package liveobserve

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/advertiser"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestServeWiring runs "ralab serve" with [interface.observe] in a lab:
// the daemon's own observer writes the pcapng and the reports, serves the
// live report over HTTP, and records what the daemon meant to send next to
// what the wire carried.
func TestServeWiring(t *testing.T) {
	lab := netlabtest.New(t)
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
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 1500)
		n, _, err := conn.ReadFromUDP(b)
		if err != nil {
			return fmt.Errorf("no reply: %w", err)
		}
		t.Logf("reply of %d bytes", n)
		return nil
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
		resp, err := get("/report/lab0")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %s", resp.Status)
		}
		live, err = conformance.DecodeJSON(resp.Body)
		if err != nil {
			return err
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
	t.Logf("live: %d clients, %d sent", len(live.Clients), len(live.Sent))
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
	r, err := conformance.DecodeJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	seen, unseen := 0, 0
	for _, s := range r.Sent {
		if s.SeenPacket != 0 {
			seen++
		} else {
			unseen++
		}
		t.Logf("sent %s %s %s seen=%d", s.Kind, s.Destination, s.Summary, s.SeenPacket)
	}
	if seen == 0 {
		t.Errorf("no sent RA matched the wire")
	}
	for _, c := range r.Clients {
		t.Logf("client %s verdict %s counts %+v", c.MAC, c.Verdict, c.Counts)
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
	out, err := exec.Command("tshark", "-n", "-r", filepath.Join(dir, "lab0.pcapng"), "-T", "fields", "-e", "icmpv6.type", "-e", "dhcpv6.msgtype").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	t.Logf("tshark: %d lines; RA lines %d, Reply lines %d", strings.Count(string(out), "\n"), strings.Count(string(out), "134\t"), strings.Count(string(out), "\t7"))
	t.Logf("log tail:\n%s", netlabtest.Tail(filepath.Join(rtr.Dir(), "ralab.log"), 3000))
}
