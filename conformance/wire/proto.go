package wire

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ralab/ralab/internal/dnsname"
)

// DHCPv6 message types (RFC 8415 §7.3).
const (
	DHCPv6Solicit     = 1
	DHCPv6Advertise   = 2
	DHCPv6Request     = 3
	DHCPv6Reply       = 7
	DHCPv6InfoRequest = 11
	DHCPv6RelayForw   = 12
	DHCPv6RelayRepl   = 13
)

// DHCPv6 option codes (RFC 8415 §21, RFC 3646, RFC 4704, RFC 8415 §21.24).
const (
	Opt6ClientID    = 1
	Opt6ServerID    = 2
	Opt6IANA        = 3
	Opt6IATA        = 4
	Opt6IAAddr      = 5
	Opt6ORO         = 6
	Opt6Elapsed     = 8
	Opt6RelayMsg    = 9
	Opt6Status      = 13
	Opt6VendorClass = 16
	Opt6DNS         = 23
	Opt6Domains     = 24
	Opt6IAPD        = 25
	Opt6IRT         = 32
	Opt6FQDN        = 39
	Opt6InfMaxRT    = 83
)

// DHCPv6 is a decoded DHCPv6 message (RFC 8415 §8, §9). For relay
// messages, Relayed holds the innermost relayed message.
type DHCPv6 struct {
	// Type is the message type.
	Type uint8
	// TransactionID is the 24-bit transaction id (client/server messages).
	TransactionID uint32
	// HopCount, LinkAddress and PeerAddress are set for relay messages.
	HopCount uint8
	// LinkAddress is a relay message's link-address.
	LinkAddress netip.Addr
	// PeerAddress is a relay message's peer-address.
	PeerAddress netip.Addr
	// Relayed is the message inside a Relay Message option.
	Relayed *DHCPv6
	// Options are the option codes in order.
	Options []uint16
	// ClientID is the Client Identifier DUID, nil when absent.
	ClientID []byte
	// ServerID is the Server Identifier DUID, nil when absent.
	ServerID []byte
	// ORO is the Option Request Option, nil when absent.
	ORO []uint16
	// HasORO reports an ORO (possibly empty).
	HasORO bool
	// ElapsedTime is the Elapsed Time in hundredths of a second.
	ElapsedTime uint16
	// HasElapsedTime reports an Elapsed Time option.
	HasElapsedTime bool
	// HasIA reports any IA_NA, IA_TA or IA_PD option.
	HasIA bool
	// IAAddresses are the IA Address options inside IA_NA and IA_TA.
	IAAddresses []netip.Addr
	// DNS are the DNS Recursive Name Server addresses (option 23).
	DNS []netip.Addr
	// HasDNS reports option 23.
	HasDNS bool
	// Domains is the Domain Search List (option 24).
	Domains []string
	// RefreshTime is the Information Refresh Time (option 32), seconds.
	RefreshTime uint32
	// HasRefreshTime reports option 32.
	HasRefreshTime bool
	// FQDN is the Client FQDN (option 39) name.
	FQDN string
	// VendorClass are the Vendor Class (option 16) data strings.
	VendorClass []string
	// StatusCode is the top-level Status Code, if HasStatus.
	StatusCode uint16
	// StatusMessage is the Status Code message.
	StatusMessage string
	// HasStatus reports a top-level Status Code option.
	HasStatus bool
	// InfMaxRT is option 83 (RFC 8415 §21.25), if HasInfMaxRT.
	InfMaxRT uint32
	// HasInfMaxRT reports option 83.
	HasInfMaxRT bool
}

// Inner returns the innermost non-relay message of m.
func (m *DHCPv6) Inner() *DHCPv6 {
	for i := 0; m != nil && (m.Type == DHCPv6RelayForw || m.Type == DHCPv6RelayRepl) && i < 8; i++ {
		if m.Relayed == nil {
			return m
		}
		m = m.Relayed
	}
	return m
}

// DHCPv6TypeName names DHCPv6 message types (RFC 8415 §7.3).
func DHCPv6TypeName(t uint8) string {
	names := [...]string{"", "Solicit", "Advertise", "Request", "Confirm", "Renew", "Rebind", "Reply",
		"Release", "Decline", "Reconfigure", "Information-Request", "Relay-Forward", "Relay-Reply"}
	if int(t) < len(names) && t != 0 {
		return names[t]
	}
	return "type " + strconv.Itoa(int(t))
}

func (p *Packet) decodeDHCPv6(b []byte, depth int) *DHCPv6 {
	if len(b) < 4 {
		p.problem(CheckDecode, "RFC 8415 §8", "DHCPv6 message of %d bytes is too short", len(b))
		return nil
	}
	m := &DHCPv6{Type: b[0]}
	var opts []byte
	if m.Type == DHCPv6RelayForw || m.Type == DHCPv6RelayRepl {
		if len(b) < 34 {
			p.problem(CheckDecode, "RFC 8415 §9", "DHCPv6 relay message of %d bytes is too short", len(b))
			return nil
		}
		m.HopCount = b[1]
		m.LinkAddress = netip.AddrFrom16([16]byte(b[2:18]))
		m.PeerAddress = netip.AddrFrom16([16]byte(b[18:34]))
		opts = b[34:]
	} else {
		m.TransactionID = uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		opts = b[4:]
	}
	p.decodeDHCPv6Options(opts, m, depth, true)
	return m
}

func (p *Packet) decodeDHCPv6Options(b []byte, m *DHCPv6, depth int, top bool) {
	for len(b) > 0 {
		if len(b) < 4 {
			p.problem(CheckDecode, "RFC 8415 §21.1", "DHCPv6 %s: option header truncated", DHCPv6TypeName(m.Type))
			return
		}
		code := binary.BigEndian.Uint16(b[0:2])
		l := int(binary.BigEndian.Uint16(b[2:4]))
		if 4+l > len(b) {
			p.problem(CheckDecode, "RFC 8415 §21.1", "DHCPv6 %s: option %d claims %d bytes, %d remain",
				DHCPv6TypeName(m.Type), code, l, len(b)-4)
			return
		}
		d := b[4 : 4+l]
		b = b[4+l:]
		if !top {
			continue
		}
		m.Options = append(m.Options, code)
		p.decodeDHCPv6Option(code, d, m, depth)
	}
}

// decodeDHCPv6Option decodes option code, with data d, of m.
func (p *Packet) decodeDHCPv6Option(code uint16, d []byte, m *DHCPv6, depth int) {
	switch code {
	case Opt6ClientID:
		m.ClientID = append([]byte{}, d...)
	case Opt6ServerID:
		m.ServerID = append([]byte{}, d...)
	case Opt6ORO:
		p.decodeORO(d, m)
	case Opt6Elapsed:
		if len(d) != 2 {
			p.badOption(m, code, "is not 2 bytes")
			return
		}
		m.ElapsedTime, m.HasElapsedTime = binary.BigEndian.Uint16(d), true
	case Opt6IANA, Opt6IATA, Opt6IAPD:
		p.decodeIA(code, d, m)
	case Opt6RelayMsg:
		if depth >= 8 {
			p.badOption(m, code, "nests relay messages too deep")
			return
		}
		m.Relayed = p.decodeDHCPv6(d, depth+1)
	case Opt6Status:
		if len(d) < 2 {
			p.badOption(m, code, "is truncated")
			return
		}
		m.StatusCode, m.StatusMessage, m.HasStatus = binary.BigEndian.Uint16(d), string(d[2:]), true
	case Opt6VendorClass:
		p.decodeVendorClass(d, m)
	case Opt6DNS, Opt6Domains:
		p.decodeDNSOption(code, d, m)
	case Opt6IRT:
		if len(d) != 4 {
			p.badOption(m, code, "is not 4 bytes")
			return
		}
		m.RefreshTime, m.HasRefreshTime = binary.BigEndian.Uint32(d), true
	case Opt6InfMaxRT:
		if len(d) == 4 {
			m.InfMaxRT, m.HasInfMaxRT = binary.BigEndian.Uint32(d), true
		}
	case Opt6FQDN:
		m.FQDN = decodeFQDN(d)
	}
}

// badOption records a malformed option code of m.
func (p *Packet) badOption(m *DHCPv6, code uint16, what string) {
	p.problem(CheckDecode, "RFC 8415 §21", "DHCPv6 %s: option %d %s", DHCPv6TypeName(m.Type), code, what)
}

// decodeORO decodes an Option Request option (RFC 8415 §21.7).
func (p *Packet) decodeORO(d []byte, m *DHCPv6) {
	if len(d)%2 != 0 {
		p.badOption(m, Opt6ORO, "has an odd length")
	}
	m.HasORO = true
	m.ORO = make([]uint16, 0, len(d)/2)
	for i := 0; i+1 < len(d); i += 2 {
		m.ORO = append(m.ORO, binary.BigEndian.Uint16(d[i:]))
	}
}

// decodeIA decodes an IA_NA, IA_TA or IA_PD option, keeping the addresses
// of its IA Address sub-options (RFC 8415 §21.4-§21.6, §21.21).
func (p *Packet) decodeIA(code uint16, d []byte, m *DHCPv6) {
	m.HasIA = true
	hdr := 12
	if code == Opt6IATA {
		hdr = 4
	}
	if len(d) < hdr {
		p.badOption(m, code, "is truncated")
		return
	}
	for s := d[hdr:]; len(s) >= 4; {
		sc := binary.BigEndian.Uint16(s[0:2])
		sl := int(binary.BigEndian.Uint16(s[2:4]))
		if 4+sl > len(s) {
			p.badOption(m, code, "has a truncated sub-option")
			return
		}
		if sc == Opt6IAAddr && sl >= 24 {
			m.IAAddresses = append(m.IAAddresses, netip.AddrFrom16([16]byte(s[4:20])))
		}
		s = s[4+sl:]
	}
}

// decodeVendorClass decodes a Vendor Class option (RFC 8415 §21.16).
func (p *Packet) decodeVendorClass(d []byte, m *DHCPv6) {
	if len(d) < 4 {
		p.badOption(m, Opt6VendorClass, "is truncated")
		return
	}
	for s := d[4:]; len(s) >= 2; {
		sl := int(binary.BigEndian.Uint16(s))
		if 2+sl > len(s) {
			p.badOption(m, Opt6VendorClass, "has a truncated vendor-class-data")
			return
		}
		m.VendorClass = append(m.VendorClass, string(s[2:2+sl]))
		s = s[2+sl:]
	}
}

// decodeDNSOption decodes the DNS Recursive Name Server and Domain Search
// List options (RFC 3646).
func (p *Packet) decodeDNSOption(code uint16, d []byte, m *DHCPv6) {
	if code == Opt6Domains {
		names, err := dnsname.Decode(d, false)
		if err != nil {
			p.badOption(m, code, err.Error())
		}
		m.Domains = names
		return
	}
	if len(d)%16 != 0 {
		p.badOption(m, code, "length is not a multiple of 16")
	}
	m.HasDNS = true
	for s := d; len(s) >= 16; s = s[16:] {
		m.DNS = append(m.DNS, netip.AddrFrom16([16]byte(s[:16])))
	}
}

// decodeFQDN decodes the domain name of a Client FQDN option: RFC 4704
// §4.1, flags then a possibly partial domain name.
func decodeFQDN(d []byte) string {
	if len(d) < 1 {
		return ""
	}
	var labels []string
	for s := d[1:]; len(s) > 0; {
		n := int(s[0])
		if n == 0 || n >= 64 || 1+n > len(s) {
			break
		}
		labels = append(labels, string(s[1:1+n]))
		s = s[1+n:]
	}
	return strings.Join(labels, ".")
}

// DNSMessage is a decoded DNS message (RFC 1035 §4.1): the parts the
// observer uses (see dnsWalker).
type DNSMessage struct {
	// ID is the query id.
	ID uint16
	// Response is the QR bit.
	Response bool
	// Rcode is the response code.
	Rcode int
	// Name is the first question's name.
	Name string
	// Type is the first question's type.
	Type uint16
	// Answers counts answer records.
	Answers int
}

// DHCPv4 message types (RFC 2132 §9.6).
const (
	DHCPv4Discover = 1
	DHCPv4Offer    = 2
	DHCPv4Request  = 3
)

// DHCPv4 is the part of a DHCPv4 message (RFC 2131) the observer uses:
// identity hints and option 108 (RFC 8925).
type DHCPv4 struct {
	// Op is 1 for BOOTREQUEST, 2 for BOOTREPLY.
	Op uint8
	// TransactionID is xid.
	TransactionID uint32
	// ClientMAC is chaddr.
	ClientMAC MAC
	// MessageType is option 53.
	MessageType uint8
	// Hostname is option 12.
	Hostname string
	// VendorClass is option 60.
	VendorClass string
	// PRL is the Parameter Request List (option 55).
	PRL []uint8
	// V6OnlyWait is option 108 in seconds, if HasV6OnlyWait.
	V6OnlyWait uint32
	// HasV6OnlyWait reports option 108.
	HasV6OnlyWait bool
}

func (p *Packet) decodeDHCPv4(b []byte) *DHCPv4 {
	if len(b) < 240 || binary.BigEndian.Uint32(b[236:240]) != 0x63825363 {
		p.problem(CheckDecode, "RFC 2131 §2", "DHCPv4 message without the magic cookie")
		return nil
	}
	m := &DHCPv4{Op: b[0], TransactionID: binary.BigEndian.Uint32(b[4:8])}
	copy(m.ClientMAC[:], b[28:34])
	for o := b[240:]; len(o) > 0; {
		code := o[0]
		if code == 0 {
			o = o[1:]
			continue
		}
		if code == 255 {
			break
		}
		if len(o) < 2 || 2+int(o[1]) > len(o) {
			p.problem(CheckDecode, "RFC 2132 §2", "DHCPv4 option %d truncated", code)
			break
		}
		d := o[2 : 2+int(o[1])]
		o = o[2+int(o[1]):]
		switch code {
		case 53:
			if len(d) == 1 {
				m.MessageType = d[0]
			}
		case 12:
			m.Hostname = string(d)
		case 60:
			m.VendorClass = string(d)
		case 55:
			m.PRL = append([]uint8{}, d...)
		case 108:
			if len(d) == 4 {
				m.V6OnlyWait, m.HasV6OnlyWait = binary.BigEndian.Uint32(d), true
			}
		}
	}
	return m
}
