package dhcpv6

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/ralab/ralab/internal/config"
)

// Test fixtures.
var (
	serverMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0x01, 0x01}
	serverDUID = []byte{0, 3, 0, 1, 0x02, 0, 0, 0, 0x01, 0x01}
	clientDUID = []byte{0, 3, 0, 1, 0x02, 0, 0, 0, 0x02, 0x01}
	otherDUID  = []byte{0, 3, 0, 1, 0x02, 0, 0, 0, 0x09, 0x09}
	clientAddr = netip.MustParseAddrPort("[fe80::ff:fe00:201]:546")
	multicast  = netip.MustParseAddr("ff02::1:2")
	t0         = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	xid        = [3]byte{0xab, 0xcd, 0xef}
)

// testIfc returns an interface with every DHCPv6 option configured.
func testIfc() config.Interface {
	return config.Interface{
		Name: "eth0",
		DHCPv6: config.DHCPv6{
			Enabled:                true,
			DNSServers:             []netip.Addr{netip.MustParseAddr("2001:db8::53"), netip.MustParseAddr("2001:db8::54")},
			Domains:                []string{"lab.example", "example.org"},
			InformationRefreshTime: time.Hour,
			NTPServers:             []netip.Addr{netip.MustParseAddr("2001:db8::123")},
			SolMaxRT:               3600 * time.Second,
			InfMaxRT:               7200 * time.Second,
			CaptivePortal:          "https://portal.example/api",
			OptionPolicy:           config.PolicyIncludeDNS,
			Solicit:                config.SolicitNoAddrsAvail,
		},
	}
}

// opt encodes one option.
func opt(code uint16, body ...byte) []byte {
	return appendOption(nil, code, body)
}

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// msg builds a client message.
func msg(t MessageType, opts ...[]byte) []byte {
	return cat(append([][]byte{{byte(t), xid[0], xid[1], xid[2]}}, opts...)...)
}

// oro builds an Option Request option.
func oro(codes ...uint16) []byte {
	var b []byte
	for _, c := range codes {
		b = binary.BigEndian.AppendUint16(b, c)
	}
	return opt(optORO, b...)
}

// iaNA, iaTA and iaPD build empty IA options with IAID 1, 2 and 3.
func iaNA() []byte { return opt(optIANA, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0) }
func iaTA() []byte { return opt(optIATA, 0, 0, 0, 2) }
func iaPD() []byte { return opt(optIAPD, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0) }

// relay wraps inner in a Relay-forward with the given hop count, peer
// address and extra options.
func relay(hop uint8, peer string, inner []byte, opts ...[]byte) []byte {
	b := []byte{byte(RelayForward), hop}
	la := netip.MustParseAddr("2001:db8:1::1").As16()
	pa := netip.MustParseAddr(peer).As16()
	b = append(b, la[:]...)
	b = append(b, pa[:]...)
	for _, o := range opts {
		b = append(b, o...)
	}
	return append(b, opt(optRelayMsg, inner...)...)
}

// summary is a decoded Advertise or Reply, for cmp.Diff.
type summary struct {
	Type     string
	XID      string
	ClientID string
	ServerID string
	// Codes lists the top-level option codes in wire order.
	Codes    []uint16
	Status   string
	IAs      []string
	DNS      []string
	Domains  []string
	IRT      uint32
	NTP      []string
	SolMaxRT uint32
	InfMaxRT uint32
	Portal   string
}

// summarize decodes a reply built by the server. It also checks that
// insomniacslk/dhcp, an independent implementation, parses it.
func summarize(t *testing.T, b []byte) summary {
	t.Helper()
	if _, err := dhcpv6.FromBytes(b); err != nil {
		t.Fatalf("insomniacslk/dhcp cannot parse the reply %x: %v", b, err)
	}
	s := summary{Type: MessageType(b[0]).String(), XID: hex.EncodeToString(b[1:4])}
	err := walkOptions(b[4:], func(code uint16, body []byte) error {
		s.Codes = append(s.Codes, code)
		switch code {
		case optClientID:
			s.ClientID = hex.EncodeToString(body)
		case optServerID:
			s.ServerID = hex.EncodeToString(body)
		case optStatusCode:
			s.Status = statusName(binary.BigEndian.Uint16(body))
		case optIANA, optIATA, optIAPD:
			fixed := 12
			if code == optIATA {
				fixed = 4
			}
			st := ""
			_ = walkOptions(body[fixed:], func(c uint16, v []byte) error {
				if c == optStatusCode {
					st = statusName(binary.BigEndian.Uint16(v))
				}
				return nil
			})
			s.IAs = append(s.IAs, hex.EncodeToString(binary.BigEndian.AppendUint16(nil, code))+"/"+hex.EncodeToString(body[:fixed])+"/"+st)
		case optDNSServers:
			for ; len(body) >= 16; body = body[16:] {
				s.DNS = append(s.DNS, netip.AddrFrom16([16]byte(body)).String())
			}
		case optDomainList:
			s.Domains = decodeDomains(body)
		case optInfoRefresh:
			s.IRT = binary.BigEndian.Uint32(body)
		case optNTPServer:
			_ = walkOptions(body, func(c uint16, v []byte) error {
				if c == ntpSuboptionSrvAddr {
					s.NTP = append(s.NTP, netip.AddrFrom16([16]byte(v)).String())
				}
				return nil
			})
		case optSolMaxRT:
			s.SolMaxRT = binary.BigEndian.Uint32(body)
		case optInfMaxRT:
			s.InfMaxRT = binary.BigEndian.Uint32(body)
		case optCaptivePortal:
			s.Portal = string(body)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking reply options: %v", err)
	}
	return s
}

func statusName(c uint16) string {
	switch c {
	case statusSuccess:
		return "Success"
	case statusNoAddrsAvail:
		return "NoAddrsAvail"
	case statusNoBinding:
		return "NoBinding"
	case statusNoPrefixAvail:
		return "NoPrefixAvail"
	default:
		return "unknown"
	}
}

// newTestHandler returns a Handler for ifc with fresh metrics.
func newTestHandler(t *testing.T, ifc config.Interface) (*Handler, *Metrics) {
	t.Helper()
	m := NewMetrics(nil)
	h, err := NewHandler(ifc, serverMAC, nil, m)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	return h, m
}
