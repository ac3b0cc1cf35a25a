package conformance

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/conformance/internal/frametest"
	"github.com/ralab/ralab/conformance/wire"
)

func TestChecks(t *testing.T) {
	rm, cm := routerMAC.String(), clientMAC.String()
	sid := opt6(wire.Opt6ServerID, duidLL(routerMAC)...)
	cid := opt6(wire.Opt6ClientID, duidLL(clientMAC)...)
	good := func(t *testing.T, s float64) tf {
		return at(s, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)}))
	}
	dhcp4 := func(op, typ uint8, opts ...byte) []byte {
		b := make([]byte, 240)
		b[0] = op
		copy(b[28:], clientMAC[:])
		copy(b[236:], []byte{99, 130, 83, 99})
		b = append(append(b, 53, 1, typ), opts...)
		b = append(b, 255)
		src, dst := clientMAC, wire.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		sp, dp := uint16(68), uint16(67)
		if op == 2 {
			src, dst, sp, dp = routerMAC, clientMAC, 67, 68
		}
		udp := append([]byte{byte(sp >> 8), byte(sp), byte(dp >> 8), byte(dp), byte((8 + len(b)) >> 8), byte(8 + len(b)), 0, 0}, b...)
		tot := 20 + len(udp)
		ip := []byte{0x45, 0, byte(tot >> 8), byte(tot), 0, 0, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255}
		return append(append(append(append([]byte{}, dst[:]...), src[:]...), 8, 0), append(ip, udp...)...)
	}
	tests := []struct {
		name   string
		ids    []string
		frames func(t *testing.T) []tf
		end    float64
		want   []string
	}{
		{
			name: "R1 hop limit and source",
			ids:  []string{"R1"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, opts: ip6opts{hop: 64}})),
					at(10, ra(t, raSpec{lifetime: 1800 * time.Second, src: dnsServer})),
				}
			},
			want: []string{"R1 error " + rm, "R1 error " + rm},
		},
		{
			name: "R2 multicast RAs too close",
			ids:  []string{"R2"},
			frames: func(t *testing.T) []tf {
				return []tf{good(t, 0), good(t, 1)}
			},
			want: []string{"R2 warning " + rm},
		},
		{
			name: "R2 initial RAs 20 s apart after the router started",
			ids:  []string{"R2"},
			frames: func(t *testing.T) []tf {
				// Silent for 40 s, longer than any later interval (20 s):
				// the router started during the capture.
				f := []tf{at(0, dad(t, clientMAC, clientLL))}
				for _, s := range []float64{40, 60, 80, 100, 120} {
					f = append(f, good(t, s))
				}
				return f
			},
			want: []string{"R2 warning " + rm},
		},
		{
			name: "R2 initial RAs within 16 s",
			ids:  []string{"R2"},
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL))}
				for _, s := range []float64{40, 50, 60, 80, 100} {
					f = append(f, good(t, s))
				}
				return f
			},
		},
		{
			name: "R2 router already running is not judged on its first RAs seen",
			ids:  []string{"R2"},
			frames: func(t *testing.T) []tf {
				f := []tf{at(0, dad(t, clientMAC, clientLL))}
				for _, s := range []float64{10, 30, 50, 70, 90} {
					f = append(f, good(t, s))
				}
				return f
			},
		},
		{
			name: "C10 RA-learned server queried first while DHCPv6 gave one",
			ids:  []string{"C10"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), good(t, 1),
					at(2, ir(clientMAC, clientLL, 4)), at(2.01, reply(clientMAC, clientLL, 4, sid, cid, dns6(dnsServer2))),
					at(3, query(t, clientMAC, clientLL, dnsServer, 1)),
				}
			},
			want: []string{"C10 info " + cm},
		},
		{
			name: "C10 DHCPv6-learned server first",
			ids:  []string{"C10"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), good(t, 1),
					at(2, ir(clientMAC, clientLL, 4)), at(2.01, reply(clientMAC, clientLL, 4, sid, cid, dns6(dnsServer2))),
					at(3, query(t, clientMAC, clientLL, dnsServer2, 1)), at(4, query(t, clientMAC, clientLL, dnsServer, 2)),
				}
			},
		},
		{
			name: "C10 fourth server queried: keeps more than three",
			ids:  []string{"C10"},
			frames: func(t *testing.T) []tf {
				s3, s4 := netip.MustParseAddr("2001:db8::55"), netip.MustParseAddr("2001:db8::56")
				return []tf{
					at(0, dad(t, clientMAC, clientLL)),
					at(1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer, dnsServer2, s3, s4)})),
					at(3, query(t, clientMAC, clientLL, s4, 1)),
				}
			},
			want: []string{"C10 info " + cm},
		},
		{
			name: "C7 queries unanswered",
			ids:  []string{"C7"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), good(t, 1),
					at(2, query(t, clientMAC, clientLL, dnsServer, 1)), at(7, query(t, clientMAC, clientLL, dnsServer, 2)),
				}
			},
			want: []string{"C7 warning " + cm},
		},
		{
			name: "C7 one query just sent is not yet unanswered",
			ids:  []string{"C7"},
			frames: func(t *testing.T) []tf {
				return []tf{at(0, dad(t, clientMAC, clientLL)), good(t, 1), at(2, query(t, clientMAC, clientLL, dnsServer, 1))}
			},
		},
		{
			name: "R3 late answer, N3 none",
			ids:  []string{"R3", "N3"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, rs(t, clientMAC, clientLL)), good(t, 2),
					at(100, rs(t, clientMAC, clientLL)),
				}
			},
			end:  120,
			want: []string{"R3 info " + rm, "N3 warning " + cm},
		},
		{
			name: "R4/F8 short router lifetime, F7 lifetime 0 with RDNSS",
			ids:  []string{"R4", "F7", "F8"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 120 * time.Second, rdnss: rdnss(600*time.Second, dnsServer)})),
					at(10, ra(t, raSpec{lifetime: 0, rdnss: rdnss(600*time.Second, dnsServer)})),
				}
			},
			want: []string{"F8 warning " + rm, "F7 warning " + rm},
		},
		{
			name: "R5 short lifetime and against the RA interval, N2 gap",
			ids:  []string{"R5", "N2"},
			frames: func(t *testing.T) []tf {
				l := rdnss(100*time.Second, dnsServer)
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: l})),
					at(60, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: l})),
					at(200, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: l})),
				}
			},
			want: []string{"R5 warning " + rm, "R5 warning " + rm, "N2 error " + rm},
		},
		{
			name: "R7 PREF64 shorter than router lifetime, R8 fragmented, R10 http portal, R11 no DNS",
			ids:  []string{"R7", "R8", "R10", "R11"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer),
						extra: []ndp.Option{&ndp.PREF64{Lifetime: 600 * time.Second, Prefix: netip96}}})),
					at(10, ra(t, raSpec{lifetime: 1800 * time.Second, opts: ip6opts{fragment: true}})),
					at(20, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer),
						extra: []ndp.Option{mustPortal(t, "http://portal.example/api")}})),
				}
			},
			want: []string{"R7 warning " + rm, "R11 warning " + rm, "R8 error " + rm, "R10 warning " + rm},
		},
		{
			name: "R9 routers disagree",
			ids:  []string{"R9"},
			frames: func(t *testing.T) []tf {
				return []tf{
					good(t, 0),
					at(1, ra(t, raSpec{from: router2MAC, src: router2LL, lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer2)})),
				}
			},
			want: []string{"R9 warning link"},
		},
		{
			name: "C1 RS from :: with SLLA and RSs too close",
			ids:  []string{"C1"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, rs(t, clientMAC, unspec, &ndp.LinkLayerAddress{Direction: ndp.Source, Addr: hw(clientMAC)})),
					at(1, rs(t, clientMAC, clientLL)),
				}
			},
			want: []string{"C1 error " + cm, "C1 warning " + cm},
		},
		{
			name: "C2 DAD to the wrong group",
			ids:  []string{"C2"},
			frames: func(t *testing.T) []tf {
				b := ip6(clientMAC, groupMAC(allNodes), unspec, allNodes, frametest.ProtoICMPv6, ndpMsg(t, &ndp.NeighborSolicitation{TargetAddress: clientLL}), ip6opts{})
				return []tf{at(0, b)}
			},
			want: []string{"C2 error " + cm},
		},
		{
			name: "C3 Information-Request without O, late",
			ids:  []string{"C3"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(5, ir(clientMAC, clientLL, 1)), at(5.1, reply(clientMAC, clientLL, 1, sid, cid, dns6(dnsServer))),
				}
			},
			want: []string{"C3 info " + cm},
		},
		{
			name: "C4 Information-Request format",
			ids:  []string{"C4"},
			frames: func(t *testing.T) []tf {
				ia := opt6(wire.Opt6IANA, make([]byte, 12)...)
				return []tf{at(0, ir(clientMAC, clientLL, 1, ia)), at(0.1, reply(clientMAC, clientLL, 1, sid))}
			},
			want: []string{"C4 error " + cm, "C4 error " + cm, "C4 error " + cm, "C4 warning " + cm},
		},
		{
			name: "C5 retransmission with a new transaction id, and backoff",
			ids:  []string{"C5"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ir(clientMAC, clientLL, 1)), at(3, ir(clientMAC, clientLL, 1)), at(4, ir(clientMAC, clientLL, 1)),
					at(6, ir(clientMAC, clientLL, 2)),
				}
			},
			want: []string{"C5 warning " + cm, "C5 info " + cm, "C5 info " + cm, "C5 warning " + cm},
		},
		{
			name: "C6 no refresh after the refresh time",
			ids:  []string{"C6"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ir(clientMAC, clientLL, 1)), at(0.1, reply(clientMAC, clientLL, 1, sid, cid, dns6(dnsServer), opt6(wire.Opt6IRT, 0, 0, 0x02, 0x58))),
					at(1000, query(t, clientMAC, clientLL, dnsServer, 1)),
				}
			},
			want: []string{"C6 warning " + cm},
		},
		{
			name: "C8 stale use, C9 no RS before expiry",
			ids:  []string{"C8", "C9"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)),
					at(1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(60*time.Second, dnsServer)})),
					at(100, query(t, clientMAC, clientLL, dnsServer, 1)),
				}
			},
			want: []string{"C9 warning " + cm, "C8 warning " + cm},
		},
		{
			name: "C11 RFC 7050 discovery despite PREF64, fragmented NS",
			ids:  []string{"C11", wire.CheckDecode},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)),
					at(1, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer),
						extra: []ndp.Option{&ndp.PREF64{Lifetime: 1800 * time.Second, Prefix: netip96}}})),
					at(2, queryName(t, clientMAC, clientLL, dnsServer, 1, "ipv4only.arpa.")),
					at(3, ip6(clientMAC, groupMAC(allNodes), clientLL, allNodes, frametest.ProtoICMPv6, ndpMsg(t, &ndp.NeighborSolicitation{TargetAddress: routerLL}), ip6opts{fragment: true})),
				}
			},
			want: []string{"C11 info " + cm, wire.CheckDecode + " error " + cm},
		},
		{
			name: "C12 DHCPv4 after option 108",
			ids:  []string{"C12"},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dhcp4(1, wire.DHCPv4Discover, 55, 2, 1, 108)),
					at(0.1, dhcp4(2, wire.DHCPv4Offer, 108, 4, 0, 0, 0x07, 0x08)),
					at(1, dhcp4(1, wire.DHCPv4Request, 55, 2, 1, 108)),
				}
			},
			want: []string{"C12 warning " + cm},
		},
		{
			name: "N1 Reply without Server ID or echoed Client ID, and no DNS",
			ids:  []string{"N1"},
			frames: func(t *testing.T) []tf {
				return []tf{at(0, ir(clientMAC, clientLL, 1)), at(0.1, reply(clientMAC, clientLL, 1))}
			},
			want: []string{"N1 error " + cm, "N1 error " + cm, "N1 warning " + cm},
		},
		{
			name: "N1 unanswered",
			ids:  []string{"N1"},
			frames: func(t *testing.T) []tf {
				return []tf{at(0, ir(clientMAC, clientLL, 1)), at(1, ir(clientMAC, clientLL, 1))}
			},
			want: []string{"N1 error " + cm},
		},
		{
			name: "clean exchange has no findings",
			ids:  []string{"R1", "R2", "R3", "R4", "R5", "R8", "R11", "C1", "C2", "C3", "C4", "C5", "C8", "C9", "N1", "N2", "N3", wire.CheckDecode},
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(0.5, rs(t, clientMAC, clientLL)), good(t, 0.7),
					at(1.2, ir(clientMAC, clientLL, 1)), at(1.21, reply(clientMAC, clientLL, 1, sid, cid, dns6(dnsServer))),
					at(2, query(t, clientMAC, clientLL, dnsServer, 1)), at(2.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
					good(t, 600), good(t, 1200),
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(tt.frames(t), tt.end)
			got := findingIDs(r, tt.ids...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
				for _, s := range allMessages(r) {
					t.Log(s)
				}
			}
		})
	}
}

var netip96 = mustPrefix("64:ff9b::/96")

func mustPortal(t *testing.T, uri string) ndp.Option {
	t.Helper()
	o, err := ndp.NewCaptivePortal(uri)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// allMessages lists every finding for test logs.
func allMessages(r *Report) []string {
	var out []string
	add := func(fs []Finding) {
		for _, f := range fs {
			out = append(out, f.ID+" "+f.Severity+": "+f.Message)
		}
	}
	add(r.Findings)
	for _, rt := range r.Routers {
		add(rt.Findings)
	}
	for _, c := range r.Clients {
		add(c.Findings)
	}
	return out
}

func TestChecked(t *testing.T) {
	sid := opt6(wire.Opt6ServerID, duidLL(routerMAC)...)
	cid := opt6(wire.Opt6ClientID, duidLL(clientMAC)...)
	tests := []struct {
		name        string
		frames      func(t *testing.T) []tf
		client, rtr []string
	}{
		{
			name: "RS, RA, Information-Request, Reply, query",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, dad(t, clientMAC, clientLL)), at(1, rs(t, clientMAC, clientLL)),
					at(1.1, ra(t, raSpec{lifetime: 1800 * time.Second, o: true, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(2, ir(clientMAC, clientLL, 4)), at(2.01, reply(clientMAC, clientLL, 4, sid, cid, dns6(dnsServer))),
					at(3, query(t, clientMAC, clientLL, dnsServer, 1)), at(3.01, answer(t, clientMAC, clientLL, dnsServer, 1)),
				}
			},
			client: []string{"C1", "C2", "C3", "C4", "C7", "C8", "N1", "N3"},
			rtr:    []string{"R1", "R3", "R4", "R5", "R8", "R11"},
		},
		{
			name: "DAD only, two RAs",
			frames: func(t *testing.T) []tf {
				return []tf{
					at(0, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
					at(1, dad(t, clientMAC, clientLL)),
					at(10, ra(t, raSpec{lifetime: 1800 * time.Second, rdnss: rdnss(1800*time.Second, dnsServer)})),
				}
			},
			client: []string{"C2"},
			rtr:    []string{"N2", "R1", "R2", "R4", "R5", "R8", "R11"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(tt.frames(t), 0)
			c := clientOf(t, r, clientMAC)
			if diff := cmp.Diff(tt.client, c.Checked); diff != "" {
				t.Errorf("client checked (-want +got):\n%s", diff)
			}
			if len(r.Routers) != 1 {
				t.Fatalf("want one router, got %d", len(r.Routers))
			}
			if diff := cmp.Diff(tt.rtr, r.Routers[0].Checked); diff != "" {
				t.Errorf("router checked (-want +got):\n%s", diff)
			}
		})
	}
}
