package dhcpv6

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/ralab/ralab/internal/config"
)

var (
	cid = hex.EncodeToString(clientDUID)
	sid = hex.EncodeToString(serverDUID)
)

func TestInformationRequestReply(t *testing.T) {
	all := []uint16{optDNSServers, optDomainList, optInfoRefresh, optNTPServer, optSolMaxRT, optInfMaxRT, optCaptivePortal}
	dns := []string{"2001:db8::53", "2001:db8::54"}
	domains := []string{"lab.example", "example.org"}
	tests := []struct {
		name string
		ifc  func(*config.Interface)
		msg  []byte
		want summary
	}{
		{
			name: "no ORO, include-dns: DNS and domains anyway",
			msg:  msg(InformationRequest, opt(optClientID, clientDUID...), opt(optElapsedTime, 0, 0)),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid,
				Codes: []uint16{1, 2, 23, 24}, DNS: dns, Domains: domains},
		},
		{
			name: "no ORO, strict: identifiers only",
			ifc:  func(i *config.Interface) { i.DHCPv6.OptionPolicy = config.PolicyStrict },
			msg:  msg(InformationRequest, opt(optClientID, clientDUID...)),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2}},
		},
		{
			name: "ORO 23, strict",
			ifc:  func(i *config.Interface) { i.DHCPv6.OptionPolicy = config.PolicyStrict },
			msg:  msg(InformationRequest, opt(optClientID, clientDUID...), oro(23)),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 23}, DNS: dns},
		},
		{
			name: "ORO 32, strict: refresh time only",
			ifc:  func(i *config.Interface) { i.DHCPv6.OptionPolicy = config.PolicyStrict },
			msg:  msg(InformationRequest, opt(optClientID, clientDUID...), oro(32)),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 32}, IRT: 3600},
		},
		{
			name: "ORO 32, include-dns: refresh time plus DNS",
			msg:  msg(InformationRequest, opt(optClientID, clientDUID...), oro(32)),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 23, 24, 32},
				DNS: dns, Domains: domains, IRT: 3600},
		},
		{
			name: "every option, reversed ORO, answered in code order",
			msg:  msg(InformationRequest, opt(optClientID, clientDUID...), oro(103, 83, 82, 56, 32, 24, 23)),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: append([]uint16{1, 2}, all...),
				DNS: dns, Domains: domains, IRT: 3600, NTP: []string{"2001:db8::123"}, SolMaxRT: 3600, InfMaxRT: 7200,
				Portal: "https://portal.example/api"},
		},
		{
			name: "dhclient ORO 23 24 39 31: unknown codes ignored",
			msg:  msg(InformationRequest, opt(optClientID, clientDUID...), oro(23, 24, 39, 31)),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 23, 24}, DNS: dns, Domains: domains},
		},
		{
			name: "no Client ID is valid and answered without one",
			msg:  msg(InformationRequest, oro(23)),
			want: summary{Type: "reply", XID: "abcdef", ServerID: sid, Codes: []uint16{2, 23, 24}, DNS: dns, Domains: domains},
		},
		{
			name: "our own Server ID",
			msg:  msg(InformationRequest, opt(optClientID, clientDUID...), opt(optServerID, serverDUID...)),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 23, 24}, DNS: dns, Domains: domains},
		},
		{
			name: "nothing configured: no empty options",
			ifc: func(i *config.Interface) {
				i.DHCPv6 = config.DHCPv6{Enabled: true}
			},
			msg:  msg(InformationRequest, opt(optClientID, clientDUID...), oro(all...)),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2}},
		},
		{
			name: "refresh time below IRT_MINIMUM sent as configured (lab_override)",
			ifc:  func(i *config.Interface) { i.DHCPv6.InformationRefreshTime = 5 * time.Second },
			msg:  msg(InformationRequest, oro(32)),
			want: summary{Type: "reply", XID: "abcdef", ServerID: sid, Codes: []uint16{2, 23, 24, 32}, DNS: dns, Domains: domains, IRT: 5},
		},
		{
			name: "infinite refresh time",
			ifc:  func(i *config.Interface) { i.DHCPv6.InformationRefreshTime = config.Infinite },
			msg:  msg(InformationRequest, oro(32)),
			want: summary{Type: "reply", XID: "abcdef", ServerID: sid, Codes: []uint16{2, 23, 24, 32}, DNS: dns, Domains: domains, IRT: 0xffffffff},
		},
		{
			name: "SOL_MAX_RT and INF_MAX_RT outside 60..86400 sent as configured (lab_override)",
			ifc: func(i *config.Interface) {
				i.DHCPv6.SolMaxRT = time.Second
				i.DHCPv6.InfMaxRT = 100 * time.Hour
			},
			msg:  msg(InformationRequest, oro(82, 83)),
			want: summary{Type: "reply", XID: "abcdef", ServerID: sid, Codes: []uint16{2, 23, 24, 82, 83}, DNS: dns, Domains: domains, SolMaxRT: 1, InfMaxRT: 360000},
		},
		{
			name: "unknown options in the request are ignored",
			msg:  msg(InformationRequest, opt(16, 0, 0, 0, 9), opt(optClientID, clientDUID...), opt(999)),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 23, 24}, DNS: dns, Domains: domains},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ifc := testIfc()
			if tt.ifc != nil {
				tt.ifc(&ifc)
			}
			h, m := newTestHandler(t, ifc)
			reply, to, err := h.Handle(tt.msg, clientAddr, multicast, t0)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if to != clientAddr {
				t.Errorf("reply goes to %s, want %s", to, clientAddr)
			}
			if diff := cmp.Diff(tt.want, summarize(t, reply)); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
			if got := testutil.ToFloat64(m.messagesReceived.WithLabelValues("eth0", "information-request")); got != 1 {
				t.Errorf("received counter = %v, want 1", got)
			}
		})
	}
}

func TestStatefulMessages(t *testing.T) {
	withIDs := func(t MessageType, opts ...[]byte) []byte {
		return msg(t, append([][]byte{opt(optClientID, clientDUID...), opt(optServerID, serverDUID...)}, opts...)...)
	}
	dns := []string{"2001:db8::53", "2001:db8::54"}
	domains := []string{"lab.example", "example.org"}
	tests := []struct {
		name string
		msg  []byte
		want summary
	}{
		{
			name: "Solicit without IA: top-level NoAddrsAvail",
			msg:  msg(Solicit, opt(optClientID, clientDUID...), oro(82)),
			want: summary{Type: "advertise", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 13, 23, 24, 82},
				Status: "NoAddrsAvail", DNS: dns, Domains: domains, SolMaxRT: 3600},
		},
		{
			name: "Solicit with IA_NA, IA_TA, IA_PD: status inside each, no refresh time",
			msg:  msg(Solicit, opt(optClientID, clientDUID...), iaNA(), iaTA(), iaPD(), oro(32, 82)),
			want: summary{Type: "advertise", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 3, 4, 25, 23, 24, 82},
				IAs: []string{
					"0003/000000010000000000000000/NoAddrsAvail",
					"0004/00000002/NoAddrsAvail",
					"0019/000000030000000000000000/NoPrefixAvail",
				}, DNS: dns, Domains: domains, SolMaxRT: 3600},
		},
		{
			name: "Request: NoAddrsAvail and NoPrefixAvail in the IAs",
			msg:  withIDs(Request, iaNA(), iaPD()),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 3, 25, 23, 24},
				IAs: []string{"0003/000000010000000000000000/NoAddrsAvail", "0019/000000030000000000000000/NoPrefixAvail"},
				DNS: dns, Domains: domains},
		},
		{
			name: "Renew: NoBinding in each IA",
			msg:  withIDs(Renew, iaNA(), iaPD()),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 3, 25, 23, 24},
				IAs: []string{"0003/000000010000000000000000/NoBinding", "0019/000000030000000000000000/NoBinding"},
				DNS: dns, Domains: domains},
		},
		{
			name: "Release: Success and NoBinding per IA, no configuration",
			msg:  withIDs(Release, iaNA()),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 13, 3},
				Status: "Success", IAs: []string{"0003/000000010000000000000000/NoBinding"}},
		},
		{
			name: "Decline: Success and NoBinding per IA",
			msg:  withIDs(Decline, iaTA()),
			want: summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 13, 4},
				Status: "Success", IAs: []string{"0004/00000002/NoBinding"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newTestHandler(t, testIfc())
			reply, _, err := h.Handle(tt.msg, clientAddr, multicast, t0)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if diff := cmp.Diff(tt.want, summarize(t, reply)); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiscards(t *testing.T) {
	cl := opt(optClientID, clientDUID...)
	ours := opt(optServerID, serverDUID...)
	other := opt(optServerID, otherDUID...)
	unicast := netip.MustParseAddr("fe80::1")
	type tc struct {
		name   string
		ifc    func(*config.Interface)
		msg    []byte
		src    netip.AddrPort
		dst    netip.Addr
		reason *DiscardError
	}
	tests := []tc{
		{name: "empty datagram", msg: []byte{}, reason: ErrDiscardMalformed},
		{name: "short header", msg: []byte{11, 1, 2}, reason: ErrDiscardMalformed},
		{name: "truncated option header", msg: msg(InformationRequest, []byte{0, 23}), reason: ErrDiscardMalformed},
		{name: "option longer than message", msg: msg(InformationRequest, []byte{0, 23, 0, 32, 1, 2}), reason: ErrDiscardMalformed},
		{name: "ORO of odd length", msg: msg(InformationRequest, opt(optORO, 0, 23, 0)), reason: ErrDiscardMalformed},
		{name: "elapsed time of 3 bytes", msg: msg(InformationRequest, opt(optElapsedTime, 0, 0, 0)), reason: ErrDiscardMalformed},
		{name: "client id too short", msg: msg(InformationRequest, opt(optClientID, 0, 3)), reason: ErrDiscardMalformed},
		{name: "client id too long", msg: msg(InformationRequest, opt(optClientID, make([]byte, 131)...)), reason: ErrDiscardMalformed},
		{name: "DUID-UUID of wrong length", msg: msg(InformationRequest, opt(optClientID, 0, 4, 1, 2, 3)), reason: ErrDiscardMalformed},
		{name: "DUID-LLT truncated", msg: msg(InformationRequest, opt(optClientID, 0, 1, 0, 1, 0)), reason: ErrDiscardMalformed},
		{name: "two client ids", msg: msg(InformationRequest, cl, cl), reason: ErrDiscardMalformed},
		{name: "IA_NA truncated", msg: msg(Solicit, cl, opt(optIANA, 0, 0, 0, 1)), reason: ErrDiscardMalformed},
		{name: "IA_PD with broken sub-option", msg: msg(Solicit, cl, opt(optIAPD, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 26, 0, 99)), reason: ErrDiscardMalformed},
		{name: "unspecified source", msg: msg(InformationRequest), src: netip.MustParseAddrPort("[::]:546"), reason: ErrDiscardMalformed},

		{name: "Advertise", msg: msg(Advertise, cl, ours), reason: ErrDiscardNotForServer},
		{name: "Reply", msg: msg(Reply, cl, ours), reason: ErrDiscardNotForServer},
		{name: "Reconfigure", msg: msg(Reconfigure, cl, ours), reason: ErrDiscardNotForServer},
		{name: "Relay-reply", msg: cat([]byte{byte(RelayReply), 0}, make([]byte, 32)), reason: ErrDiscardNotForServer},
		{name: "type 0", msg: msg(0), reason: ErrDiscardNotForServer},
		{name: "type 200", msg: msg(200), reason: ErrDiscardNotForServer},

		{name: "Information-Request with IA_NA", msg: msg(InformationRequest, cl, iaNA()), reason: ErrDiscardIAInInformationRequest},
		{name: "Information-Request with IA_TA", msg: msg(InformationRequest, cl, iaTA()), reason: ErrDiscardIAInInformationRequest},
		{name: "Information-Request with IA_PD", msg: msg(InformationRequest, cl, iaPD()), reason: ErrDiscardIAInInformationRequest},
		{name: "Information-Request for another server", msg: msg(InformationRequest, cl, other), reason: ErrDiscardOtherServer},
		{name: "Information-Request to unicast", msg: msg(InformationRequest, cl), dst: unicast, reason: ErrDiscardUnicast},

		{name: "Solicit without client id", msg: msg(Solicit, iaNA()), reason: ErrDiscardNoClientID},
		{name: "Solicit with server id", msg: msg(Solicit, cl, ours), reason: ErrDiscardServerIDPresent},
		{name: "Solicit to unicast", msg: msg(Solicit, cl), dst: unicast, reason: ErrDiscardUnicast},
		{name: "Solicit under ignore policy", msg: msg(Solicit, cl), reason: ErrDiscardSolicitIgnored,
			ifc: func(i *config.Interface) { i.DHCPv6.Solicit = config.SolicitIgnore }},

		{name: "Confirm", msg: msg(Confirm, cl, iaNA()), reason: ErrDiscardConfirm},
		{name: "Confirm without client id", msg: msg(Confirm, iaNA()), reason: ErrDiscardNoClientID},
		{name: "Confirm with server id", msg: msg(Confirm, cl, ours), reason: ErrDiscardServerIDPresent},
		{name: "Confirm to unicast", msg: msg(Confirm, cl), dst: unicast, reason: ErrDiscardUnicast},
		{name: "Rebind", msg: msg(Rebind, cl, iaNA()), reason: ErrDiscardRebind},
		{name: "Rebind without client id", msg: msg(Rebind, iaNA()), reason: ErrDiscardNoClientID},
		{name: "Rebind with server id", msg: msg(Rebind, cl, ours), reason: ErrDiscardServerIDPresent},
		{name: "Rebind to unicast", msg: msg(Rebind, cl), dst: unicast, reason: ErrDiscardUnicast},

		{name: "relay-forward truncated", msg: []byte{byte(RelayForward), 0, 1, 2}, reason: ErrDiscardMalformed},
		{name: "relay-forward without relay message", msg: cat([]byte{byte(RelayForward), 0}, make([]byte, 32)), reason: ErrDiscardMalformed},
		{name: "relay-forward with empty relay message", msg: relay(0, "fe80::1", nil), reason: ErrDiscardMalformed},
		{name: "relay-forward with two relay messages", msg: relay(0, "fe80::1", msg(InformationRequest), opt(optRelayMsg, msg(InformationRequest)...)), reason: ErrDiscardMalformed},
		{name: "relayed Reply", msg: relay(0, "fe80::1", msg(Reply, cl)), reason: ErrDiscardNotForServer},
		{name: "relayed Information-Request with IA", msg: relay(0, "fe80::1", msg(InformationRequest, cl, iaNA())), reason: ErrDiscardIAInInformationRequest},
	}
	deep := msg(InformationRequest, cl)
	for i := 0; i <= hopCountLimit+1; i++ {
		deep = relay(uint8(i), "fe80::1", deep)
	}
	tests = append(tests, tc{name: "ten nested relays", msg: deep, reason: ErrDiscardRelayDepth})
	for _, typ := range []MessageType{Request, Renew, Decline, Release} {
		tests = append(tests,
			tc{name: typ.String() + " without server id", msg: msg(typ, cl, iaNA()), reason: ErrDiscardNoServerID},
			tc{name: typ.String() + " for another server", msg: msg(typ, cl, other, iaNA()), reason: ErrDiscardOtherServer},
			tc{name: typ.String() + " without client id", msg: msg(typ, ours, iaNA()), reason: ErrDiscardNoClientID},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ifc := testIfc()
			if tt.ifc != nil {
				tt.ifc(&ifc)
			}
			h, m := newTestHandler(t, ifc)
			src := clientAddr
			if tt.src.IsValid() {
				src = tt.src
			}
			dst := multicast
			if tt.dst.IsValid() {
				dst = tt.dst
			}
			reply, _, err := h.Handle(tt.msg, src, dst, t0)
			if !errors.Is(err, tt.reason) {
				t.Fatalf("Handle = %x, %v; want discard %q", reply, err, tt.reason.Reason)
			}
			if reply != nil {
				t.Errorf("discard returned a reply %x", reply)
			}
			if got := testutil.ToFloat64(m.discards.WithLabelValues("eth0", tt.reason.Reason)); got != 1 {
				t.Errorf("discards{reason=%q} = %v, want 1", tt.reason.Reason, got)
			}
		})
	}
}

func TestRelay(t *testing.T) {
	relaySrc := netip.MustParseAddrPort("[2001:db8:1::1]:547")
	inner := msg(InformationRequest, opt(optClientID, clientDUID...), oro(23))
	oneLevel := relay(0, "fe80::ff:fe00:201", inner, opt(optInterfaceID, 'e', 't', 'h', '1'))
	tests := []struct {
		name   string
		msg    []byte
		src    netip.AddrPort
		wantTo netip.AddrPort
		depth  int
	}{
		{name: "one relay with Interface-ID", msg: oneLevel, src: relaySrc, wantTo: relaySrc, depth: 1},
		{name: "relay from a high port answered on 547", msg: oneLevel, src: netip.MustParseAddrPort("[2001:db8:1::1]:40000"),
			wantTo: relaySrc, depth: 1},
		{name: "relay source port option: answered on the source port",
			msg: relay(0, "fe80::ff:fe00:201", inner, opt(optRelaySourcePrt, 0x9c, 0x40)),
			src: netip.MustParseAddrPort("[2001:db8:1::1]:40000"), wantTo: netip.MustParseAddrPort("[2001:db8:1::1]:40000"), depth: 1},
		{name: "two relays", msg: relay(1, "2001:db8:2::1", oneLevel, opt(optInterfaceID, 'u', 'p')), src: relaySrc, wantTo: relaySrc, depth: 2},
	}
	nine := inner
	for i := 0; i <= hopCountLimit; i++ {
		nine = relay(uint8(i), "fe80::1", nine)
	}
	tests = append(tests, struct {
		name   string
		msg    []byte
		src    netip.AddrPort
		wantTo netip.AddrPort
		depth  int
	}{name: "nine relays (HOP_COUNT_LIMIT+1)", msg: nine, src: relaySrc, wantTo: relaySrc, depth: 9})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newTestHandler(t, testIfc())
			reply, to, err := h.Handle(tt.msg, tt.src, netip.Addr{}, t0)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if to != tt.wantTo {
				t.Errorf("reply to %s, want %s", to, tt.wantTo)
			}
			// Walk request and reply layers together: every Relay-reply
			// copies hop count, link and peer address and Interface-ID.
			req, rep := tt.msg, reply
			for depth := 0; depth < tt.depth; depth++ {
				if MessageType(rep[0]) != RelayReply {
					t.Fatalf("layer %d: type %d, want relay-reply", depth, rep[0])
				}
				rq, err := parseRelayMsg(req)
				if err != nil {
					t.Fatal(err)
				}
				rp, err := parseRelayMsg(append([]byte{byte(RelayForward)}, rep[1:]...))
				if err != nil {
					t.Fatalf("layer %d: %v", depth, err)
				}
				type layer struct {
					Hop         uint8
					Link, Peer  [16]byte
					InterfaceID []byte
				}
				want := layer{rq.hopCount, rq.linkAddr, rq.peerAddr, rq.interfaceID}
				got := layer{rp.hopCount, rp.linkAddr, rp.peerAddr, rp.interfaceID}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("layer %d (-want +got):\n%s", depth, diff)
				}
				req, rep = rq.inner, rp.inner
			}
			want := summary{Type: "reply", XID: "abcdef", ClientID: cid, ServerID: sid, Codes: []uint16{1, 2, 23, 24},
				DNS: []string{"2001:db8::53", "2001:db8::54"}, Domains: []string{"lab.example", "example.org"}}
			if diff := cmp.Diff(want, summarize(t, rep)); diff != "" {
				t.Errorf("inner reply (-want +got):\n%s", diff)
			}
			if _, err := dhcpv6.FromBytes(reply); err != nil {
				t.Errorf("insomniacslk/dhcp cannot parse the relay-reply: %v", err)
			}
			if got := innerType(reply); got != Reply {
				t.Errorf("innerType = %v, want reply", got)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	ifc := testIfc()
	ifc.DHCPv6.RatePerClient = 1
	ifc.DHCPv6.BurstPerClient = 3
	h, m := newTestHandler(t, ifc)
	req := msg(InformationRequest, opt(optClientID, clientDUID...))
	other := netip.MustParseAddrPort("[fe80::2]:546")
	var got []bool
	for i := 0; i < 5; i++ {
		_, _, err := h.Handle(req, clientAddr, multicast, t0)
		got = append(got, err == nil)
	}
	// Another client is unaffected; one second later one token is back.
	_, _, err := h.Handle(req, other, multicast, t0)
	got = append(got, err == nil)
	_, _, err = h.Handle(req, clientAddr, multicast, t0.Add(time.Second))
	got = append(got, err == nil)
	_, _, err = h.Handle(req, clientAddr, multicast, t0.Add(time.Second))
	got = append(got, err == nil)
	want := []bool{true, true, true, false, false, true, true, false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answered (-want +got):\n%s", diff)
	}
	if got := testutil.ToFloat64(m.rateLimited.WithLabelValues("eth0", "client")); got != 3 {
		t.Errorf("rate_limited{scope=client} = %v, want 3", got)
	}
	if got := testutil.ToFloat64(m.discards.WithLabelValues("eth0", "rate-limited")); got != 3 {
		t.Errorf("discards{reason=rate-limited} = %v, want 3", got)
	}
}

func TestRateLimitRelayedKeyedByPeer(t *testing.T) {
	ifc := testIfc()
	ifc.DHCPv6.RatePerClient = 1
	ifc.DHCPv6.BurstPerClient = 1
	h, _ := newTestHandler(t, ifc)
	src := netip.MustParseAddrPort("[2001:db8:1::1]:547")
	inner := msg(InformationRequest)
	for i, peer := range []string{"fe80::1", "fe80::2", "fe80::3"} {
		if _, _, err := h.Handle(relay(0, peer, inner), src, netip.Addr{}, t0); err != nil {
			t.Errorf("client %d behind one relay: %v", i, err)
		}
	}
}

func TestGlobalCap(t *testing.T) {
	m := NewMetrics(nil)
	h, err := NewHandler(testIfc(), serverMAC, nil, m, WithGlobalRate(10, 5))
	if err != nil {
		t.Fatal(err)
	}
	req := msg(InformationRequest)
	answered := 0
	for i := 0; i < 20; i++ {
		src := netip.AddrPortFrom(netip.AddrFrom16([16]byte{0xfe, 0x80, 15: byte(i)}), 546)
		if _, _, err := h.Handle(req, src, multicast, t0); err == nil {
			answered++
		} else if !errors.Is(err, ErrDiscardOverloaded) {
			t.Fatalf("unexpected error %v", err)
		}
	}
	if answered != 5 {
		t.Errorf("answered %d of a burst of 20, want 5", answered)
	}
	if got := testutil.ToFloat64(m.rateLimited.WithLabelValues("eth0", "global")); got != 15 {
		t.Errorf("rate_limited{scope=global} = %v, want 15", got)
	}
}

func TestLimiterEviction(t *testing.T) {
	ifc := testIfc()
	ifc.DHCPv6.RatePerClient = 1
	ifc.DHCPv6.BurstPerClient = 1
	h, err := NewHandler(ifc, serverMAC, nil, nil, WithMaxClients(16), WithGlobalRate(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	req := msg(InformationRequest)
	for i := 0; i < 1000; i++ {
		src := netip.AddrPortFrom(netip.AddrFrom16([16]byte{0xfe, 0x80, 14: byte(i >> 8), 15: byte(i)}), 546)
		if _, _, err := h.Handle(req, src, multicast, t0); err != nil {
			t.Fatalf("new client %d: %v", i, err)
		}
	}
	if n := h.lim.size(); n > 16 {
		t.Errorf("limiter tracks %d clients, want at most 16", n)
	}
}

func TestUpdate(t *testing.T) {
	h, _ := newTestHandler(t, testIfc())
	ifc := testIfc()
	ifc.DHCPv6.DNSServers = []netip.Addr{netip.MustParseAddr("2001:db8::99")}
	if err := h.Update(ifc, serverMAC); err != nil {
		t.Fatal(err)
	}
	reply, _, err := h.Handle(msg(InformationRequest, oro(23)), clientAddr, multicast, t0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2001:db8::99"}, summarize(t, reply).DNS); diff != "" {
		t.Errorf("DNS after Update (-want +got):\n%s", diff)
	}
	bad := testIfc()
	bad.DHCPv6.Domains = []string{"a..b"}
	if err := h.Update(bad, serverMAC); !errors.Is(err, ErrConfig) {
		t.Fatalf("Update(bad) = %v, want ErrConfig", err)
	}
	reply, _, _ = h.Handle(msg(InformationRequest, oro(23)), clientAddr, multicast, t0)
	if diff := cmp.Diff([]string{"2001:db8::99"}, summarize(t, reply).DNS); diff != "" {
		t.Errorf("a bad Update changed the configuration (-want +got):\n%s", diff)
	}
}
