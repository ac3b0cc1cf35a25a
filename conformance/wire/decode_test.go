package wire

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	ft "github.com/ralab/ralab/conformance/internal/frametest"
)

func TestDecodeRA(t *testing.T) {
	full := ft.RA(t, ft.RASpec{Lifetime: 1800 * time.Second, O: true, RDNSS: ft.RDNSS(600*time.Second, ft.DNSServer),
		Extra: []ndp.Option{
			&ndp.DNSSearchList{Lifetime: 600 * time.Second, DomainNames: []string{"lab.example", "example"}},
			ndp.NewMTU(1500),
			&ndp.PrefixInformation{PrefixLength: 64, OnLink: true, AutonomousAddressConfiguration: true,
				ValidLifetime: 86400 * time.Second, PreferredLifetime: 14400 * time.Second, Prefix: netip.MustParseAddr("2001:db8:1::")},
			&ndp.PREF64{Lifetime: 600 * time.Second, Prefix: netip.MustParsePrefix("64:ff9b::/96")},
			&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: net.HardwareAddr(ft.RouterMAC[:])},
		}})
	// An RDNSS with even Length 2 (RFC 8106 §5.1): ignored, the rest kept.
	badRDNSS := []byte{25, 2, 0, 0, 0, 0, 0, 60, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53}[:16]
	// PREF64 with PLC 7 (RFC 8781 §4: ignore the option).
	badPREF64 := []byte{38, 2, 0x00, 0x4f, 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}
	zeroLen := []byte{99, 0, 0, 0, 0, 0, 0, 0}

	type want struct {
		Managed, Other bool
		Lifetime       uint16
		RDNSS          []NDRDNSS
		DNSSL          []NDDNSSL
		PREF64         []NDPREF64
		MTU            uint32
		Prefixes       int
		SLLA           bool
		ZeroLength     bool
		ProblemIDs     []string
		Fragmented     bool
		BadSum         bool
	}
	tests := []struct {
		name  string
		frame []byte
		want  want
	}{
		{
			name:  "full",
			frame: full,
			want: want{Other: true, Lifetime: 1800,
				RDNSS:  []NDRDNSS{{Lifetime: 600, Servers: []netip.Addr{ft.DNSServer}}},
				DNSSL:  []NDDNSSL{{Lifetime: 600, Domains: []string{"lab.example", "example"}}},
				PREF64: []NDPREF64{{Prefix: netip.MustParsePrefix("64:ff9b::/96"), Lifetime: 600}},
				MTU:    1500, Prefixes: 1, SLLA: true},
		},
		{
			name:  "even RDNSS length kept the next option",
			frame: ft.RA(t, ft.RASpec{Lifetime: 600 * time.Second, Raw: append(append([]byte{}, badRDNSS...), ndpOpt(t, ndp.NewMTU(1400))...)}),
			want:  want{Lifetime: 600, MTU: 1400, ProblemIDs: []string{"R5"}},
		},
		{
			name:  "PREF64 PLC 7",
			frame: ft.RA(t, ft.RASpec{Lifetime: 600 * time.Second, Raw: badPREF64}),
			want:  want{Lifetime: 600, ProblemIDs: []string{"R7"}},
		},
		{
			name:  "zero-length option",
			frame: ft.RA(t, ft.RASpec{Lifetime: 600 * time.Second, RDNSS: ft.RDNSS(600*time.Second, ft.DNSServer), Raw: zeroLen}),
			want: want{Lifetime: 600, RDNSS: []NDRDNSS{{Lifetime: 600, Servers: []netip.Addr{ft.DNSServer}}},
				ZeroLength: true, ProblemIDs: []string{"R1"}},
		},
		{
			name:  "fragmented",
			frame: ft.RA(t, ft.RASpec{Lifetime: 600 * time.Second, Opts: ft.IP6Opts{Fragment: true}}),
			want:  want{Lifetime: 600, Fragmented: true},
		},
		{
			name:  "bad checksum, VLAN tagged",
			frame: ft.RA(t, ft.RASpec{Lifetime: 600 * time.Second, Opts: ft.IP6Opts{BadSum: true, VLAN: 7}}),
			want:  want{Lifetime: 600, BadSum: true, ProblemIDs: []string{CheckDecode}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode(tt.frame, ft.T0, 1)
			if p.RA == nil {
				t.Fatalf("no RA decoded (err %v)", err)
			}
			if (err != nil) != (len(tt.want.ProblemIDs) > 0) || (err != nil && !errors.Is(err, ErrMalformed)) {
				t.Fatalf("err = %v", err)
			}
			o := p.RA.Options
			got := want{Managed: p.RA.Managed, Other: p.RA.Other, Lifetime: p.RA.RouterLifetime, RDNSS: o.RDNSS, DNSSL: o.DNSSL,
				PREF64: o.PREF64, MTU: o.MTU, Prefixes: len(o.Prefixes), SLLA: o.HasSourceLLA, ZeroLength: o.ZeroLength,
				Fragmented: p.Fragmented, BadSum: p.ICMPChecksumBad}
			for _, pr := range p.Problems {
				got.ProblemIDs = append(got.ProblemIDs, pr.ID)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
				cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("decoded RA (-want +got):\n%s", diff)
			}
		})
	}
}

// ndpOpt marshals one option by wrapping it in an RS and cutting it out.
func ndpOpt(t *testing.T, o ndp.Option) []byte {
	b := ft.NDPMsg(t, &ndp.RouterSolicitation{Options: []ndp.Option{o}})
	return b[8:]
}

func TestDecodeDHCPv6(t *testing.T) {
	// A Reply as dnsmasq sends it: Server ID, DNS, refresh time.
	rep := ft.Msg6(DHCPv6Reply, 0xabcdef, ft.Opt6(Opt6ServerID, ft.DUIDLL(ft.RouterMAC)...), ft.DNS6(ft.DNSServer), ft.Opt6(Opt6IRT, 0, 0, 0x0e, 0x10))
	vc := ft.Opt6(Opt6VendorClass, 0, 0, 0x9, 0x4b /* enterprise */, 0, 6, 'd', 'h', 'c', 'p', 'c', 'd')
	fqdn := ft.Opt6(Opt6FQDN, 0, 4, 'h', 'o', 's', 't', 0)
	ia := ft.Opt6(Opt6IANA, append(make([]byte, 12), ft.Opt6(Opt6IAAddr, append(netip.MustParseAddr("2001:db8::99").AsSlice(), make([]byte, 8)...)...)...)...)
	type want struct {
		Type        uint8
		XID         uint32
		ORO         []uint16
		HasORO      bool
		Elapsed     bool
		DNS         []string
		IRT         uint32
		VendorClass []string
		FQDN        string
		HasIA       bool
		IAAddrs     []string
		Problems    int
	}
	tests := []struct {
		name  string
		frame []byte
		want  want
	}{
		{
			name:  "information-request",
			frame: ft.IR(ft.ClientMAC, ft.ClientLL, 0x123456, ft.Opt6(Opt6ClientID, ft.DUIDLL(ft.ClientMAC)...), ft.Elapsed6(0), ft.ORO6(23, 24, 32, 82, 83), vc, fqdn),
			want: want{Type: 11, XID: 0x123456, ORO: []uint16{23, 24, 32, 82, 83}, HasORO: true, Elapsed: true,
				VendorClass: []string{"dhcpcd"}, FQDN: "host"},
		},
		{
			name:  "reply",
			frame: ft.UDP6(ft.RouterMAC, ft.ClientMAC, ft.RouterLL, ft.ClientLL, 547, 546, rep),
			want:  want{Type: 7, XID: 0xabcdef, DNS: []string{"2001:db8::53"}, IRT: 3600},
		},
		{
			name:  "reply with IA_NA",
			frame: ft.Reply(ft.ClientMAC, ft.ClientLL, 1, ia),
			want:  want{Type: 7, XID: 1, HasIA: true, IAAddrs: []string{"2001:db8::99"}},
		},
		{
			name:  "truncated option keeps earlier ones",
			frame: ft.IR(ft.ClientMAC, ft.ClientLL, 2, ft.ORO6(23), []byte{0, 8, 0, 9, 1}),
			want:  want{Type: 11, XID: 2, ORO: []uint16{23}, HasORO: true, Problems: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := Decode(tt.frame, ft.T0, 1)
			m := p.DHCPv6
			if m == nil {
				t.Fatalf("no DHCPv6 decoded: %+v", p.Problems)
			}
			got := want{Type: m.Type, XID: m.TransactionID, ORO: m.ORO, HasORO: m.HasORO, Elapsed: m.HasElapsedTime,
				IRT: m.RefreshTime, VendorClass: m.VendorClass, FQDN: m.FQDN, HasIA: m.HasIA, Problems: len(p.Problems)}
			for _, a := range m.DNS {
				got.DNS = append(got.DNS, a.String())
			}
			for _, a := range m.IAAddresses {
				got.IAAddrs = append(got.IAAddrs, a.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decoded DHCPv6 (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeOther(t *testing.T) {
	dhcp4 := make([]byte, 240)
	dhcp4[0] = 1
	copy(dhcp4[28:], ft.ClientMAC[:])
	copy(dhcp4[236:], []byte{99, 130, 83, 99})
	dhcp4 = append(dhcp4, 53, 1, 1, 12, 3, 'p', 'h', 'o', 55, 3, 1, 6, 108, 60, 4, 'a', 'b', 'c', 'd', 255)
	ip4 := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255}
	udp := []byte{0, 68, 0, 67, 0, 0, 0, 0}
	tot := 20 + 8 + len(dhcp4)
	ip4[2], ip4[3] = byte(tot>>8), byte(tot)
	udp[4], udp[5] = byte((8+len(dhcp4))>>8), byte(8+len(dhcp4))
	frame4 := append(append(append(append([]byte{}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), ft.ClientMAC[:]...), 8, 0), append(append(ip4, udp...), dhcp4...)...)

	udpBad := func(port uint16) []byte {
		f := append([]byte{}, ft.UDP6(ft.ClientMAC, ft.RouterMAC, ft.ClientLL, ft.DNSServer, 40000, port, make([]byte, 40))...)
		f[14+40+6] ^= 0xff // the UDP checksum
		return f
	}
	echo := append([]byte{}, ft.IP6(ft.ClientMAC, ft.RouterMAC, ft.ClientLL, ft.DNSServer, protoICMPv6, []byte{128, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'}, ft.IP6Opts{})...)
	echo[14+40+2] ^= 0xff // the ICMPv6 checksum

	type want struct {
		DNSID    uint16
		DNSName  string
		Response bool
		Answers  int
		Hostname string
		PRL      []uint8
		Problems int
	}
	tests := []struct {
		name  string
		frame []byte
		want  want
	}{
		{name: "dns query", frame: ft.Query(t, ft.ClientMAC, ft.ClientLL, ft.DNSServer, 7), want: want{DNSID: 7, DNSName: "example.org."}},
		{name: "dns answer", frame: ft.Answer(t, ft.ClientMAC, ft.ClientLL, ft.DNSServer, 7), want: want{DNSID: 7, DNSName: "example.org.", Response: true, Answers: 1}},
		{name: "dns garbage", frame: ft.UDP6(ft.ClientMAC, ft.RouterMAC, ft.ClientLL, ft.DNSServer, 4000, 53, []byte{0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 5}), want: want{DNSID: 1, Problems: 1}},
		{name: "dhcpv4 discover", frame: frame4, want: want{Hostname: "pho", PRL: []uint8{1, 6, 108}}},
		{name: "runt", frame: []byte{1, 2, 3}, want: want{Problems: 1}},
		// Only what the observer models is checked: a wrong checksum on
		// other traffic costs nothing and says nothing.
		{name: "unmodelled UDP, wrong checksum", frame: udpBad(443), want: want{}},
		{name: "ICMPv6 echo, wrong checksum", frame: echo, want: want{}},
		{name: "DNS port, wrong checksum", frame: udpBad(53), want: want{Problems: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := Decode(tt.frame, ft.T0, 1)
			got := want{Problems: len(p.Problems)}
			if p.DNS != nil {
				got.DNSID, got.DNSName, got.Response, got.Answers = p.DNS.ID, p.DNS.Name, p.DNS.Response, p.DNS.Answers
			}
			if p.DHCPv4 != nil {
				got.Hostname, got.PRL = p.DHCPv4.Hostname, p.DHCPv4.PRL
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestVendor(t *testing.T) {
	tests := []struct {
		mac  MAC
		want string
	}{
		{mac: MAC{0x02, 0, 0, 0, 0, 1}, want: ""},                         // locally administered
		{mac: MAC{0x33, 0x33, 0, 0, 0, 1}, want: ""},                      // group
		{mac: MAC{0x00, 0x00, 0x0c, 1, 2, 3}, want: "Cisco Systems, Inc"}, // IEEE registry
	}
	for _, tt := range tests {
		if got := Vendor(tt.mac); got != tt.want && !(tt.want != "" && got != "" && len(got) >= 5 && got[:5] == tt.want[:5]) {
			t.Errorf("Vendor(%s) = %q, want %q", tt.mac, got, tt.want)
		}
	}
}

func TestPartialChecksumIsNotAProblem(t *testing.T) {
	// Linux CHECKSUM_PARTIAL: the UDP checksum field holds only the folded
	// pseudo-header sum when captured on the sending host.
	f := ft.Reply(ft.ClientMAC, ft.ClientLL, 1, ft.DNS6(ft.DNSServer))
	udp := f[14+40:]
	s, d := ft.RouterLL.As16(), ft.ClientLL.As16()
	ph := fold(sum16(sum16(0, s[:]), d[:]) + uint32(len(udp)) + protoUDP)
	binary.BigEndian.PutUint16(udp[6:8], uint16(ph))
	if p, err := Decode(f, ft.T0, 1); err != nil || p.DHCPv6 == nil {
		t.Fatalf("partial checksum: err %v", err)
	}
	udp[6] ^= 0x55
	if _, err := Decode(f, ft.T0, 1); err == nil {
		t.Fatal("a wrong checksum was not reported")
	}
}

// FuzzDecode checks that no frame makes Decode panic or fail with an
// error not wrapping ErrMalformed.
func FuzzDecode(f *testing.F) {
	for _, b := range ft.Seeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := Decode(b, ft.T0, 1); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error not wrapping ErrMalformed: %v", err)
		}
	})
}
