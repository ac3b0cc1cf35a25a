// Package dhcpv6 is ralab's stateless DHCPv6 server (RFC 8415 §6.1).
//
// It answers Information-Request messages with the DNS servers, search
// domains, NTP servers, captive portal URI and timers of one interface's
// configuration, answers the stateful messages a client may still send with
// the status codes RFC 8415 prescribes for a server that assigns nothing,
// unwraps and re-wraps relayed messages (RFC 8415 §19), and discards and
// counts everything RFC 8415 §16 says a server must not answer.
//
// The package is internal: it serves ralab's own config.Interface and
// impairment profiles (internal/impair), which are not a library's API.
//
// The protocol core, Handler, is pure: bytes in, reply bytes or a discard
// error out, with no sockets, so that it can be table-tested and fuzzed.
// Handler.AppendReply builds the reply into the caller's buffer: the reply
// path of an Information-Request allocates nothing (BenchmarkReply).
// Server binds it to one interface's UDP port 547 and, with
// WithImpairments, applies the lab impairments of package impair to what
// it receives and sends (field guide F9, F10, F12).
//
// Limits. Each client address has a token bucket (rate_per_client,
// burst_per_client); the interface as a whole has another (rate_total,
// burst_total; 0 lifts it), which bounds the CPU a flood can take. The
// default, 10,000 messages a second, answers every client of a large lab
// VLAN that asks again at once, as after a controller reboot. Both are
// counted in ralab_dhcpv6_rate_limited_total{scope} and
// ralab_dhcpv6_discards_total{reason}.
//
// Transport. One worker per two cores (at least one, at most 4) shares
// the interface's socket: each reads up to 32 datagrams with one recvmmsg(2), answers
// them and sends the answers with one sendmmsg(2), through package udpio.
// Sends never wait: a reply that does not fit the send buffer is dropped
// and counted (reason "send-buffer-full"), never allowed to hold back the
// replies behind it. Replies to on-link sources that never answer
// Neighbor Discovery would otherwise sit in the kernel for 3 s each and
// fill the send buffer (issue 10: 150 spoofed Information-Requests a
// second, below every rate limit, made a blocking server miss 6 of 16
// legitimate ones in TestSpoofedOnLinkFlood). udpio.Guard stops that: a
// destination gets udpio.Budget replies a window before its neighbour
// entry is looked at, and none while that entry is unresolved (reason
// "neighbour-unresolved"). The kernel's receive-queue drops are counted
// in ralab_dhcpv6_kernel_receive_drops_total, and "dhcpv6 reply not sent"
// is logged at most 10 times a second, with the number suppressed.
package dhcpv6
