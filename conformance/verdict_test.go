package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/conformance/internal/frametest"
	"github.com/ralab/ralab/conformance/wire"
)

// dhcpcdVC is a DHCPv6 Vendor Class option as dhcpcd sends it.
var dhcpcdVC = opt6(wire.Opt6VendorClass, append([]byte{0, 0, 0x9, 0x4b, 0, 10}, "dhcpcd-9.4"...)...)

// dhcpcdIR is an Information-Request as dhcpcd sends it.
func dhcpcdIR(xid uint32) []byte {
	return ir(clientMAC, clientLL, xid, opt6(wire.Opt6ClientID, duidLL(clientMAC)...), elapsed6(0), oro6(23, 24, 32, 82, 83), dhcpcdVC)
}

// dhclientIR is an Information-Request as ISC dhclient -6 -S sends it.
func dhclientIR(xid uint32, cs uint16) []byte {
	return ir(clientMAC, clientLL, xid, opt6(wire.Opt6ClientID, duidLL(clientMAC)...), elapsed6(cs), oro6(23, 24, 39, 31))
}

// withX is an RA from the router with RDNSS dnsServer (lifetime 30 s), or
// without it.
func withX(t *testing.T, with bool) []byte {
	if with {
		return ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(30*time.Second, dnsServer)})
	}
	return ra(t, raSpec{lifetime: 1800 * time.Second})
}

// queries are answered DNS queries from the client to dnsServer every
// second from first to last (seconds).
func queries(t *testing.T, first, last float64) []tf {
	var f []tf
	for s := first; s <= last; s++ {
		id := uint16(s * 10)
		f = append(f, at(s, query(t, clientMAC, clientLL, dnsServer, id)), at(s+0.01, answer(t, clientMAC, clientLL, dnsServer, id)))
	}
	return f
}

func TestVerdicts(t *testing.T) {
	sid := opt6(wire.Opt6ServerID, duidLL(routerMAC)...)
	cid := opt6(wire.Opt6ClientID, duidLL(clientMAC)...)
	type got struct {
		Verdict    Verdict
		Reason     []string // substrings
		LostAt     float64  // seconds after t0, 0 if none
		Identified string
		Knowledge  int
		Settle     bool
	}
	tests := []struct {
		name   string
		frames func(t *testing.T) []tf
		end    float64
		want   got
	}{
		{
			name: "queried an RDNSS server: dns-ok",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.2, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(5, query(t, clientMAC, clientLL, dnsServer, 1)), at(5.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
				}
			},
			want: got{Verdict: VerdictDNSOK, Reason: []string{"queried 2001:db8::53", "1 answered", "RDNSS"}},
		},
		{
			name: "RDNSS expired without RS: dns-lost F1",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.2, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(30*time.Second, dnsServer)})),
					at(100, dad(t, clientMAC, clientLL)),
				}
			},
			want: got{Verdict: VerdictDNSLost, LostAt: 31.2, Reason: []string{"expired 30 s after the last RA", "RAs throttled (F1)", "no RS before it ran out (C9)"}},
		},
		{
			name: "Information-Requests without Reply and no RDNSS: no-dns F9",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, dad(t, clientMAC, clientLL)),
					at(2, dhclientIR(7, 0)), at(3, dhclientIR(7, 100)), at(5, dhclientIR(7, 300)),
				}
			},
			want: got{Verdict: VerdictNoDNS, Identified: "ISC dhclient", Reason: []string{"3 Information-Request", "no Reply", "F9"}},
		},
		{
			name: "dhclient ignores RDNSS while its Information-Requests go unanswered",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)),
					at(1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(2, dhclientIR(7, 0)), at(3, dhclientIR(7, 100)), at(5, dhclientIR(7, 300)),
				}
			},
			want: got{Verdict: VerdictNoDNS, Identified: "ISC dhclient", Knowledge: 1, Reason: []string{"no Reply"}},
		},
		{
			name: "unknown client waiting for DHCPv6 while RAs carry RDNSS: inconclusive",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)),
					at(1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(2, ir(clientMAC, clientLL, 9)), at(3, ir(clientMAC, clientLL, 9)), at(5, ir(clientMAC, clientLL, 9)),
				}
			},
			want: got{Verdict: VerdictInconclusive, Settle: true, Reason: []string{"visibly still waiting for DHCPv6"}},
		},
		{
			name: "dhcpcd identified, RDNSS valid: dns-ok by knowledge",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(1.5, dhcpcdIR(5)), at(1.51, reply(clientMAC, clientLL, 5, sid, cid)),
				}
			},
			want: got{Verdict: VerdictDNSOK, Identified: "dhcpcd", Knowledge: 1, Reason: []string{"dhcpcd takes DNS from RDNSS"}},
		},
		{
			name: "unknown client, RDNSS valid, no query: inconclusive",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
				}
			},
			want: got{Verdict: VerdictInconclusive, Settle: true, Reason: []string{"cannot be told from the wire"}},
		},
		{
			name: "DHCPv6 Reply with DNS: dns-ok",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, ir(clientMAC, clientLL, 3)), at(1.01, reply(clientMAC, clientLL, 3, sid, cid, dns6(dnsServer))),
				}
			},
			want: got{Verdict: VerdictDNSOK, Reason: []string{"DHCPv6 Reply #3", "2001:db8::53"}},
		},
		{
			name: "Reply without Server ID is discarded: no-dns",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, ir(clientMAC, clientLL, 3)), at(1.01, reply(clientMAC, clientLL, 3, cid, dns6(dnsServer))),
					at(2, ir(clientMAC, clientLL, 3)), at(4, ir(clientMAC, clientLL, 3)),
				}
			},
			want: got{Verdict: VerdictNoDNS, Reason: []string{"3 Information-Request(s)", "no Reply the client accepted (N1)"}},
		},
		{
			name: "client retransmits after a Reply with DNS: dns-lost",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, ir(clientMAC, clientLL, 3)), at(1.01, reply(clientMAC, clientLL, 3, sid, cid, dns6(dnsServer))),
					at(2, ir(clientMAC, clientLL, 3)), at(4, ir(clientMAC, clientLL, 3)),
				}
			},
			want: got{Verdict: VerdictDNSLost, LostAt: 2, Reason: []string{"discarded Reply #3"}},
		},
		{
			name: "RA without RDNSS and no Information-Request: no-dns F11",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
				}
			},
			want: got{Verdict: VerdictNoDNS, Reason: []string{"no RDNSS", "no Information-Request", "F11"}},
		},
		{
			name: "dhcpcd drops DNS on an RA without RDNSS: dns-lost F6",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(1.5, dhcpcdIR(5)), at(1.51, reply(clientMAC, clientLL, 5, sid, cid)),
					at(200, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
				}
			},
			want: got{Verdict: VerdictDNSLost, LostAt: 200, Identified: "dhcpcd", Knowledge: 1, Reason: []string{"without RDNSS", "F6"}},
		},
		{
			name: "dhcpcd queried, then an RA without RDNSS: dns-lost F6",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(1.5, dhcpcdIR(5)), at(1.51, reply(clientMAC, clientLL, 5, sid, cid)),
					at(2, query(t, clientMAC, clientLL, dnsServer, 1)),
					at(200, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
				}
			},
			want: got{Verdict: VerdictDNSLost, LostAt: 200, Identified: "dhcpcd", Knowledge: 1, Reason: []string{"F6"}},
		},
		{
			name: "Android ignores RDNSS lifetimes under 120 s: no-dns F5",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dhcp4Vendor(t, "android-dhcp-14")),
					at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(100*time.Second, dnsServer)})),
				}
			},
			want: got{Verdict: VerdictNoDNS, Identified: "Android", Knowledge: 1, Reason: []string{"below 120 s", "F5"}},
		},
		{
			name: "RDNSS withdrawn: dns-lost",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(50, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(0, dnsServer)})),
				}
			},
			want: got{Verdict: VerdictDNSLost, LostAt: 50, Reason: []string{"withdrawn (lifetime 0)"}},
		},
		{
			name: "query to a server never offered: dns-ok",
			frames: func(t *testing.T) []tf {
				return []tf{at(0, query(t, clientMAC, clientLL, dnsServer2, 1)), at(0.1, answer(t, clientMAC, clientLL, dnsServer2, 1))}
			},
			want: got{Verdict: VerdictDNSOK, Reason: []string{"no offer of it was seen"}},
		},
		{
			name: "RA only before the client appeared: inconclusive",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(10, ip6(clientMAC, routerMAC, clientLL, routerLL, frametest.ProtoICMPv6, ndpMsg(t, &ndpNA), ip6opts{})),
				}
			},
			want: got{Verdict: VerdictInconclusive, Settle: true, Reason: []string{"before the client's first packet"}},
		},
		{
			name: "joined, RS unanswered: no-dns",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{from: router2MAC, src: router2LL, dst: client2LL, dstMAC: client2MAC, lifetime: 1800 * time.Second})),
					at(1, dad(t, clientMAC, clientLL)), at(2, rs(t, clientMAC, clientLL)), at(6, rs(t, clientMAC, clientLL)),
				}
			},
			end:  20,
			want: got{Verdict: VerdictNoDNS, Reason: []string{"no RA reached it (F3)"}},
		},
		{
			name: "unanswered query to a server it holds by RDNSS: dns-ok, queries unanswered",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.2, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(5, query(t, clientMAC, clientLL, dnsServer, 1)), at(10, query(t, clientMAC, clientLL, dnsServer, 2)),
				}
			},
			want: got{Verdict: VerdictDNSOK, Reason: []string{"0 answered", "queries unanswered"}},
		},
		{
			name: "an answered query outweighs an unanswered one",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.2, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(3, query(t, clientMAC, clientLL, dnsServer2, 1)), at(3.01, answer(t, clientMAC, clientLL, dnsServer2, 1)),
					at(5, query(t, clientMAC, clientLL, dnsServer, 2)),
				}
			},
			want: got{Verdict: VerdictDNSOK, Reason: []string{"queried 2001:db8::54", "1 answered", "answers show DNS works"}},
		},
		{
			name: "unanswered queries to a server never offered: no evidence of DNS",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)),
					at(1, query(t, clientMAC, clientLL, dnsServer2, 1)), at(6, query(t, clientMAC, clientLL, dnsServer2, 2)),
				}
			},
			want: got{Verdict: VerdictInconclusive, Settle: true, Reason: []string{"went unanswered", "do not show valid DNS"}},
		},
		{
			name: "answered queries only before RDNSS expiry: dns-lost F1",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.2, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(30*time.Second, dnsServer)})),
					at(5, query(t, clientMAC, clientLL, dnsServer, 1)), at(5.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
					at(100, dad(t, clientMAC, clientLL)),
				}
			},
			want: got{Verdict: VerdictDNSLost, LostAt: 31.2, Reason: []string{"expired"}},
		},
		{
			name: "unanswered stale queries after RDNSS expiry: dns-lost",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.2, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(30*time.Second, dnsServer)})),
					at(60, query(t, clientMAC, clientLL, dnsServer, 1)), at(65, query(t, clientMAC, clientLL, dnsServer, 2)),
				}
			},
			want: got{Verdict: VerdictDNSLost, LostAt: 31.2, Reason: []string{"expired", "went unanswered"}},
		},
		{
			name: "Apple ignores an RA with router lifetime 0, its RDNSS too: no-dns F7",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)),
					at(1, ir(clientMAC, clientLL, 8, opt6(wire.Opt6ClientID, duidLL(clientMAC)...), elapsed6(0), oro6(23, 24, 103))),
					at(1.01, reply(clientMAC, clientLL, 8, sid, cid)),
					at(2, ra(t, raSpec{lifetime: 0, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
				}
			},
			want: got{Verdict: VerdictNoDNS, Identified: "Apple iOS/macOS", Knowledge: 1, Reason: []string{"router lifetime 0", "F7"}},
		},
		{
			name: "Apple keeps RDNSS from a live router when a lifetime-0 RA omits it",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)),
					at(1, ir(clientMAC, clientLL, 8, opt6(wire.Opt6ClientID, duidLL(clientMAC)...), elapsed6(0), oro6(23, 24, 103))),
					at(1.01, reply(clientMAC, clientLL, 8, sid, cid)),
					at(2, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(30, ra(t, raSpec{lifetime: 0, o: true})),
				}
			},
			want: got{Verdict: VerdictDNSOK, Identified: "Apple iOS/macOS", Knowledge: 1, Reason: []string{"takes DNS from RDNSS"}},
		},
		{
			name: "dhcpcd drops RDNSS on a lifetime-0 RA without it: dns-lost F6",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(1.5, dhcpcdIR(5)), at(1.51, reply(clientMAC, clientLL, 5, sid, cid)),
					at(30, ra(t, raSpec{lifetime: 0, o: true})),
				}
			},
			want: got{Verdict: VerdictDNSLost, LostAt: 30, Identified: "dhcpcd", Knowledge: 1, Reason: []string{"F6"}},
		},
		{
			name: "second router withdraws the server: a client keyed by address loses it (F15)",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(30, ra(t, raSpec{from: router2MAC, src: router2LL, lifetime: 0, rdnss: rdnss(0, dnsServer)})),
				}
			},
			want: got{Verdict: VerdictDNSLost, LostAt: 30, Reason: []string{"withdrawn (lifetime 0)", "02:00:00:00:01:02", "another router than the one that offered it (02:00:00:00:01:01)", "(F15)"}},
		},
		{
			name: "second router withdraws the server: dhcpcd keeps the first router's offer (F15)",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(1.5, dhcpcdIR(5)), at(1.51, reply(clientMAC, clientLL, 5, sid, cid)),
					at(30, ra(t, raSpec{from: router2MAC, src: router2LL, lifetime: 0, rdnss: rdnss(0, dnsServer)})),
				}
			},
			want: got{Verdict: VerdictDNSOK, Identified: "dhcpcd", Knowledge: 1, Reason: []string{"dhcpcd takes DNS from RDNSS"}},
		},
		{
			name: "dhcpcd: the second router's offer ends, the first router's expired: dns-lost",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(40*time.Second, dnsServer)})),
					at(1.5, dhcpcdIR(5)), at(1.51, reply(clientMAC, clientLL, 5, sid, cid)),
					at(20, ra(t, raSpec{from: router2MAC, src: router2LL, lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(60, ra(t, raSpec{from: router2MAC, src: router2LL, lifetime: 1800 * time.Second, rdnss: rdnss(0, dnsServer)})),
				}
			},
			end:  70,
			want: got{Verdict: VerdictDNSLost, LostAt: 60, Identified: "dhcpcd", Reason: []string{"withdrawn"}},
		},
		{
			name: "a client that keeps using a server only fragmented RAs offered: dns-ok, accepts fragmented ND (F13)",
			frames: func(t *testing.T) []tf {
				frag := func(s float64) tf {
					return at(s, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(12*time.Second, dnsServer), opts: ip6opts{fragment: true}}))
				}
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(12*time.Second, dnsServer)})),
					frag(5), frag(9), frag(13), frag(17),
					at(18, query(t, clientMAC, clientLL, dnsServer, 1)), at(18.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
				}
			},
			want: got{Verdict: VerdictDNSOK, Reason: []string{"only fragmented RAs offered it since (last #7)", "RFC 6980 §5 forbids (F13, C8)"}},
		},
		{
			name: "unidentified client queries after another router's withdrawals: it keeps servers per router (F15), dns-ok",
			frames: func(t *testing.T) []tf {
				ours := func(s float64) tf {
					return at(s, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(12*time.Second, dnsServer)}))
				}
				rogue := func(s float64) tf {
					return at(s, ra(t, raSpec{from: router2MAC, src: router2LL, lifetime: 0, rdnss: rdnss(0, dnsServer)}))
				}
				q := func(s float64, id uint16) []tf {
					return []tf{at(s, query(t, clientMAC, clientLL, dnsServer, id)), at(s+0.01, answer(t, clientMAC, clientLL, dnsServer, id))}
				}
				f := []tf{at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)), ours(1.1)}
				f = append(f, q(2, 1)...)
				f = append(f, ours(4), rogue(4.001))
				f = append(f, q(7, 2)...)
				f = append(f, q(7.5, 3)...)
				// The last withdrawal comes after the last query.
				f = append(f, ours(8), rogue(8.001))
				return f
			},
			end:  9,
			want: got{Verdict: VerdictDNSOK, Knowledge: 1, Reason: []string{"queried 2001:db8::53", "holds it from RDNSS valid"}},
		},
		{
			name: "unidentified client stops querying after another router's withdrawal: dns-lost F15",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(12*time.Second, dnsServer)})),
					at(2, query(t, clientMAC, clientLL, dnsServer, 1)), at(2.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
					at(4, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(12*time.Second, dnsServer)})),
					at(4.001, ra(t, raSpec{from: router2MAC, src: router2LL, lifetime: 0, rdnss: rdnss(0, dnsServer)})),
				}
			},
			end:  9,
			want: got{Verdict: VerdictDNSLost, LostAt: 4.001, Reason: []string{"withdrawn (lifetime 0)", "(F15)"}},
		},
		{
			name: "unidentified client: an RA omitted the server after its last query, behaviour unknown: inconclusive (F6)",
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.5, rs(t, clientMAC, clientLL)), at(0.6, withX(t, true))}
				f = append(f, queries(t, 1, 3)...)
				return append(f, at(5, withX(t, false)))
			},
			end:  6,
			want: got{Verdict: VerdictInconclusive, Settle: true, Reason: []string{"came without it after that query", "(F6)"}},
		},
		{
			name: "unidentified client queried well after an omission: it keeps servers, dns-ok",
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.5, rs(t, clientMAC, clientLL)), at(0.6, withX(t, true)), at(4, withX(t, false))}
				f = append(f, queries(t, 1, 10)...)
				f = append(f, at(12, withX(t, true)))
				f = append(f, queries(t, 13, 19)...)
				return append(f, at(20, withX(t, false)))
			},
			end:  21,
			want: got{Verdict: VerdictDNSOK, Knowledge: 1, Reason: []string{"queried 2001:db8::53"}},
		},
		{
			name: "unidentified client silent after every omission: it drops the server (F6), dns-lost",
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.1, rs(t, clientMAC, clientLL))}
				for i := 0; i < 6; i++ {
					start := float64(8 * i)
					f = append(f, at(start+0.2, withX(t, true)))
					f = append(f, queries(t, start+1, start+3)...)
					f = append(f, at(start+4, withX(t, false)))
				}
				return f
			},
			end:  45,
			want: got{Verdict: VerdictDNSLost, LostAt: 44, Knowledge: 1, Reason: []string{"without RDNSS", "(F6)"}},
		},
		{
			name: "unidentified client silent after omissions, but no longer than it is otherwise: no inference, inconclusive",
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.1, rs(t, clientMAC, clientLL)), at(0.2, withX(t, true))}
				f = append(f, queries(t, 1, 3)...)
				f = append(f, queries(t, 15, 17)...) // idle for 12 s with nothing omitted
				for _, start := range []float64{20, 28, 36} {
					f = append(f, at(start, withX(t, false)), at(start+4.2, withX(t, true)))
					f = append(f, queries(t, start+5, start+6)...)
				}
				return append(f, at(44, withX(t, false)))
			},
			end:  45,
			want: got{Verdict: VerdictInconclusive, Settle: true, Reason: []string{"came without it after that query", "(F6)"}},
		},
		{
			name: "a client that re-solicits before expiry: dns-ok by knowledge",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(300*time.Second, dnsServer)})),
					at(241, rs(t, clientMAC, clientLL)),
					at(241.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(300*time.Second, dnsServer)})),
				}
			},
			want: got{Verdict: VerdictDNSOK, Identified: "re-soliciting client", Knowledge: 1, Reason: []string{"re-soliciting client takes DNS from RDNSS"}},
		},
		{
			name: "an RS after a link flap (DAD) does not identify NetworkManager",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(300*time.Second, dnsServer)})),
					at(240, dad(t, clientMAC, clientLL)), at(241, rs(t, clientMAC, clientLL)),
					at(241.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(300*time.Second, dnsServer)})),
				}
			},
			want: got{Verdict: VerdictInconclusive, Settle: true, Reason: []string{"cannot be told from the wire"}},
		},
		{
			name: "an RS right after joining does not identify NetworkManager",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(60*time.Second, dnsServer)})),
					at(15, rs(t, clientMAC, clientLL)),
				}
			},
			want: got{Verdict: VerdictInconclusive, Settle: true, Reason: []string{"cannot be told from the wire"}},
		},
		{
			name: "nothing seen: inconclusive",
			frames: func(t *testing.T) []tf {
				return []tf{at(0, ip6(clientMAC, routerMAC, clientLL, routerLL, frametest.ProtoICMPv6, ndpMsg(t, &ndpNA), ip6opts{}))}
			},
			want: got{Verdict: VerdictInconclusive, Settle: true, Reason: []string{"no RA or DHCPv6 Reply reached it"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(tt.frames(t), tt.end)
			c := clientOf(t, r, clientMAC)
			g := got{Verdict: c.Verdict, Identified: c.Identified, Knowledge: len(c.Knowledge), Settle: c.Settle != ""}
			if c.LostAt != nil {
				g.LostAt = c.LostAt.Sub(t0).Seconds()
			}
			for _, s := range tt.want.Reason {
				if strings.Contains(c.Reason, s) {
					g.Reason = append(g.Reason, s)
				}
			}
			t.Logf("%s: %s | %s", c.Verdict, c.Reason, c.Settle)
			if diff := cmp.Diff(tt.want, g, cmp.Comparer(func(a, b float64) bool { return a-b < 0.001 && b-a < 0.001 })); diff != "" {
				t.Errorf("verdict (-want +got):\n%s\nreason: %s\nsettle: %s", diff, c.Reason, c.Settle)
			}
			if c.Verdict != VerdictInconclusive && len(c.Evidence) == 0 {
				t.Errorf("verdict %s without evidence", c.Verdict)
			}
		})
	}
}

// dhcp4Vendor builds a DHCPv4 DISCOVER from the client with a Vendor
// Class (option 60).
func dhcp4Vendor(t *testing.T, vendor string) []byte {
	t.Helper()
	b := make([]byte, 240)
	b[0] = 1
	copy(b[28:], clientMAC[:])
	copy(b[236:], []byte{99, 130, 83, 99})
	b = append(b, 53, 1, 1, 60, byte(len(vendor)))
	b = append(append(b, vendor...), 255)
	udp := append([]byte{0, 68, 0, 67, byte((8 + len(b)) >> 8), byte(8 + len(b)), 0, 0}, b...)
	tot := 20 + len(udp)
	ip := []byte{0x45, 0, byte(tot >> 8), byte(tot), 0, 0, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255}
	bc := wire.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	return append(append(append(append([]byte{}, bc[:]...), clientMAC[:]...), 8, 0), append(ip, udp...)...)
}
