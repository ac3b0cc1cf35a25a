package dhcpv6

import (
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/dnsname"
	"github.com/ralab/ralab/internal/ra/limits"
)

// DUID type codes, RFC 8415 §11.1 and RFC 6355 §4.
const (
	duidTypeLLT  = 1
	duidTypeEN   = 2
	duidTypeLL   = 3
	duidTypeUUID = 4
)

// hardwareType returns the IANA ARP hardware type (RFC 826, IANA
// "Hardware Types" registry) that fits a link-layer address of hw's length.
func hardwareType(hw net.HardwareAddr) (uint16, error) {
	switch len(hw) {
	case 6:
		return 1, nil // Ethernet (10Mb)
	case 8:
		return 27, nil // EUI-64
	case 20:
		return 32, nil // InfiniBand
	default:
		return 0, fmt.Errorf("%w: no link-layer address usable for a DUID (got %d bytes); configure duid type \"en\" or \"uuid\"", ErrConfig, len(hw))
	}
}

// BuildDUID returns the server DUID the configuration d describes (RFC 8415
// §11): DUID-LL from hw unless d says otherwise.
func BuildDUID(d config.DUID, hw net.HardwareAddr) ([]byte, error) {
	switch d.Type {
	case "", config.DUIDLL:
		// RFC 8415 §11.4: type, hardware type, link-layer address.
		ht, err := hardwareType(hw)
		if err != nil {
			return nil, err
		}
		b := binary.BigEndian.AppendUint16(nil, duidTypeLL)
		b = binary.BigEndian.AppendUint16(b, ht)
		return append(b, hw...), nil
	case config.DUIDLLT:
		// RFC 8415 §11.2: type, hardware type, time, link-layer address.
		ht, err := hardwareType(hw)
		if err != nil {
			return nil, err
		}
		b := binary.BigEndian.AppendUint16(nil, duidTypeLLT)
		b = binary.BigEndian.AppendUint16(b, ht)
		b = binary.BigEndian.AppendUint32(b, d.Time)
		return append(b, hw...), nil
	case config.DUIDEN:
		// RFC 8415 §11.3: type, enterprise number, identifier; the whole
		// DUID is at most 128 octets after the type (§11.1).
		if len(d.Identifier) == 0 || 2+4+len(d.Identifier) > maxDUIDLen {
			return nil, fmt.Errorf("%w: DUID-EN identifier of %d bytes (want 1..124)", ErrConfig, len(d.Identifier))
		}
		b := binary.BigEndian.AppendUint16(nil, duidTypeEN)
		b = binary.BigEndian.AppendUint32(b, d.EnterpriseNumber)
		return append(b, d.Identifier...), nil
	case config.DUIDUUID:
		// RFC 6355 §4: type 4 and a 16-octet UUID.
		b := binary.BigEndian.AppendUint16(nil, duidTypeUUID)
		return append(b, d.UUID[:]...), nil
	default:
		return nil, fmt.Errorf("%w: unknown DUID type %q", ErrConfig, d.Type)
	}
}

// encodedOption is one configured option, encoded once with its header.
type encodedOption struct {
	code uint16
	wire []byte
}

// policy is the immutable, pre-encoded form of one interface's DHCPv6
// configuration. Handle reads it through an atomic pointer, so Update takes
// effect for the next message.
type policy struct {
	duid []byte
	// options are the configured options in ascending code order; none is
	// empty (RFC 8415 §21: an option with no data is never sent here).
	options []encodedOption
	strict  bool
	// ignoreSolicit discards Solicits instead of advertising NoAddrsAvail.
	ignoreSolicit bool
	rate          float64
	burst         int
	// rateTotal and burstTotal are the interface-wide cap (0: none).
	rateTotal  float64
	burstTotal int
}

// newPolicy encodes the configuration of ifc with hw as the link-layer
// address for DUID-LL and DUID-LLT.
func newPolicy(ifc config.Interface, hw net.HardwareAddr) (*policy, error) {
	c := ifc.DHCPv6
	duid, err := BuildDUID(c.DUID, hw)
	if err != nil {
		return nil, err
	}
	if err := checkPolicies(c); err != nil {
		return nil, err
	}
	opts, err := encodeOptions(c)
	if err != nil {
		return nil, err
	}
	return &policy{
		duid:          duid,
		options:       opts,
		strict:        c.OptionPolicy == config.PolicyStrict,
		ignoreSolicit: c.Solicit == config.SolicitIgnore,
		rate:          c.RatePerClient,
		burst:         c.BurstPerClient,
		rateTotal:     c.RateTotal,
		burstTotal:    c.BurstTotal,
	}, nil
}

// checkPolicies checks the option and Solicit policies of c.
func checkPolicies(c config.DHCPv6) error {
	switch c.OptionPolicy {
	case "", config.PolicyIncludeDNS, config.PolicyStrict:
	default:
		return fmt.Errorf("%w: unknown option policy %q", ErrConfig, c.OptionPolicy)
	}
	switch c.Solicit {
	case "", config.SolicitNoAddrsAvail, config.SolicitIgnore:
	default:
		return fmt.Errorf("%w: unknown solicit policy %q", ErrConfig, c.Solicit)
	}
	return nil
}

// optionEncoders encode the body of each option the server may send, in
// the order it sends them; an empty body means the option is not sent.
//
// Options 32, 82 and 83 (RFC 8415 §21.23-§21.25) are sent exactly as
// configured: package config enforces IRT_MINIMUM and the 60..86400 s
// range unless lab_override asks for out-of-range values on purpose, to
// see what clients do with them.
var optionEncoders = []struct {
	code uint16
	body func(c *config.DHCPv6) ([]byte, error)
}{
	{optDNSServers, dnsServersBody},
	{optDomainList, domainListBody},
	{optInfoRefresh, func(c *config.DHCPv6) ([]byte, error) { return secondsBody(c.InformationRefreshTime), nil }},
	{optNTPServer, ntpServersBody},
	{optSolMaxRT, func(c *config.DHCPv6) ([]byte, error) { return secondsBody(c.SolMaxRT), nil }},
	{optInfMaxRT, func(c *config.DHCPv6) ([]byte, error) { return secondsBody(c.InfMaxRT), nil }},
	// Option 103, RFC 8910 §2.2: the URI, not NUL-terminated.
	{optCaptivePortal, func(c *config.DHCPv6) ([]byte, error) { return []byte(c.CaptivePortal), nil }},
}

// encodeOptions encodes the options of c that the server sends.
func encodeOptions(c config.DHCPv6) ([]encodedOption, error) {
	var opts []encodedOption
	for _, e := range optionEncoders {
		body, err := e.body(&c)
		if err != nil {
			return nil, err
		}
		if len(body) == 0 {
			continue
		}
		if len(body) > maxOptionLen {
			return nil, fmt.Errorf("%w: option %d would be %d bytes, more than fits", ErrConfig, e.code, len(body))
		}
		opts = append(opts, encodedOption{code: e.code, wire: appendOption(nil, e.code, body)})
	}
	return opts, nil
}

// dnsServersBody encodes option 23 (RFC 3646 §3): a list of 16-octet
// addresses.
func dnsServersBody(c *config.DHCPv6) ([]byte, error) {
	var b []byte
	for _, a := range c.DNSServers {
		if !a.Is6() || a.Is4In6() {
			return nil, fmt.Errorf("%w: DNS server %s is not an IPv6 address", ErrConfig, a)
		}
		b = append(b, addr16(a)...)
	}
	return b, nil
}

// domainListBody encodes option 24 (RFC 3646 §4): uncompressed RFC 1035
// names.
func domainListBody(c *config.DHCPv6) ([]byte, error) {
	var b []byte
	for _, d := range c.Domains {
		var err error
		if b, err = dnsname.Append(b, d); err != nil {
			return nil, fmt.Errorf("%w: domain %w", ErrConfig, err)
		}
	}
	return b, nil
}

// ntpServersBody encodes option 56 (RFC 5908 §4): one
// NTP_SUBOPTION_SRV_ADDR per server.
func ntpServersBody(c *config.DHCPv6) ([]byte, error) {
	var b []byte
	for _, a := range c.NTPServers {
		if !a.Is6() || a.Is4In6() {
			return nil, fmt.Errorf("%w: NTP server %s is not an IPv6 address", ErrConfig, a)
		}
		b = appendOption(b, ntpSuboptionSrvAddr, addr16(a))
	}
	return b, nil
}

// secondsBody encodes a 32-bit seconds option, or nothing for 0.
func secondsBody(d time.Duration) []byte {
	if d <= 0 {
		return nil
	}
	return binary.BigEndian.AppendUint32(nil, limits.Seconds32(d))
}

// wants reports whether the reply to a message of type t with Option
// Request Option oro carries option code.
func (p *policy) wants(t MessageType, oro []byte, code uint16) bool {
	if code == optInfoRefresh && t != InformationRequest {
		// RFC 8415 §21.23: only in a Reply to an Information-request.
		return false
	}
	for i := 0; i+1 < len(oro); i += 2 {
		if binary.BigEndian.Uint16(oro[i:]) == code {
			return true
		}
	}
	// RFC 8415 §18.3: "The server MAY return additional options"; the
	// include-dns policy always returns DNS servers and domains because
	// some clients (WIDE dhcp6c -i) send no ORO at all.
	return !p.strict && (code == optDNSServers || code == optDomainList)
}
