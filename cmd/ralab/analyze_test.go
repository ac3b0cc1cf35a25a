package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
	"github.com/ralab/ralab/internal/capture"
)

// Lab addresses: fixed MACs and their EUI-64 link-local addresses.
var (
	routerHW = net.HardwareAddr{0x02, 0, 0, 0, 0x01, 0x01}
	clientHW = net.HardwareAddr{0x02, 0, 0, 0, 0x02, 0x01}
	routerIP = netip.MustParseAddr("fe80::ff:fe00:101")
	clientIP = netip.MustParseAddr("fe80::ff:fe00:201")
	dnsIP    = netip.MustParseAddr("2001:db8::53")
)

// ipv6Frame builds an Ethernet frame carrying an IPv6 packet with the
// given upper-layer payload, filling in the ICMPv6 or UDP checksum
// (RFC 8200 §8.1).
func ipv6Frame(srcHW, dstHW net.HardwareAddr, src, dst netip.Addr, nh, hop uint8, payload []byte) []byte {
	p := bytes.Clone(payload)
	var sumOff int
	switch nh {
	case 58:
		sumOff = 2
	case 17:
		sumOff = 6
		binary.BigEndian.PutUint16(p[4:6], uint16(len(p)))
	}
	binary.BigEndian.PutUint16(p[sumOff:], 0)
	var pseudo []byte
	pseudo = append(pseudo, src.AsSlice()...)
	pseudo = append(pseudo, dst.AsSlice()...)
	pseudo = binary.BigEndian.AppendUint32(pseudo, uint32(len(p)))
	pseudo = append(pseudo, 0, 0, 0, nh)
	pseudo = append(pseudo, p...)
	var sum uint32
	for i := 0; i+1 < len(pseudo); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(pseudo[i:]))
	}
	if len(pseudo)%2 == 1 {
		sum += uint32(pseudo[len(pseudo)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(p[sumOff:], ^uint16(sum))

	var f []byte
	f = append(f, dstHW...)
	f = append(f, srcHW...)
	f = append(f, 0x86, 0xdd)
	f = append(f, 0x60, 0, 0, 0)
	f = binary.BigEndian.AppendUint16(f, uint16(len(p)))
	f = append(f, nh, hop)
	f = append(f, src.AsSlice()...)
	f = append(f, dst.AsSlice()...)
	return append(f, p...)
}

// labFrames returns an RS from the client, the router's RA with an RDNSS
// option, and a DNS query from the client to the offered server.
func labFrames(t0 time.Time) []capture.Packet {
	allRouters := netip.MustParseAddr("ff02::2")
	allNodes := netip.MustParseAddr("ff02::1")
	rs := append([]byte{133, 0, 0, 0, 0, 0, 0, 0}, append([]byte{1, 1}, clientHW...)...)
	ra := []byte{134, 0, 0, 0, 64, 0x40, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}
	ra = append(ra, append([]byte{1, 1}, routerHW...)...)
	ra = append(ra, 25, 3, 0, 0, 0, 0, 0x07, 0x08) // RDNSS, lifetime 1800 s
	ra = append(ra, dnsIP.AsSlice()...)
	query := []byte{0xc0, 0x01, 0, 53, 0, 0, 0, 0, // UDP header
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, // DNS header, one question
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 28, 0, 1}
	return []capture.Packet{
		{Time: t0, Data: ipv6Frame(clientHW, net.HardwareAddr{0x33, 0x33, 0, 0, 0, 2}, clientIP, allRouters, 58, 255, rs)},
		{Time: t0.Add(200 * time.Millisecond), Data: ipv6Frame(routerHW, net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, routerIP, allNodes, 58, 255, ra)},
		{Time: t0.Add(2 * time.Second), Data: ipv6Frame(clientHW, net.HardwareAddr{0x02, 0, 0, 0, 0x01, 0x01}, netip.MustParseAddr("2001:db8:1::ff:fe00:201"), dnsIP, 17, 64, query)},
	}
}

// writeCaptures writes the frames as a pcapng and as a classic pcap file.
func writeCaptures(t *testing.T, dir string, pkts []capture.Packet) (ng, classic string) {
	t.Helper()
	ng, classic = filepath.Join(dir, "lab.pcapng"), filepath.Join(dir, "lab.pcap")
	var nb bytes.Buffer
	w, err := capture.NewWriter(&nb, "veth0")
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	var cb bytes.Buffer
	cw := pcapgo.NewWriterNanos(&cb)
	if err := cw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatalf("WriteFileHeader: %v", err)
	}
	for _, p := range pkts {
		if err := w.WritePacket(p); err != nil {
			t.Fatalf("WritePacket: %v", err)
		}
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: len(p.Data)}
		if err := cw.WritePacket(ci, p.Data); err != nil {
			t.Fatalf("pcap WritePacket: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	for path, b := range map[string][]byte{ng: nb.Bytes(), classic: cb.Bytes()} {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatalf("WriteFile: %v", err)
		}
	}
	return ng, classic
}

// readJSONReport decodes the JSON report at path.
func readJSONReport(t *testing.T, path string) *conformance.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	defer f.Close()
	r, err := render.DecodeJSON(f)
	if err != nil {
		t.Fatalf("DecodeJSON %s: %v", path, err)
	}
	return r
}

func TestAnalyzeCommand(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	ng, classic := writeCaptures(t, dir, labFrames(t0))
	garbage := filepath.Join(dir, "garbage.pcap")
	if err := os.WriteFile(garbage, []byte("this is not a capture file at all"), 0o644); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}

	for _, in := range []string{ng, classic} {
		t.Run(filepath.Ext(in), func(t *testing.T) {
			out := filepath.Join(dir, "report"+filepath.Ext(in)+".json")
			// The file comes first and the flags after it.
			if err := runAnalyze(context.Background(), []string{in, "--format", "json", "-o", out}); err != nil {
				t.Fatalf("runAnalyze: %v", err)
			}
			r := readJSONReport(t, out)
			if diff := cmp.Diff(3, r.Packets); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
			var clients, routers []string
			for _, c := range r.Clients {
				clients = append(clients, c.MAC)
			}
			for _, rt := range r.Routers {
				routers = append(routers, rt.MAC)
			}
			if diff := cmp.Diff([]string{clientHW.String()}, clients); diff != "" {
				t.Errorf("clients (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{routerHW.String()}, routers); diff != "" {
				t.Errorf("routers (-want +got):\n%s", diff)
			}
			if r.Source.Name == "" {
				t.Error("report names no source")
			}
			if !strings.HasPrefix(r.Generator, "ralab ") {
				t.Errorf("generator %q, want the ralab build", r.Generator)
			}
		})
	}

	t.Run("html", func(t *testing.T) {
		out := filepath.Join(dir, "report.html")
		if err := runAnalyze(context.Background(), []string{"-o", out, ng}); err != nil {
			t.Fatalf("runAnalyze: %v", err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("ReadFile: %v", err)
		}
		if !strings.Contains(string(b), clientHW.String()) || !strings.Contains(string(b), "<svg") {
			t.Error("HTML report lacks the client or its timeline")
		}
	})

	t.Run("stdin", func(t *testing.T) {
		f, err := os.Open(ng)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer f.Close()
		stdin := os.Stdin
		os.Stdin = f
		defer func() { os.Stdin = stdin }()
		out := filepath.Join(dir, "stdin.json")
		if err := runAnalyze(context.Background(), []string{"-", "-o", out}); err != nil {
			t.Fatalf("runAnalyze: %v", err)
		}
		r := readJSONReport(t, out)
		if diff := cmp.Diff(conformance.Source{Kind: conformance.SourceFile, Name: "standard input"}, r.Source); diff != "" {
			t.Errorf("source (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(3, r.Packets); diff != "" {
			t.Errorf("packets (-want +got):\n%s", diff)
		}
	})

	t.Run("at", func(t *testing.T) {
		// As of 1 s, the query at 2 s is not in the report.
		out := filepath.Join(dir, "at.json")
		at := t0.Add(time.Second).Format(time.RFC3339Nano)
		if err := runAnalyze(context.Background(), []string{ng, "--at", at, "-o", out}); err != nil {
			t.Fatalf("runAnalyze: %v", err)
		}
		r := readJSONReport(t, out)
		if diff := cmp.Diff(2, r.Packets); diff != "" {
			t.Errorf("packets (-want +got):\n%s", diff)
		}
		if !r.End.Equal(t0.Add(time.Second)) {
			t.Errorf("report end %v, want %v", r.End, t0.Add(time.Second))
		}
	})

	errTests := []struct {
		name string
		args []string
		err  error
	}{
		{name: "no file", args: nil, err: errUsage},
		{name: "bad --at", args: []string{ng, "--at", "yesterday"}, err: errUsage},
		{name: "two files", args: []string{ng, classic}, err: errUsage},
		{name: "bad format", args: []string{ng, "--format", "xml"}, err: errUsage},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.pcap")}, err: os.ErrNotExist},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			if err := runAnalyze(context.Background(), tt.args); !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
		})
	}
	t.Run("not a capture", func(t *testing.T) {
		out := filepath.Join(dir, "never.json")
		err := runAnalyze(context.Background(), []string{garbage, "-o", out})
		if err == nil || !strings.Contains(err.Error(), garbage) {
			t.Fatalf("error %v, want one naming %s", err, garbage)
		}
		if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
			t.Fatal("a report was written for a file that is not a capture")
		}
	})
}

// TestAnalyzeFailOn runs "ralab analyze --fail-on" on a capture where the
// client got DNS and on one where it only solicited, and checks the exit
// status and that the report is written either way.
func TestAnalyzeFailOn(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	okCap, _ := writeCaptures(t, dir, labFrames(t0))
	sub := filepath.Join(dir, "rs-only")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	rsOnly, _ := writeCaptures(t, sub, labFrames(t0)[:1])
	all := "dns-lost,no-dns,inconclusive"
	tests := []struct {
		capture, failOn string
		want            int
	}{
		{okCap, all, 0},
		{okCap, "", 0},
		{rsOnly, all, 1},
		{rsOnly, "", 0},
		{okCap, "dns-ok", 2},
	}
	for _, tt := range tests {
		out := filepath.Join(dir, "r.json")
		os.Remove(out)
		if got := runMain([]string{"analyze", tt.capture, "-o", out, "--fail-on", tt.failOn}); got != tt.want {
			r := readJSONReport(t, out)
			t.Errorf("%s (verdict %s), --fail-on %q: exit status %d, want %d", tt.capture, r.Clients[0].Verdict, tt.failOn, got, tt.want)
		}
		if _, err := os.Stat(out); (err == nil) != (tt.want != 2) {
			t.Errorf("--fail-on %q: report written %v, want %v", tt.failOn, err == nil, tt.want != 2)
		}
	}
}
