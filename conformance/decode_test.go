package conformance

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
)

func TestDecodeRA(t *testing.T) {
	full := ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(600*time.Second, dnsServer),
		extra: []ndp.Option{
			&ndp.DNSSearchList{Lifetime: 600 * time.Second, DomainNames: []string{"lab.example", "example"}},
			ndp.NewMTU(1500),
			&ndp.PrefixInformation{PrefixLength: 64, OnLink: true, AutonomousAddressConfiguration: true,
				ValidLifetime: 86400 * time.Second, PreferredLifetime: 14400 * time.Second, Prefix: netip.MustParseAddr("2001:db8:1::")},
			&ndp.PREF64{Lifetime: 600 * time.Second, Prefix: netip.MustParsePrefix("64:ff9b::/96")},
			&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: hw(routerMAC)},
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
				RDNSS:  []NDRDNSS{{Lifetime: 600, Servers: []netip.Addr{dnsServer}}},
				DNSSL:  []NDDNSSL{{Lifetime: 600, Domains: []string{"lab.example", "example"}}},
				PREF64: []NDPREF64{{Prefix: netip.MustParsePrefix("64:ff9b::/96"), Lifetime: 600}},
				MTU:    1500, Prefixes: 1, SLLA: true},
		},
		{
			name:  "even RDNSS length kept the next option",
			frame: ra(t, raSpec{lifetime: 600 * time.Second, raw: append(append([]byte{}, badRDNSS...), ndpOpt(t, ndp.NewMTU(1400))...)}),
			want:  want{Lifetime: 600, MTU: 1400, ProblemIDs: []string{"R5"}},
		},
		{
			name:  "PREF64 PLC 7",
			frame: ra(t, raSpec{lifetime: 600 * time.Second, raw: badPREF64}),
			want:  want{Lifetime: 600, ProblemIDs: []string{"R7"}},
		},
		{
			name:  "zero-length option",
			frame: ra(t, raSpec{lifetime: 600 * time.Second, rdnss: rdnss(600*time.Second, dnsServer), raw: zeroLen}),
			want: want{Lifetime: 600, RDNSS: []NDRDNSS{{Lifetime: 600, Servers: []netip.Addr{dnsServer}}},
				ZeroLength: true, ProblemIDs: []string{"R1"}},
		},
		{
			name:  "fragmented",
			frame: ra(t, raSpec{lifetime: 600 * time.Second, opts: ip6opts{fragment: true}}),
			want:  want{Lifetime: 600, Fragmented: true},
		},
		{
			name:  "bad checksum, VLAN tagged",
			frame: ra(t, raSpec{lifetime: 600 * time.Second, opts: ip6opts{badSum: true, vlan: 7}}),
			want:  want{Lifetime: 600, BadSum: true, ProblemIDs: []string{CheckDecode}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode(tt.frame, t0, 1)
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
	b := ndpMsg(t, &ndp.RouterSolicitation{Options: []ndp.Option{o}})
	return b[8:]
}

func TestDecodeDHCPv6(t *testing.T) {
	// A Reply as dnsmasq sends it: Server ID, DNS, refresh time.
	rep := msg6(dhcp6Reply, 0xabcdef, opt6(opt6ServerID, duidLL(routerMAC)...), dns6(dnsServer), opt6(opt6IRT, 0, 0, 0x0e, 0x10))
	vc := opt6(opt6VendorClass, 0, 0, 0x9, 0x4b /* enterprise */, 0, 6, 'd', 'h', 'c', 'p', 'c', 'd')
	fqdn := opt6(opt6FQDN, 0, 4, 'h', 'o', 's', 't', 0)
	ia := opt6(opt6IANA, append(make([]byte, 12), opt6(opt6IAAddr, append(netip.MustParseAddr("2001:db8::99").AsSlice(), make([]byte, 8)...)...)...)...)
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
			frame: ir(clientMAC, clientLL, 0x123456, opt6(opt6ClientID, duidLL(clientMAC)...), elapsed6(0), oro6(23, 24, 32, 82, 83), vc, fqdn),
			want: want{Type: 11, XID: 0x123456, ORO: []uint16{23, 24, 32, 82, 83}, HasORO: true, Elapsed: true,
				VendorClass: []string{"dhcpcd"}, FQDN: "host"},
		},
		{
			name:  "reply",
			frame: udp6(routerMAC, clientMAC, routerLL, clientLL, 547, 546, rep),
			want:  want{Type: 7, XID: 0xabcdef, DNS: []string{"2001:db8::53"}, IRT: 3600},
		},
		{
			name:  "reply with IA_NA",
			frame: reply(clientMAC, clientLL, 1, ia),
			want:  want{Type: 7, XID: 1, HasIA: true, IAAddrs: []string{"2001:db8::99"}},
		},
		{
			name:  "truncated option keeps earlier ones",
			frame: ir(clientMAC, clientLL, 2, oro6(23), []byte{0, 8, 0, 9, 1}),
			want:  want{Type: 11, XID: 2, ORO: []uint16{23}, HasORO: true, Problems: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := Decode(tt.frame, t0, 1)
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
	copy(dhcp4[28:], clientMAC[:])
	copy(dhcp4[236:], []byte{99, 130, 83, 99})
	dhcp4 = append(dhcp4, 53, 1, 1, 12, 3, 'p', 'h', 'o', 55, 3, 1, 6, 108, 60, 4, 'a', 'b', 'c', 'd', 255)
	ip4 := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255}
	udp := []byte{0, 68, 0, 67, 0, 0, 0, 0}
	tot := 20 + 8 + len(dhcp4)
	ip4[2], ip4[3] = byte(tot>>8), byte(tot)
	udp[4], udp[5] = byte((8+len(dhcp4))>>8), byte(8+len(dhcp4))
	frame4 := append(append(append(append([]byte{}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), clientMAC[:]...), 8, 0), append(append(ip4, udp...), dhcp4...)...)

	udpBad := func(port uint16) []byte {
		f := append([]byte{}, udp6(clientMAC, routerMAC, clientLL, dnsServer, 40000, port, make([]byte, 40))...)
		f[14+40+6] ^= 0xff // the UDP checksum
		return f
	}
	echo := append([]byte{}, ip6(clientMAC, routerMAC, clientLL, dnsServer, protoICMPv6, []byte{128, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'}, ip6opts{})...)
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
		{name: "dns query", frame: query(t, clientMAC, clientLL, dnsServer, 7), want: want{DNSID: 7, DNSName: "example.org."}},
		{name: "dns answer", frame: answer(t, clientMAC, clientLL, dnsServer, 7), want: want{DNSID: 7, DNSName: "example.org.", Response: true, Answers: 1}},
		{name: "dns garbage", frame: udp6(clientMAC, routerMAC, clientLL, dnsServer, 4000, 53, []byte{0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 5}), want: want{DNSID: 1, Problems: 1}},
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
			p, _ := Decode(tt.frame, t0, 1)
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

// FuzzDecode checks that no frame makes Decode, or the tracker fed with
// it, panic.
func FuzzDecode(f *testing.F) {
	f.Add(ra(f, raSpec{lifetime: 600 * time.Second, o: true, rdnss: rdnss(600*time.Second, dnsServer),
		extra: []ndp.Option{&ndp.DNSSearchList{Lifetime: time.Minute, DomainNames: []string{"a.example"}}, &ndp.PREF64{Lifetime: time.Minute, Prefix: netip.MustParsePrefix("64:ff9b::/96")}}}))
	f.Add(ir(clientMAC, clientLL, 1))
	f.Add(reply(clientMAC, clientLL, 1, dns6(dnsServer), opt6(opt6IRT, 0, 0, 1, 0)))
	f.Add(query(f, clientMAC, clientLL, dnsServer, 1))
	f.Add(dad(f, clientMAC, clientLL))
	f.Add(rs(f, clientMAC, clientLL))
	f.Add(udp6(routerMAC, clientMAC, routerLL, clientLL, 547, 546, msg6(dhcp6RelayRepl, 0, make([]byte, 30), opt6(opt6RelayMsg, msg6(7, 1, dns6(dnsServer))...))))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b, t0, 1)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error not wrapping ErrMalformed: %v", err)
		}
		tr := NewTracker(Options{})
		tr.Observe(p)
		tr.ObserveFrame(b, t0.Add(time.Second))
		tr.Report(t0.Add(time.Hour))
	})
}
