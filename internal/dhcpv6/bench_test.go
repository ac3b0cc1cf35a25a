package dhcpv6

import (
	"testing"
	"time"
)

// benchIR is the Information-Request of the bench tools: client
// identifier, elapsed time and an ORO for DNS servers and domains.
var benchIR = msg(InformationRequest,
	opt(optClientID, clientDUID...),
	opt(optElapsedTime, 0, 0),
	oro(optDNSServers, optDomainList))

// BenchmarkReply measures the reply path of one Information-Request, as a
// worker runs it: rate limiters, parsing, the Reply built into a reused
// buffer, and the counters. It must not allocate.
func BenchmarkReply(b *testing.B) {
	ifc := testIfc()
	ifc.DHCPv6.RatePerClient = 1e6
	ifc.DHCPv6.BurstPerClient = 1000000
	ifc.DHCPv6.RateTotal = 1e7
	ifc.DHCPv6.BurstTotal = 10000000
	h, err := NewHandler(ifc, serverMAC, nil, NewMetrics(nil))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		// The client's token bucket refills as time passes.
		now = now.Add(time.Microsecond)
		reply, _, err := h.AppendReply(buf[:0], benchIR, clientAddr, multicast, now)
		if err != nil || len(reply) == 0 {
			b.Fatalf("no reply: %v", err)
		}
	}
}

// BenchmarkReplyParallel is BenchmarkReply on every core at once, as the
// workers of one interface share the Handler.
func BenchmarkReplyParallel(b *testing.B) {
	ifc := testIfc()
	// Above what the configuration allows, so that the limiters run but
	// never refuse.
	ifc.DHCPv6.RatePerClient = 1e9
	ifc.DHCPv6.BurstPerClient = 1e9
	ifc.DHCPv6.RateTotal = 0
	h, err := NewHandler(ifc, serverMAC, nil, NewMetrics(nil))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 1024)
		for pb.Next() {
			if _, _, err := h.AppendReply(buf[:0], benchIR, clientAddr, multicast, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
