// Package dhcpv6 is ralab's stateless DHCPv6 server (RFC 8415 §6.1).
//
// It answers Information-Request messages with the DNS servers, search
// domains, NTP servers, captive portal URI and timers of one interface's
// configuration, answers the stateful messages a client may still send with
// the status codes RFC 8415 prescribes for a server that assigns nothing,
// unwraps and re-wraps relayed messages (RFC 8415 §19), and discards and
// counts everything RFC 8415 §16 says a server must not answer.
//
// The protocol core, Handler, is pure: bytes in, reply bytes or a discard
// error out, with no sockets, so that it can be table-tested and fuzzed.
// Server binds it to one interface's UDP port 547 and, with
// WithImpairments, applies the lab impairments of package impair to what
// it receives and sends (field guide F9, F10, F12).
package dhcpv6
