package dhcpv6

import "errors"

// A DiscardError is the reason a received message was discarded instead of
// answered. Every discard is counted under its Reason in Metrics.
type DiscardError struct {
	// Reason is a short metric-label-friendly name for the rule.
	Reason string
	// Rule cites where the rule comes from.
	Rule string
}

// Error implements error.
func (e *DiscardError) Error() string {
	return "discarded (" + e.Reason + ", " + e.Rule + ")"
}

// Discard reasons. Handle wraps exactly one of them in every error it
// returns, so errors.Is(err, ErrDiscardMalformed) and friends work, and
// Reason(err) gives the metric label.
var (
	// ErrDiscardMalformed: a truncated message, an option running past its
	// container, or an option whose length its definition forbids.
	ErrDiscardMalformed = &DiscardError{"malformed", "RFC 8415 §16, §21.1"}
	// ErrDiscardNotForServer: a message type only servers or relays send
	// (Advertise, Reply, Reconfigure, Relay-Reply), or an unknown type.
	ErrDiscardNotForServer = &DiscardError{"not-for-server", "RFC 8415 §16.3, §16.10, §16.11, §16.14, §7.3"}
	// ErrDiscardUnicast: a Solicit, Confirm, Rebind or Information-Request
	// sent to a unicast address.
	ErrDiscardUnicast = &DiscardError{"unicast", "RFC 8415 §16"}
	// ErrDiscardIAInInformationRequest: an Information-Request with an
	// IA_NA, IA_TA or IA_PD option.
	ErrDiscardIAInInformationRequest = &DiscardError{"ia-in-information-request", "RFC 8415 §16.12"}
	// ErrDiscardOtherServer: a Server Identifier option naming another
	// server.
	ErrDiscardOtherServer = &DiscardError{"other-server-id", "RFC 8415 §16.4, §16.6, §16.8, §16.9, §16.12"}
	// ErrDiscardServerIDPresent: a Solicit, Confirm or Rebind with a
	// Server Identifier option.
	ErrDiscardServerIDPresent = &DiscardError{"server-id-present", "RFC 8415 §16.2, §16.5, §16.7"}
	// ErrDiscardNoClientID: a message that must carry a Client Identifier
	// option but does not.
	ErrDiscardNoClientID = &DiscardError{"no-client-id", "RFC 8415 §16.2, §16.4-§16.9"}
	// ErrDiscardNoServerID: a Request, Renew, Decline or Release without a
	// Server Identifier option.
	ErrDiscardNoServerID = &DiscardError{"no-server-id", "RFC 8415 §16.4, §16.6, §16.8, §16.9"}
	// ErrDiscardSolicitIgnored: a Solicit under the "ignore" solicit policy.
	ErrDiscardSolicitIgnored = &DiscardError{"solicit-ignored", "configuration"}
	// ErrDiscardConfirm: a Confirm, which a server without knowledge of
	// the link's prefixes must not answer.
	ErrDiscardConfirm = &DiscardError{"confirm-unanswerable", "RFC 8415 §18.3.3"}
	// ErrDiscardRebind: a Rebind, which a server without binding or prefix
	// information does not answer.
	ErrDiscardRebind = &DiscardError{"rebind-no-binding", "RFC 8415 §18.3.5"}
	// ErrDiscardRelayDepth: relay messages nested deeper than a chain of
	// relays obeying HOP_COUNT_LIMIT can produce.
	ErrDiscardRelayDepth = &DiscardError{"relay-too-deep", "RFC 8415 §7.6, §19.1.1"}
	// ErrDiscardTooLarge: the answer would not fit in one UDP datagram.
	ErrDiscardTooLarge = &DiscardError{"reply-too-large", "RFC 8200 §5, RFC 768"}
	// ErrDiscardRateLimited: the client's per-address token bucket is empty.
	ErrDiscardRateLimited = &DiscardError{"rate-limited", "configuration rate_per_client"}
	// ErrDiscardOverloaded: the interface-wide message cap is exceeded.
	ErrDiscardOverloaded = &DiscardError{"overloaded", "configuration rate_total"}
	// ErrDiscardNeighbourUnresolved: the reply's destination used up its
	// budget of replies without a resolved neighbour entry (package
	// udpio): it does not answer Neighbor Discovery, as a spoofed source.
	ErrDiscardNeighbourUnresolved = &DiscardError{"neighbour-unresolved", "RFC 4861 §7.2.2"}
	// ErrDiscardSendBufferFull: the socket's send buffer had no room; the
	// reply was dropped rather than waited for.
	ErrDiscardSendBufferFull = &DiscardError{"send-buffer-full", "non-blocking send"}
	// ErrDiscardSendFailed: the kernel refused the reply.
	ErrDiscardSendFailed = &DiscardError{"send-error", "sendmmsg(2)"}
	// ErrDiscardImpaired: a lab impairment dropped the message or its
	// answer (see WithImpairments).
	ErrDiscardImpaired = &DiscardError{"impaired", "lab impairment, field guide F9, F10"}
)

// ErrConfig reports a configuration the server cannot encode on the wire.
var ErrConfig = errors.New("dhcpv6: invalid configuration")

// ErrDisabled is returned by NewServer for an interface whose DHCPv6 server
// is not enabled.
var ErrDisabled = errors.New("dhcpv6: server not enabled on this interface")

// Reason returns the discard reason wrapped in err, or "" when err wraps
// none.
func Reason(err error) string {
	var d *DiscardError
	if errors.As(err, &d) {
		return d.Reason
	}
	return ""
}
