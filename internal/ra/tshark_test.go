package ra

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// writePcap writes the RA m as one Ethernet frame from mac's link-local
// address to ff02::1, with a correct ICMPv6 checksum, and returns the file.
func writePcap(t *testing.T, m *ndp.RouterAdvertisement, mac net.HardwareAddr) string {
	t.Helper()
	src := net.ParseIP("fe80::200:5eff:fe00:5301")
	dst := net.ParseIP("ff02::1")
	icmp, err := ndp.MarshalMessageChecksum(m, addr(src.String()), addr(dst.String()))
	if err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	err = gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true},
		&layers.Ethernet{SrcMAC: mac, DstMAC: net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, EthernetType: layers.EthernetTypeIPv6},
		&layers.IPv6{Version: 6, NextHeader: layers.IPProtocolICMPv6, HopLimit: 255, SrcIP: src, DstIP: dst},
		gopacket.Payload(icmp),
	)
	if err != nil {
		t.Fatal(err)
	}
	var f bytes.Buffer
	w := pcapgo.NewWriter(&f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	frame := buf.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: len(frame), Length: len(frame)}
	if err := w.WritePacket(ci, frame); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ra.pcap")
	if err := os.WriteFile(path, f.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTshark checks Build's bytes with an independent decoder, tshark.
func TestTshark(t *testing.T) {
	netlabtest.RequireTool(t, "tshark", "tshark")
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Fatal(err)
	}
	ifc := fullInterface()
	ifc.Routes = append(ifc.Routes,
		config.Route{Prefix: pfx("::/0"), Preference: config.High, Lifetime: sec(600)},
		config.Route{Prefix: pfx("2001:db8::1/128"), Lifetime: 0},
	)
	ifc.PREF64 = append(ifc.PREF64, config.PREF64{Prefix: pfx("2001:db8:64::/48"), Lifetime: sec(600)})
	m, _, err := Build(ifc, testMAC)
	if err != nil {
		t.Fatal(err)
	}
	path := writePcap(t, m, testMAC)

	// Each field's occurrences, comma-separated, in wire order.
	tests := []struct{ field, want string }{
		{"icmpv6.checksum.status", "1"},
		{"icmpv6.nd.ra.cur_hop_limit", "64"},
		{"icmpv6.nd.ra.flag.m", "0"},
		{"icmpv6.nd.ra.flag.o", "1"},
		{"icmpv6.nd.ra.flag.prf", "1"},
		{"icmpv6.nd.ra.router_lifetime", "1800"},
		{"icmpv6.nd.ra.reachable_time", "0"},
		{"icmpv6.nd.ra.retrans_timer", "0"},
		{"icmpv6.opt.type", "1,5,3,24,24,24,25,31,38,38,37"},
		{"icmpv6.opt.length", "1,1,4,2,1,3,5,5,2,2,4"},
		{"icmpv6.opt.src_linkaddr", "02:00:5e:00:53:01"},
		{"icmpv6.opt.mtu", "1500"},
		{"icmpv6.opt.prefix.length", "64,60,0,128"},
		{"icmpv6.opt.prefix", "2001:db8:1::,2001:db8:ff:f0::,2001:db8::1"},
		{"icmpv6.opt.prefix.flag.l", "1"},
		{"icmpv6.opt.prefix.flag.a", "1"},
		{"icmpv6.opt.prefix.valid_lifetime", "86400"},
		{"icmpv6.opt.prefix.preferred_lifetime", "14400"},
		{"icmpv6.opt.route_info.flag.route_preference", "3,1,0"},
		{"icmpv6.opt.route_lifetime", "4294967295,600,0"},
		{"icmpv6.opt.rdnss", "2001:db8::53,2001:db8::54"},
		{"icmpv6.opt.rdnss.lifetime", "1800"},
		{"icmpv6.opt.dnssl", "lab.example,example.com"},
		{"icmpv6.opt.dnssl.lifetime", "1800"},
		{"icmpv6.opt.pref64.scaled_lifetime", "8191,75"},
		{"icmpv6.opt.pref64.plc", "0x0000,0x0003"},
		{"icmpv6.opt.pref64.prefix", "64:ff9b::,2001:db8:64::"},
		{"icmpv6.opt.captive_portal", "https://portal.example/api"},
		{"_ws.malformed", ""},
		{"_ws.expert", ""},
	}
	args := []string{"-r", path, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"}
	for _, tt := range tests {
		args = append(args, "-e", tt.field)
	}
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	got := strings.Split(strings.TrimRight(string(out), "\n"), "\t")
	if len(got) != len(tests) {
		t.Fatalf("tshark printed %d fields, want %d: %q", len(got), len(tests), out)
	}
	for i, tt := range tests {
		if diff := cmp.Diff(tt.want, got[i]); diff != "" {
			t.Errorf("tshark field %s (-want +got):\n%s", tt.field, diff)
		}
	}
}
