// Package dnsresponder is ralab's optional lab DNS responder: a small
// authoritative DNS server that answers on the addresses ralab advertises
// as RDNSS, so a virtual or small lab needs no other DNS server and every
// query a client sends is seen, counted and answered.
//
// It has two parts. Handler is pure: built from a Config (a zone of AAAA,
// A, CNAME and TXT records, an optional NAT64 prefix and a TTL), it turns
// a wire-format query into a wire-format response with no socket, clock
// or goroutine. Server carries the Handler over UDP and TCP on given
// addresses, optionally bound to one interface, counts queries by type,
// responses by rcode and queries per client address, logs with log/slog,
// and calls an OnQuery hook for each answered query so the observer can
// record which clients actually use DNS (field guide check C7). Serve is
// what "ralab serve" runs per interface: it waits for the interface, adds
// the responder addresses it lacks as /128s without DAD, runs a Server on
// them, keeps the addresses in place while it runs (Linux flushes them
// when the link goes down) and removes exactly the ones it added when it
// stops.
//
// What the Handler answers:
//
//   - Names in the zone: authoritative answers (AA=1) from the zone's
//     records, CNAME chains followed inside the zone, NODATA (NOERROR with
//     the zone's SOA in the authority section, RFC 2308 §2.2) for existing
//     names without records of the asked type, including empty
//     non-terminals (RFC 8020), and NXDOMAIN with the SOA for other names.
//   - DNS64 (RFC 6147 §5.1): an AAAA query for a zone name that has A
//     records but no AAAA records is answered with AAAA records
//     synthesised from the A records and Config.PREF64 in the RFC 6052
//     §2.2 format, for every prefix length /32, /40, /48, /56, /64 and /96.
//     Every A record is synthesised, private ones too: RFC 6052 §3.1
//     forbids the well-known prefix 64:ff9b::/96 for non-global IPv4
//     addresses, so a lab whose A records are private should advertise a
//     network-specific prefix.
//   - ipv4only.arpa (RFC 7050 §2.2, RFC 8880 §7.2): A queries get the
//     well-known addresses 192.0.0.170 and 192.0.0.171; AAAA queries get
//     them synthesised with Config.PREF64, so a client can discover the
//     NAT64 prefix; without a PREF64 the answer is NODATA, as on a network
//     without DNS64. These answers are not authoritative (AA=0).
//   - Zone transfers (AXFR, IXFR), classes other than IN and ANY, and every
//     other name: REFUSED. The responder never recurses and never
//     forwards: the lab is offline by design, and a lab client that
//     reaches the Internet through it would hide exactly the failures
//     ralab exists to show. Responses therefore always carry RA=0.
//
// Malformed messages (not a DNS message, or a response rather than a
// query) are counted and dropped without an answer. Well-formed messages
// that are not a single-question standard query get FORMERR (QDCOUNT not
// 1, RFC 9619 §2; several OPT records, RFC 6891 §6.1.1) or NOTIMP (an
// opcode other than QUERY, RFC 1035 §4.1.1). EDNS(0) is echoed (RFC 6891
// §6.1.1, with the DO bit copied as RFC 3225 §3 asks), an EDNS version
// above 0 gets BADVERS (RFC 6891 §6.1.3), and a UDP response that does not
// fit the requestor's payload size (512 bytes without EDNS, RFC 1035
// §4.2.1) is sent empty with TC=1 so the client retries over TCP (RFC
// 7766 §5).
//
// UDP is served in batches (recvmmsg/sendmmsg) and sends never wait
// (package udpio): a response that does not fit the send buffer is
// dropped as "send-buffer-full", and one to a client that does not answer
// Neighbor Discovery, past udpio.Budget in a window, as
// "neighbour-unresolved", so that spoofed on-link sources cannot stall
// the answers to real clients (issue 10). "DNS response not sent" is
// logged at most 10 times a second.
//
// Metrics, all labelled by interface: ralab_dns_queries_total{transport,
// type}, ralab_dns_responses_total{rcode}, ralab_dns_dropped_total{reason}
// (malformed, response, tcp-limit, write-error, neighbour-unresolved,
// send-buffer-full, and receive-queue-full for the kernel's SO_RXQ_OVFL
// count), ralab_dns_truncated_total and ralab_dns_clients. Per-client
// counts are kept out of Prometheus (unbounded labels) and read with
// Server.Stats.
package dnsresponder
