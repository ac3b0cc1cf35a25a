package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ralab/ralab/conformance/wire"
)

// TestCentralRules pins the rules scripts/mutation-check breaks: a DHCPv6
// Reply configures a client only in answer to its own request (RFC 8415
// §16.10, §18.2.10), an RDNSS lifetime 0 withdraws the server at once and
// a lifetime runs out (RFC 8106 §5.1, §5.3.1), also for a client that
// keeps each router's offer apart (dhcpcd, F15). Each case states what
// the client holds at the end, by channel.
func TestCentralRules(t *testing.T) {
	sid := opt6(wire.Opt6ServerID, duidLL(routerMAC)...)
	cid := opt6(wire.Opt6ClientID, duidLL(clientMAC)...)
	cid2 := opt6(wire.Opt6ClientID, duidLL(client2MAC)...)
	ir2 := func(xid uint32) []byte { return ir(client2MAC, client2LL, xid) }
	type got struct {
		Verdict Verdict
		Sources []string
		LostAt  float64 // seconds after t0, 0 if none
		Reason  []string
	}
	tests := []struct {
		name   string
		frames func(t *testing.T) []tf
		end    float64
		want   got
	}{
		{
			name: "Reply to the client's own Information-Request: DNS from DHCPv6",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, ir(clientMAC, clientLL, 3)), at(1.01, reply(clientMAC, clientLL, 3, sid, cid, dns6(dnsServer))),
				}
			},
			end:  10,
			want: got{Verdict: VerdictDNSOK, Sources: []string{ViaDHCPv6}},
		},
		{
			name: "Reply with another transaction id: it answers no request of the client",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, ir(clientMAC, clientLL, 3)), at(1.01, reply(clientMAC, clientLL, 4, sid, cid, dns6(dnsServer))),
				}
			},
			end:  10,
			want: got{Verdict: VerdictNoDNS},
		},
		{
			name: "another client's Reply delivered to this client configures nothing",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, ir(clientMAC, clientLL, 3)), at(1.001, ir2(4)),
					at(1.01, reply(clientMAC, clientLL, 4, sid, cid2, dns6(dnsServer))),
				}
			},
			end:  10,
			want: got{Verdict: VerdictNoDNS},
		},
		{
			name: "Reply with the client's transaction id but another Client ID is discarded",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, ir(clientMAC, clientLL, 3)), at(1.01, reply(clientMAC, clientLL, 3, sid, cid2, dns6(dnsServer))),
				}
			},
			end:  10,
			want: got{Verdict: VerdictNoDNS},
		},
		{
			name: "Reply without Server ID is discarded",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, ir(clientMAC, clientLL, 3)), at(1.01, reply(clientMAC, clientLL, 3, cid, dns6(dnsServer))),
				}
			},
			end:  10,
			want: got{Verdict: VerdictNoDNS},
		},
		{
			name: "RDNSS lifetime 0 withdraws the server at once",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(2, query(t, clientMAC, clientLL, dnsServer, 1)), at(2.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
					at(10, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(0, dnsServer)})),
				}
			},
			end:  20,
			want: got{Verdict: VerdictDNSLost, LostAt: 10, Reason: []string{"withdrawn"}},
		},
		{
			name: "RDNSS lifetime runs out without a packet from the client",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(30*time.Second, dnsServer)})),
					at(2, query(t, clientMAC, clientLL, dnsServer, 1)), at(2.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
				}
			},
			end:  100,
			want: got{Verdict: VerdictDNSLost, LostAt: 31.1, Reason: []string{"expired"}},
		},
		{
			name: "RDNSS lifetime still running: the server is held",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(30*time.Second, dnsServer)})),
					at(2, query(t, clientMAC, clientLL, dnsServer, 1)), at(2.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
				}
			},
			end:  30,
			want: got{Verdict: VerdictDNSOK, Sources: []string{ViaRA}},
		},
		{
			name: "a router's own lifetime 0 ends its offer though another router offered the server",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(1.2, ra(t, raSpec{from: router2MAC, src: router2LL, lifetime: 1800 * time.Second, rdnss: rdnss(60*time.Second, dnsServer)})),
					at(2, query(t, clientMAC, clientLL, dnsServer, 1)), at(2.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
					at(10, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(0, dnsServer)})),
				}
			},
			end:  100,
			want: got{Verdict: VerdictDNSLost},
		},
		{
			name: "dhcpcd keeps servers per router: one router's offer runs out, the other's lifetime 0 ends the last",
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
			want: got{Verdict: VerdictDNSLost, LostAt: 60, Reason: []string{"withdrawn"}},
		},
		{
			name: "dhcpcd keeps servers per router: another router's lifetime 0 leaves a running offer",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(1.5, dhcpcdIR(5)), at(1.51, reply(clientMAC, clientLL, 5, sid, cid)),
					at(20, ra(t, raSpec{from: router2MAC, src: router2LL, lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(60, ra(t, raSpec{from: router2MAC, src: router2LL, lifetime: 1800 * time.Second, rdnss: rdnss(0, dnsServer)})),
				}
			},
			end:  70,
			want: got{Verdict: VerdictDNSOK, Sources: []string{ViaRA}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(tt.frames(t), tt.end)
			c := clientOf(t, r, clientMAC)
			g := got{Verdict: c.Verdict}
			if c.Verdict == VerdictDNSOK {
				g.Sources = c.DNSSources
			}
			if c.LostAt != nil && tt.want.LostAt != 0 {
				g.LostAt = c.LostAt.Sub(t0).Seconds()
			}
			for _, s := range tt.want.Reason {
				if strings.Contains(c.Reason, s) {
					g.Reason = append(g.Reason, s)
				}
			}
			if diff := cmp.Diff(tt.want, g, cmpopts.EquateEmpty(), cmpopts.EquateApprox(0, 0.001)); diff != "" {
				t.Errorf("client (-want +got):\n%s\nreason: %s", diff, c.Reason)
			}
		})
	}
}
