package dhcpv6

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// MessageType is a DHCPv6 message type (RFC 8415 §7.3).
type MessageType uint8

// Message types, RFC 8415 §7.3.
const (
	Solicit            MessageType = 1
	Advertise          MessageType = 2
	Request            MessageType = 3
	Confirm            MessageType = 4
	Renew              MessageType = 5
	Rebind             MessageType = 6
	Reply              MessageType = 7
	Release            MessageType = 8
	Decline            MessageType = 9
	Reconfigure        MessageType = 10
	InformationRequest MessageType = 11
	RelayForward       MessageType = 12
	RelayReply         MessageType = 13
)

// String returns the RFC 8415 §7.3 name of t in lower case, or "unknown".
func (t MessageType) String() string {
	switch t {
	case Solicit:
		return "solicit"
	case Advertise:
		return "advertise"
	case Request:
		return "request"
	case Confirm:
		return "confirm"
	case Renew:
		return "renew"
	case Rebind:
		return "rebind"
	case Reply:
		return "reply"
	case Release:
		return "release"
	case Decline:
		return "decline"
	case Reconfigure:
		return "reconfigure"
	case InformationRequest:
		return "information-request"
	case RelayForward:
		return "relay-forward"
	case RelayReply:
		return "relay-reply"
	default:
		return "unknown"
	}
}

// Option codes used by the server (RFC 8415 §21 unless noted).
const (
	optClientID       uint16 = 1
	optServerID       uint16 = 2
	optIANA           uint16 = 3
	optIATA           uint16 = 4
	optORO            uint16 = 6
	optElapsedTime    uint16 = 8
	optRelayMsg       uint16 = 9
	optStatusCode     uint16 = 13
	optInterfaceID    uint16 = 18
	optDNSServers     uint16 = 23 // RFC 3646 §3
	optDomainList     uint16 = 24 // RFC 3646 §4
	optIAPD           uint16 = 25
	optInfoRefresh    uint16 = 32
	optNTPServer      uint16 = 56 // RFC 5908 §4
	optSolMaxRT       uint16 = 82
	optInfMaxRT       uint16 = 83
	optCaptivePortal  uint16 = 103 // RFC 8910 §2.2
	optRelaySourcePrt uint16 = 135 // RFC 8357 §5.2
)

// Status codes, RFC 8415 §21.13.
const (
	statusSuccess       uint16 = 0
	statusNoAddrsAvail  uint16 = 2
	statusNoBinding     uint16 = 3
	statusNoPrefixAvail uint16 = 6
)

// Protocol constants and field sizes.
const (
	ntpSuboptionSrvAddr uint16 = 1   // RFC 5908 §4.1
	hopCountLimit              = 8   // HOP_COUNT_LIMIT, RFC 8415 §7.6
	maxDUIDLen                 = 130 // type code + at most 128 octets, RFC 8415 §11.1
	minDUIDLen                 = 3
	clientHeaderLen            = 4   // msg-type + transaction-id, RFC 8415 §8
	relayHeaderLen             = 34  // msg-type, hop-count, link-address, peer-address, RFC 8415 §9
	clientPort                 = 546 // RFC 8415 §7.2
	serverPort                 = 547 // RFC 8415 §7.2
	iaNAFixedLen               = 12  // IAID, T1, T2, RFC 8415 §21.4
	iaTAFixedLen               = 4   // IAID, RFC 8415 §21.5
	iaPDFixedLen               = 12  // IAID, T1, T2, RFC 8415 §21.21
	maxOptionLen               = 0xffff
	maxUDPPayload              = 0xffff - 8 // RFC 768 length field minus the UDP header
)

// ia is an identity association from a client message: its option code
// and IAID.
type ia struct {
	code uint16
	iaid [4]byte
}

// clientMsg is a parsed client message (RFC 8415 §8), holding only what
// the server acts on. Its byte slices alias the received datagram.
type clientMsg struct {
	typ      MessageType
	xid      [3]byte
	clientID []byte
	serverID []byte
	// oro is the body of the Option Request option: 2-octet option codes
	// in the client's order (RFC 8415 §21.7).
	oro []byte
	ias []ia
}

// relayMsg is a parsed Relay-Forward message (RFC 8415 §9).
type relayMsg struct {
	hopCount    uint8
	linkAddr    [16]byte
	peerAddr    [16]byte
	interfaceID []byte
	// hasSourcePort records a Relay Source Port option (RFC 8357 §5.2).
	hasSourcePort bool
	inner         []byte
}

// walkOptions calls fn for every option in b, or reports a malformed
// option list: an option header or body that runs past the end of b
// (RFC 8415 §21.1).
func walkOptions(b []byte, fn func(code uint16, body []byte) error) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return fmt.Errorf("%w: %d trailing bytes after the last option", ErrDiscardMalformed, len(b))
		}
		code := binary.BigEndian.Uint16(b)
		n := int(binary.BigEndian.Uint16(b[2:]))
		if len(b) < 4+n {
			return fmt.Errorf("%w: option %d length %d exceeds the %d bytes left",
				ErrDiscardMalformed, code, n, len(b)-4)
		}
		if err := fn(code, b[4:4+n]); err != nil {
			return err
		}
		b = b[4+n:]
	}
	return nil
}

// parseClientMsg parses a client/server message (RFC 8415 §8) and checks
// the syntax of the options the server uses.
func parseClientMsg(b []byte) (clientMsg, error) {
	var m clientMsg
	if len(b) < clientHeaderLen {
		return m, fmt.Errorf("%w: %d bytes is shorter than a message header", ErrDiscardMalformed, len(b))
	}
	m.typ = MessageType(b[0])
	copy(m.xid[:], b[1:4])
	err := walkOptions(b[clientHeaderLen:], func(code uint16, body []byte) error {
		switch code {
		case optClientID, optServerID:
			if err := checkDUID(body); err != nil {
				return fmt.Errorf("%w: option %d: %v", ErrDiscardMalformed, code, err)
			}
			p := &m.clientID
			if code == optServerID {
				p = &m.serverID
			}
			if *p != nil {
				return fmt.Errorf("%w: option %d appears twice", ErrDiscardMalformed, code)
			}
			*p = body
		case optORO:
			// RFC 8415 §21.7: a list of 2-octet option codes.
			if len(body)%2 != 0 {
				return fmt.Errorf("%w: option request option of odd length %d", ErrDiscardMalformed, len(body))
			}
			m.oro = body
		case optElapsedTime:
			// RFC 8415 §21.9: exactly 2 octets.
			if len(body) != 2 {
				return fmt.Errorf("%w: elapsed time option of length %d", ErrDiscardMalformed, len(body))
			}
		case optIANA, optIATA, optIAPD:
			fixed := iaNAFixedLen
			switch code {
			case optIATA:
				fixed = iaTAFixedLen
			case optIAPD:
				fixed = iaPDFixedLen
			}
			if len(body) < fixed {
				return fmt.Errorf("%w: IA option %d of length %d", ErrDiscardMalformed, code, len(body))
			}
			if err := walkOptions(body[fixed:], func(uint16, []byte) error { return nil }); err != nil {
				return fmt.Errorf("inside IA option %d: %w", code, err)
			}
			var x ia
			x.code = code
			copy(x.iaid[:], body)
			m.ias = append(m.ias, x)
		}
		return nil
	})
	return m, err
}

// checkDUID checks the length of a DUID: a 2-octet type code plus 1 to 128
// octets (RFC 8415 §11.1), and for the types RFC 8415 §11.2-§11.4 and RFC
// 6355 §4 define, at least their fixed fields (DUID-UUID: exactly 16
// octets). DUIDs are otherwise opaque and only compared for equality.
func checkDUID(d []byte) error {
	if len(d) < minDUIDLen || len(d) > maxDUIDLen {
		return fmt.Errorf("DUID of length %d", len(d))
	}
	var fixed int
	switch binary.BigEndian.Uint16(d) {
	case duidTypeLLT:
		fixed = 8 // type, hardware type, time
	case duidTypeEN:
		fixed = 6 // type, enterprise number
	case duidTypeLL:
		fixed = 4 // type, hardware type
	case duidTypeUUID:
		if len(d) != 18 {
			return fmt.Errorf("DUID-UUID of length %d", len(d))
		}
	}
	if len(d) < fixed {
		return fmt.Errorf("DUID type %d of length %d", binary.BigEndian.Uint16(d), len(d))
	}
	return nil
}

// parseRelayMsg parses a Relay-Forward message (RFC 8415 §9).
func parseRelayMsg(b []byte) (relayMsg, error) {
	var r relayMsg
	if len(b) < relayHeaderLen {
		return r, fmt.Errorf("%w: %d bytes is shorter than a relay message header", ErrDiscardMalformed, len(b))
	}
	r.hopCount = b[1]
	copy(r.linkAddr[:], b[2:18])
	copy(r.peerAddr[:], b[18:34])
	seenMsg := false
	err := walkOptions(b[relayHeaderLen:], func(code uint16, body []byte) error {
		switch code {
		case optRelayMsg:
			if seenMsg {
				return fmt.Errorf("%w: two relay message options", ErrDiscardMalformed)
			}
			seenMsg = true
			r.inner = body
		case optInterfaceID:
			r.interfaceID = body
		case optRelaySourcePrt:
			r.hasSourcePort = true
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	if !seenMsg {
		// RFC 8415 §21.10: a Relay-forward MUST carry a Relay Message option.
		return r, fmt.Errorf("%w: relay-forward without a relay message option", ErrDiscardMalformed)
	}
	return r, nil
}

// appendOption appends an option header and body.
func appendOption(b []byte, code uint16, body []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, code)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

// appendStatus appends a Status Code option (RFC 8415 §21.13).
func appendStatus(b []byte, code uint16, msg string) []byte {
	b = binary.BigEndian.AppendUint16(b, optStatusCode)
	b = binary.BigEndian.AppendUint16(b, uint16(2+len(msg)))
	b = binary.BigEndian.AppendUint16(b, code)
	return append(b, msg...)
}

// appendIAStatus appends an IA option of the same kind and IAID as x that
// holds no addresses or prefixes, only a Status Code option, with T1 and T2
// zero (RFC 8415 §21.4, §21.5, §21.21).
func appendIAStatus(b []byte, x ia, code uint16, msg string) []byte {
	fixed := iaNAFixedLen
	if x.code == optIATA {
		fixed = iaTAFixedLen
	}
	b = binary.BigEndian.AppendUint16(b, x.code)
	b = binary.BigEndian.AppendUint16(b, uint16(fixed+4+2+len(msg)))
	b = append(b, x.iaid[:]...)
	for i := 4; i < fixed; i++ {
		b = append(b, 0)
	}
	return appendStatus(b, code, msg)
}

// addr16 returns a as 16 bytes (IPv4 addresses in IPv4-mapped form).
func addr16(a netip.Addr) []byte {
	x := a.As16()
	return x[:]
}
