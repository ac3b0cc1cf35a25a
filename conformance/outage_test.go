package conformance

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/miekg/dns"
	"github.com/ralab/ralab/conformance/internal/frametest"
	"github.com/ralab/ralab/conformance/wire"
)

// rdnssRA is an RA from the router with RDNSS dnsServer of lifetime lt.
func rdnssRA(t *testing.T, lt time.Duration) []byte {
	return ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(lt, dnsServer)})
}

// cycles are RAs every every seconds from 0 to last, each with an RDNSS
// lifetime lt, and answered queries at 0.5, 1.5 and 2.5 s after each RA.
func cycles(t *testing.T, every, last float64, lt time.Duration) []tf {
	f := []tf{at(0, dad(t, clientMAC, clientLL))}
	id := uint16(1)
	for s := 0.1; s <= last; s += every {
		f = append(f, at(s, rdnssRA(t, lt)))
		for _, q := range []float64{0.5, 1.5, 2.5} {
			f = append(f, at(s+q, query(t, clientMAC, clientLL, dnsServer, id)), at(s+q+0.01, answer(t, clientMAC, clientLL, dnsServer, id)))
			id++
		}
	}
	return f
}

// outageView is what a test asserts about a client's outages.
type outageCase struct {
	Verdict   Verdict
	Recovered bool
	Count     int
	Ongoing   bool
	FIDs      []string
	Lapses    int
	Reason    []string // substrings the reason must contain
}

func TestOutages(t *testing.T) {
	sid := opt6(wire.Opt6ServerID, duidLL(routerMAC)...)
	cid := opt6(wire.Opt6ClientID, duidLL(clientMAC)...)
	tests := []struct {
		name   string
		frames func(t *testing.T) []tf
		end    float64
		want   outageCase
	}{
		{
			name:   "RDNSS lifetime 3 s under RAs every 6 s: repeated outages, recovered (F5)",
			frames: func(t *testing.T) []tf { return cycles(t, 6, 25, 3*time.Second) },
			want: outageCase{Verdict: VerdictDNSLost, Recovered: true, Count: 4, FIDs: []string{"F5"},
				Reason: []string{"lost DNS 4 time(s)", "(4 times)", "holds DNS again"}},
		},
		{
			name:   "RDNSS lifetime 4 s under RAs every 4.05 s: 50 ms lapses are no outage",
			frames: func(t *testing.T) []tf { return cycles(t, 4.05, 40, 4*time.Second) },
			want:   outageCase{Verdict: VerdictDNSOK, Lapses: 9, Reason: []string{"lapsed 9 time(s)"}},
		},
		{
			name: "a second valid server covers the first one's expiry: no outage",
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL)),
					at(0.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: []ndp.RecursiveDNSServer{
						{Lifetime: 10 * time.Second, Servers: []netip.Addr{dnsServer}},
						{Lifetime: 1800 * time.Second, Servers: []netip.Addr{dnsServer2}}}}))}
				for s := 1.0; s < 30; s++ {
					srv := dnsServer2
					if s < 10 {
						srv = dnsServer
					}
					f = append(f, at(s, query(t, clientMAC, clientLL, srv, uint16(s))), at(s+0.01, answer(t, clientMAC, clientLL, srv, uint16(s))))
				}
				return f
			},
			want: outageCase{Verdict: VerdictDNSOK},
		},
		{
			name: "withdrawn, then offered again: one outage, recovered",
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.1, rdnssRA(t, 1800*time.Second))}
				f = append(f, queries(t, 1, 9)...)
				f = append(f, at(10, rdnssRA(t, 0)), at(20, rdnssRA(t, 1800*time.Second)))
				return append(f, queries(t, 21, 25)...)
			},
			want: outageCase{Verdict: VerdictDNSLost, Recovered: true, Count: 1, Reason: []string{"withdrawn", "holds DNS again"}},
		},
		{
			name: "expired and never offered again: an ongoing outage",
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.1, rdnssRA(t, 10*time.Second))}
				return append(f, queries(t, 1, 9)...)
			},
			end:  40,
			want: outageCase{Verdict: VerdictDNSLost, Count: 1, Ongoing: true, FIDs: []string{"F1", "F3", "F4"}, Reason: []string{"without DNS since"}},
		},
		{
			name: "DHCPv6 refresh unanswered, then answered: DHCPv6 DNS has no lifetime, no outage",
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, ir(clientMAC, clientLL, 1)), at(1.01, reply(clientMAC, clientLL, 1, sid, cid, dns6(dnsServer)))}
				f = append(f, queries(t, 2, 9)...)
				f = append(f, at(10, ir(clientMAC, clientLL, 2)), at(11, ir(clientMAC, clientLL, 2)), at(13, ir(clientMAC, clientLL, 2)))
				f = append(f, at(17, ir(clientMAC, clientLL, 2)), at(17.01, reply(clientMAC, clientLL, 2, sid, cid, dns6(dnsServer))))
				return append(f, queries(t, 18, 20)...)
			},
			want: outageCase{Verdict: VerdictDNSOK},
		},
		{
			name: "DHCPv6 Reply without DNS, then a Reply with DNS: one outage, recovered",
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true})),
					at(1, ir(clientMAC, clientLL, 1)), at(1.01, reply(clientMAC, clientLL, 1, sid, cid, dns6(dnsServer)))}
				f = append(f, queries(t, 2, 9)...)
				f = append(f, at(10, ir(clientMAC, clientLL, 2)), at(10.01, reply(clientMAC, clientLL, 2, sid, cid)))
				f = append(f, at(20, ir(clientMAC, clientLL, 3)), at(20.01, reply(clientMAC, clientLL, 3, sid, cid, dns6(dnsServer))))
				return append(f, queries(t, 21, 25)...)
			},
			want: outageCase{Verdict: VerdictDNSLost, Recovered: true, Count: 1, Reason: []string{"with none"}},
		},
		{
			name: "queries only an IPv4 resolver, RAs without RDNSS: no-dns",
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.5, rs(t, clientMAC, clientLL)), at(0.6, ra(t, raSpec{lifetime: 1800 * time.Second}))}
				for s := 1.0; s < 10; s++ {
					f = append(f, at(s, query4(t, clientMAC, uint16(s), false)), at(s+0.01, query4(t, clientMAC, uint16(s), true)))
				}
				return f
			},
			want: outageCase{Verdict: VerdictNoDNS, Reason: []string{"IPv4", "IPv6-only network it would have no DNS"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(tt.frames(t), tt.end)
			c := clientOf(t, r, clientMAC)
			got := outageCase{Verdict: c.Verdict, Recovered: c.Recovered, Count: c.OutageStats.Count, Lapses: c.OutageStats.Lapses}
			for _, o := range c.Outages {
				got.Ongoing = got.Ongoing || o.End == nil
				for _, id := range o.FIDs {
					if !contains(got.FIDs, id) {
						got.FIDs = append(got.FIDs, id)
					}
				}
			}
			for _, s := range tt.want.Reason {
				if strings.Contains(c.Reason, s) {
					got.Reason = append(got.Reason, s)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\nreason: %s", diff, c.Reason)
			}
			checkOutages(t, r, c)
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// checkOutages asserts what must hold of every report: outages in order,
// none shorter than the grace, non-negative, inside the observation;
// dns-lost exactly when there is one; the summary counts them.
func checkOutages(t *testing.T, r *Report, c Client) {
	t.Helper()
	grace := time.Duration(r.OutageGraceSeconds * float64(time.Second))
	prev := time.Time{}
	for i, o := range c.Outages {
		end := r.End
		if o.End != nil {
			end = *o.End
		}
		if o.Start.Before(prev) || end.Before(o.Start) || end.After(r.End) {
			t.Errorf("outage %d: %v to %v out of order (previous end %v, report end %v)", i, o.Start, end, prev, r.End)
		}
		if o.End != nil && end.Sub(o.Start) < grace {
			t.Errorf("outage %d lasts %v, under the grace %v", i, end.Sub(o.Start), grace)
		}
		if o.Cause == "" {
			t.Errorf("outage %d has no cause", i)
		}
		prev = end
	}
	if (c.Verdict == VerdictDNSLost) != (c.OutageStats.Count > 0) {
		t.Errorf("verdict %s with %d outages", c.Verdict, c.OutageStats.Count)
	}
	if c.Recovered && c.Verdict != VerdictDNSLost {
		t.Errorf("recovered set on a %s verdict", c.Verdict)
	}
	if r.Summary.Outages < c.OutageStats.Count {
		t.Errorf("summary counts %d outages, the client alone has %d", r.Summary.Outages, c.OutageStats.Count)
	}
}

// query4 builds a DNS query from mac to 192.0.2.53 over IPv4, or the
// answer to it.
func query4(t *testing.T, mac wire.MAC, id uint16, response bool) []byte {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion("example.org.", dns.TypeA)
	m.Id = id
	m.Response = response
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	src, dst := [4]byte{192, 0, 2, 10}, [4]byte{192, 0, 2, 53}
	sport, dport := 40000+id, uint16(53)
	smac, dmac := mac, routerMAC
	if response {
		src, dst, sport, dport, smac, dmac = dst, src, dport, sport, routerMAC, mac
	}
	udp := binary.BigEndian.AppendUint16(nil, sport)
	udp = binary.BigEndian.AppendUint16(udp, dport)
	udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(b)))
	udp = append(append(udp, 0, 0), b...)
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
	ip = append(append(append(ip, src[:]...), dst[:]...), udp...)
	f := append(append([]byte{}, dmac[:]...), smac[:]...)
	return append(append(f, 8, 0), ip...)
}

func TestIPv4OnlyHost(t *testing.T) {
	var f []tf
	for s := 1.0; s < 5; s++ {
		f = append(f, at(s, query4(t, clientMAC, uint16(s), false)), at(s+0.01, query4(t, clientMAC, uint16(s), true)))
	}
	r := run(f, 0)
	if len(r.Clients) != 0 || r.Summary.DNSOK != 0 {
		t.Errorf("a host with no IPv6 is reported as an IPv6 client: %+v", r.Clients)
	}
	if len(r.IPv4OnlyHosts) != 1 || r.Summary.IPv4Only != 1 {
		t.Fatalf("IPv4-only hosts %+v, summary %d", r.IPv4OnlyHosts, r.Summary.IPv4Only)
	}
	h := r.IPv4OnlyHosts[0]
	if h.MAC != clientMAC.String() || len(h.IPv4DNS) != 1 || h.IPv4DNS[0].Queries != 4 || h.IPv4DNS[0].Answers != 4 {
		t.Errorf("IPv4-only host %+v", h)
	}
}

func TestIPv4DNSIsNoEvidence(t *testing.T) {
	f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.5, rs(t, clientMAC, clientLL)), at(0.6, ra(t, raSpec{lifetime: 1800 * time.Second}))}
	for s := 1.0; s < 5; s++ {
		f = append(f, at(s, query4(t, clientMAC, uint16(s), false)), at(s+0.01, query4(t, clientMAC, uint16(s), true)))
	}
	c := clientOf(t, run(f, 0), clientMAC)
	want := Readiness{IPv6DNSHeld: []string{}, IPv4DNSUsed: true,
		Summary: "NOT READY: resolves names only over IPv4; on an IPv6-only network it would have no DNS"}
	if diff := cmp.Diff(want, c.Readiness); diff != "" {
		t.Errorf("readiness (-want +got):\n%s", diff)
	}
	if len(c.IPv4DNS) != 1 || c.IPv4DNS[0].Server != "192.0.2.53" || len(c.DNSQueried) != 0 {
		t.Errorf("IPv4 DNS %+v, IPv6 DNS %+v", c.IPv4DNS, c.DNSQueried)
	}
}

func TestC9CountsEveryExpiry(t *testing.T) {
	r := run(cycles(t, 6, 25, 3*time.Second), 0)
	c := clientOf(t, r, clientMAC)
	var c9 []Finding
	for _, f := range c.Findings {
		if f.ID == "C9" {
			c9 = append(c9, f)
		}
	}
	if len(c9) != 1 || c9[0].Count != 4 {
		t.Fatalf("C9 findings %+v, want one with count 4", c9)
	}
	for _, e := range c9[0].Evidence {
		if e.Time.Before(t0) {
			t.Errorf("C9 evidence before the capture: %+v", e)
		}
	}
	if !strings.Contains(c9[0].Message, "3.0 s after the last RA") && !strings.Contains(c9[0].Message, "3 s after the last RA") {
		t.Errorf("C9 message %q: want the 3 s lifetime after the RA that carried it", c9[0].Message)
	}
}

func TestRouterLapseFinding(t *testing.T) {
	r := run(cycles(t, 4.05, 40, 4*time.Second), 0)
	var f5 *Finding
	for i, f := range r.Routers[0].Findings {
		if f.ID == "F5" {
			f5 = &r.Routers[0].Findings[i]
		}
	}
	if f5 == nil {
		t.Fatalf("no F5 router finding: %+v", r.Routers[0].Findings)
	}
	for _, s := range []string{"9 time(s)", "50 ms"} {
		if !strings.Contains(f5.Message, s) {
			t.Errorf("F5 message %q lacks %q", f5.Message, s)
		}
	}
}

func TestUnreachableServer(t *testing.T) {
	f := []tf{at(0, dad(t, clientMAC, clientLL)), at(0.1, rdnssRA(t, 1800*time.Second))}
	ns := &ndp.NeighborSolicitation{TargetAddress: dnsServer}
	for s := 1.0; s < 4; s++ {
		f = append(f, at(s, ip6(clientMAC, groupMAC(solicitedNode(dnsServer)), clientLL, solicitedNode(dnsServer), frametest.ProtoICMPv6, ndpMsg(t, ns), ip6opts{})))
	}
	c := clientOf(t, run(f, 6), clientMAC)
	if len(c.Unreachable) != 1 || c.Unreachable[0].Lookups != 3 || c.Unreachable[0].Server != dnsServer.String() {
		t.Fatalf("unreachable %+v", c.Unreachable)
	}
	if !strings.Contains(c.Reason, "unreachable") {
		t.Errorf("reason %q does not say the server is unreachable", c.Reason)
	}
}

// TestSimultaneousExpiryOrder has two RDNSS servers of one RA expire at
// the same instant: every run reports them in the same order (by
// address), not in map order, so that reports of one capture are equal.
func TestSimultaneousExpiryOrder(t *testing.T) {
	f := []tf{
		at(0, dad(t, clientMAC, clientLL)),
		at(0.1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(3*time.Second, dnsServer2, dnsServer)})),
		at(0.5, query(t, clientMAC, clientLL, dnsServer, 1)),
		at(0.51, answer(t, clientMAC, clientLL, dnsServer, 1)),
		at(10, dad(t, clientMAC, clientLL)),
	}
	want := run(f, 0)
	var expired []string
	for _, e := range clientOf(t, want, clientMAC).Timeline {
		if e.Kind == EventRDNSSExpired {
			expired = append(expired, e.Detail)
		}
	}
	order := []string{dnsServer.String(), dnsServer2.String()}
	if dnsServer2.Less(dnsServer) {
		order[0], order[1] = order[1], order[0]
	}
	if diff := cmp.Diff(order, expired); diff != "" {
		t.Errorf("expiry events (-want +got):\n%s", diff)
	}
	for range 20 {
		got := run(f, 0)
		got.GeneratedAt = want.GeneratedAt
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("a second analysis of the same frames differs (-first +again):\n%s", diff)
		}
	}
}
