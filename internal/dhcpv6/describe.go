package dhcpv6

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/dnsname"
)

// typicalORO is what DescribeReply's sample client asks for: every option
// the server can send.
var typicalORO = []uint16{
	optDNSServers, optDomainList, optInfoRefresh, optNTPServer, optSolMaxRT, optInfMaxRT, optCaptivePortal,
}

// describeClientDUID is the sample client's DUID-LL (RFC 8415 §11.4).
var describeClientDUID = []byte{0, 3, 0, 1, 0x02, 0, 0, 0, 0, 0x01}

// DescribeReply prints, for humans, the Reply the server of ifc would send
// to a typical Information-Request (one asking for every option ralab can
// send) and, under the include-dns policy, to one with no Option Request
// Option (WIDE "dhcp6c -i"). mac is the interface's link-layer address,
// used for a DUID-LL or DUID-LLT; it may be nil for other DUID types.
func DescribeReply(w io.Writer, ifc config.Interface, mac net.HardwareAddr) error {
	p, err := newPolicy(ifc, mac)
	if err != nil {
		return fmt.Errorf("dhcpv6 on %s: %w", ifc.Name, err)
	}
	cases := []struct {
		title string
		oro   []uint16
	}{{"Information-Request asking for options " + joinCodes(typicalORO), typicalORO}}
	if !p.strict {
		cases = append(cases, struct {
			title string
			oro   []uint16
		}{"Information-Request without Option Request option (WIDE dhcp6c -i)", nil})
	}
	for i, c := range cases {
		var oro []byte
		for _, code := range c.oro {
			oro = binary.BigEndian.AppendUint16(oro, code)
		}
		cm := clientMsg{typ: InformationRequest, xid: [3]byte{0x12, 0x34, 0x56}, clientID: describeClientDUID, oro: oro}
		reply, err := answer(p, &cm, nil)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "DHCPv6 on %s: Reply to an %s (%d bytes):\n", ifc.Name, c.title, len(reply))
		if err := describeMessage(w, reply); err != nil {
			return err
		}
	}
	solicit := "Advertise with status NoAddrsAvail"
	if p.ignoreSolicit {
		solicit = "discarded"
	}
	_, err = fmt.Fprintf(w, "\nSolicit: %s; option policy: %s\n", solicit, policyName(p))
	return err
}

// policyName returns the configuration spelling of p's option policy.
func policyName(p *policy) string {
	if p.strict {
		return string(config.PolicyStrict)
	}
	return string(config.PolicyIncludeDNS)
}

// joinCodes formats option codes separated by spaces.
func joinCodes(codes []uint16) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, " ")
}

// describeMessage prints a client/server message built by answer, one
// line per option.
func describeMessage(w io.Writer, b []byte) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  message type\t%d (%s)\n", b[0], MessageType(b[0]))
	fmt.Fprintf(tw, "  transaction id\t0x%x\n", b[1:4])
	err := walkOptions(b[clientHeaderLen:], func(code uint16, body []byte) error {
		name, value := describeOption(code, body)
		fmt.Fprintf(tw, "  %s (%d)\t%s\n", name, code, value)
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

// describeOption names an option and renders its value.
func describeOption(code uint16, body []byte) (string, string) {
	switch code {
	case optClientID:
		return "client id", describeDUID(body)
	case optServerID:
		return "server id", describeDUID(body)
	case optStatusCode:
		return "status code", fmt.Sprintf("%d %q", binary.BigEndian.Uint16(body), body[2:])
	case optDNSServers:
		return "dns servers", joinAddrs(body)
	case optDomainList:
		return "domain search list", strings.Join(decodeDomains(body), ", ")
	case optInfoRefresh:
		return "information refresh time", describeSeconds(body)
	case optNTPServer:
		var s []string
		_ = walkOptions(body, func(sub uint16, v []byte) error {
			if sub == ntpSuboptionSrvAddr {
				s = append(s, joinAddrs(v))
			}
			return nil
		})
		return "ntp server", strings.Join(s, ", ")
	case optSolMaxRT:
		return "SOL_MAX_RT", describeSeconds(body)
	case optInfMaxRT:
		return "INF_MAX_RT", describeSeconds(body)
	case optCaptivePortal:
		return "captive portal", string(body)
	default:
		return "option", fmt.Sprintf("%x", body)
	}
}

// describeSeconds renders a 32-bit seconds value (RFC 8415 §7.7 infinity).
func describeSeconds(b []byte) string {
	s := binary.BigEndian.Uint32(b)
	if s == 0xffffffff {
		return "infinity"
	}
	return fmt.Sprintf("%d s (%s)", s, time.Duration(s)*time.Second)
}

// joinAddrs renders a list of 16-octet IPv6 addresses.
func joinAddrs(b []byte) string {
	var s []string
	for ; len(b) >= 16; b = b[16:] {
		s = append(s, netip.AddrFrom16([16]byte(b[:16])).String())
	}
	return strings.Join(s, ", ")
}

// decodeDomains decodes uncompressed RFC 1035 names as newPolicy wrote
// them, as far as they are well formed.
func decodeDomains(b []byte) []string {
	names, _ := dnsname.Decode(b, false)
	return names
}

// describeDUID renders a DUID with its type (RFC 8415 §11, RFC 6355).
func describeDUID(b []byte) string {
	t := binary.BigEndian.Uint16(b)
	switch {
	case t == duidTypeLL && len(b) >= 4:
		return fmt.Sprintf("DUID-LL hardware type %d, %s", binary.BigEndian.Uint16(b[2:]), net.HardwareAddr(b[4:]))
	case t == duidTypeLLT && len(b) >= 8:
		return fmt.Sprintf("DUID-LLT hardware type %d, time %d, %s", binary.BigEndian.Uint16(b[2:]),
			binary.BigEndian.Uint32(b[4:]), net.HardwareAddr(b[8:]))
	case t == duidTypeEN && len(b) >= 6:
		return fmt.Sprintf("DUID-EN enterprise %d, identifier %x", binary.BigEndian.Uint32(b[2:]), b[6:])
	case t == duidTypeUUID && len(b) == 18:
		u := b[2:]
		return fmt.Sprintf("DUID-UUID %x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	default:
		return fmt.Sprintf("%x", b)
	}
}
