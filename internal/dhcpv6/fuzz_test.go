package dhcpv6

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv6"
)

// FuzzHandle feeds arbitrary datagrams through the whole receive path: each
// must give a reply that insomniacslk/dhcp parses and that carries the
// request's transaction ID, or a discard with a reason. Nothing may panic.
func FuzzHandle(f *testing.F) {
	cl := opt(optClientID, clientDUID...)
	seeds := [][]byte{
		msg(InformationRequest, cl, oro(23, 24, 32, 56, 82, 83, 103)),
		msg(InformationRequest),
		msg(Solicit, cl, iaNA(), iaTA(), iaPD()),
		msg(Request, cl, opt(optServerID, serverDUID...), iaNA()),
		msg(Release, cl, opt(optServerID, serverDUID...), iaPD()),
		relay(0, "fe80::1", msg(InformationRequest, cl), opt(optInterfaceID, 1, 2)),
		relay(1, "fe80::1", relay(0, "fe80::2", msg(Solicit, cl))),
		{byte(RelayForward)},
	}
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	h, err := NewHandler(testIfc(), serverMAC, nil, NewMetrics(nil), WithGlobalRate(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, unicastDst bool) {
		dst := multicast
		if unicastDst {
			dst = netip.MustParseAddr("fe80::1")
		}
		in := bytes.Clone(b)
		reply, to, err := h.Handle(b, clientAddr, dst, t0)
		if !bytes.Equal(in, b) {
			t.Fatal("Handle modified its input")
		}
		if err != nil {
			if Reason(err) == "" {
				t.Fatalf("error without a discard reason: %v", err)
			}
			return
		}
		if !to.IsValid() {
			t.Fatal("reply without destination")
		}
		d, err := dhcpv6.FromBytes(reply)
		if err != nil {
			t.Fatalf("reply %x does not parse: %v", reply, err)
		}
		// Find the request's innermost message and compare transaction IDs.
		req := b
		for MessageType(req[0]) == RelayForward {
			r, err := parseRelayMsg(req)
			if err != nil {
				t.Fatalf("answered an unparsable relay-forward: %v", err)
			}
			req = r.inner
		}
		inner, err := dhcpv6.GetTransactionID(d)
		if err != nil {
			t.Fatalf("reply has no transaction ID: %v", err)
		}
		if !bytes.Equal(inner[:], req[1:4]) {
			t.Fatalf("reply xid %x, request xid %x", inner, req[1:4])
		}
	})
}

// BenchmarkHandleRelayed measures a Reply wrapped in two Relay-replies.
func BenchmarkHandleRelayed(b *testing.B) {
	h, err := NewHandler(testIfc(), serverMAC, nil, NewMetrics(nil), WithGlobalRate(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	req := relay(1, "2001:db8::1", relay(0, "fe80::1", msg(InformationRequest, opt(optClientID, clientDUID...), oro(23, 24)), opt(optInterfaceID, 'x')))
	src := netip.MustParseAddrPort("[2001:db8:1::1]:547")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := h.Handle(req, src, netip.Addr{}, t0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replies/s")
}
