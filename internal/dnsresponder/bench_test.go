package dnsresponder

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// BenchmarkHandle measures the bytes-in, bytes-out path; b.N / elapsed is
// the queries per second of one core.
func BenchmarkHandle(b *testing.B) {
	h, err := NewHandler(testConfig())
	if err != nil {
		b.Fatalf("NewHandler: %v", err)
	}
	for _, bc := range []struct {
		name  string
		qname string
		qtype uint16
	}{
		{"AAAA", "www.lab.example.", dns.TypeAAAA},
		{"DNS64", "v4only.lab.example.", dns.TypeAAAA},
		{"ipv4only.arpa", "ipv4only.arpa.", dns.TypeAAAA},
		{"NXDOMAIN", "nothere.lab.example.", dns.TypeAAAA},
		{"REFUSED", "example.com.", dns.TypeAAAA},
		{"TC", "big.lab.example.", dns.TypeAAAA},
	} {
		q := query(b, bc.qname, bc.qtype, func(m *dns.Msg) { m.SetEdns0(1232, false) })
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := h.Handle(q, UDP); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkServerUDP measures queries per second through a Server on
// loopback with a real miekg/dns client, one query in flight at a time.
func BenchmarkServerUDP(b *testing.B) {
	h, err := NewHandler(testConfig())
	if err != nil {
		b.Fatalf("NewHandler: %v", err)
	}
	s, err := Listen(context.Background(), ServerConfig{Handler: h, Addrs: []netip.AddrPort{netip.MustParseAddrPort("[::1]:0")},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Run: %v", err)
		}
	}()
	conn, err := dns.Dial("udp", s.Addrs()[0].String())
	if err != nil {
		b.Fatalf("Dial: %v", err)
	}
	defer conn.Close()
	q := new(dns.Msg).SetQuestion("www.lab.example.", dns.TypeAAAA)
	b.ReportAllocs()
	for b.Loop() {
		if err := conn.SetDeadline(time.Now().Add(waitTimeout)); err != nil {
			b.Fatal(err)
		}
		if err := conn.WriteMsg(q); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.ReadMsg(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}
