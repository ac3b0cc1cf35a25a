package dhcpv6

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
)

func TestBuildDUID(t *testing.T) {
	tests := []struct {
		name    string
		duid    config.DUID
		hw      net.HardwareAddr
		want    []byte
		wantErr error
	}{
		{name: "default is DUID-LL", hw: serverMAC, want: serverDUID},
		{name: "ll", duid: config.DUID{Type: config.DUIDLL}, hw: serverMAC, want: serverDUID},
		{name: "llt", duid: config.DUID{Type: config.DUIDLLT, Time: 0x01020304}, hw: serverMAC,
			want: []byte{0, 1, 0, 1, 1, 2, 3, 4, 0x02, 0, 0, 0, 0x01, 0x01}},
		{name: "en", duid: config.DUID{Type: config.DUIDEN, EnterpriseNumber: 32473, Identifier: []byte{0xca, 0xfe}},
			want: []byte{0, 2, 0, 0, 0x7e, 0xd9, 0xca, 0xfe}},
		{name: "uuid", duid: config.DUID{Type: config.DUIDUUID, UUID: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
			want: []byte{0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		{name: "eui-64 link layer", hw: net.HardwareAddr{1, 2, 3, 4, 5, 6, 7, 8}, want: []byte{0, 3, 0, 27, 1, 2, 3, 4, 5, 6, 7, 8}},
		{name: "ll without a MAC", wantErr: ErrConfig},
		{name: "llt without a MAC", duid: config.DUID{Type: config.DUIDLLT}, wantErr: ErrConfig},
		{name: "en without identifier", duid: config.DUID{Type: config.DUIDEN}, wantErr: ErrConfig},
		{name: "en identifier too long", duid: config.DUID{Type: config.DUIDEN, Identifier: make([]byte, 125)}, wantErr: ErrConfig},
		{name: "unknown type", duid: config.DUID{Type: "xyz"}, wantErr: ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BuildDUID(tt.duid, tt.hw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("BuildDUID error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DUID (-want +got):\n%s", diff)
			}
			if err == nil {
				if err := checkDUID(got); err != nil {
					t.Errorf("our own DUID fails validation: %v", err)
				}
			}
		})
	}
}

func TestReplyCarriesConfiguredDUID(t *testing.T) {
	ifc := testIfc()
	ifc.DHCPv6.DUID = config.DUID{Type: config.DUIDEN, EnterpriseNumber: 32473, Identifier: []byte("ralab")}
	h, err := NewHandler(ifc, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 2, 0, 0, 0x7e, 0xd9, 'r', 'a', 'l', 'a', 'b'}
	reply, _, err := h.Handle(msg(InformationRequest), clientAddr, multicast, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(t, reply).ServerID; got != hex.EncodeToString(want) {
		t.Errorf("server id %s, want %x", got, want)
	}
	// A Request naming this DUID is ours; one naming the DUID-LL is not.
	req := msg(Request, opt(optClientID, clientDUID...), opt(optServerID, want...))
	if _, _, err := h.Handle(req, clientAddr, multicast, t0); err != nil {
		t.Errorf("Request for our DUID-EN: %v", err)
	}
	req = msg(Request, opt(optClientID, clientDUID...), opt(optServerID, serverDUID...))
	if _, _, err := h.Handle(req, clientAddr, multicast, t0); !errors.Is(err, ErrDiscardOtherServer) {
		t.Errorf("Request for the DUID-LL: %v, want other-server-id", err)
	}
}

func TestPolicyErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*config.DHCPv6)
	}{
		{"IPv4 DNS server", func(c *config.DHCPv6) { c.DNSServers = []netip.Addr{netip.MustParseAddr("192.0.2.1")} }},
		{"IPv4 NTP server", func(c *config.DHCPv6) { c.NTPServers = []netip.Addr{netip.MustParseAddr("192.0.2.1")} }},
		{"empty domain", func(c *config.DHCPv6) { c.Domains = []string{""} }},
		{"empty label", func(c *config.DHCPv6) { c.Domains = []string{"a..b"} }},
		{"label too long", func(c *config.DHCPv6) { c.Domains = []string{strings.Repeat("a", 64) + ".example"} }},
		{"name too long", func(c *config.DHCPv6) { c.Domains = []string{strings.Repeat("abcdefghi.", 26) + "x"} }},
		{"unknown option policy", func(c *config.DHCPv6) { c.OptionPolicy = "everything" }},
		{"unknown solicit policy", func(c *config.DHCPv6) { c.Solicit = "answer" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ifc := testIfc()
			tt.mod(&ifc.DHCPv6)
			if _, err := newPolicy(ifc, serverMAC); !errors.Is(err, ErrConfig) {
				t.Errorf("newPolicy = %v, want ErrConfig", err)
			}
		})
	}
}

func TestDescribeReply(t *testing.T) {
	var buf bytes.Buffer
	if err := DescribeReply(&buf, testIfc(), serverMAC); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"DHCPv6 on eth0: Reply to an Information-Request asking for options 23 24 32 56 82 83 103",
		"server id (2)",
		"DUID-LL hardware type 1, 02:00:00:00:01:01",
		"dns servers (23)",
		"2001:db8::53, 2001:db8::54",
		"lab.example, example.org",
		"3600 s (1h0m0s)",
		"2001:db8::123",
		"https://portal.example/api",
		"without Option Request option",
		"Solicit: Advertise with status NoAddrsAvail; option policy: include-dns",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	ifc := testIfc()
	ifc.DHCPv6.OptionPolicy = config.PolicyStrict
	ifc.DHCPv6.DUID = config.DUID{Type: config.DUIDUUID, UUID: [16]byte{15: 1}}
	buf.Reset()
	if err := DescribeReply(&buf, ifc, nil); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.Contains(out, "without Option Request") || !strings.Contains(out, "DUID-UUID 00000000-0000-0000-0000-000000000001") {
		t.Errorf("strict/UUID output wrong:\n%s", out)
	}
	if err := DescribeReply(&buf, testIfc(), nil); !errors.Is(err, ErrConfig) {
		t.Errorf("DescribeReply without MAC for DUID-LL = %v, want ErrConfig", err)
	}
}
