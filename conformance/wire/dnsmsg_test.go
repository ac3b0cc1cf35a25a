package wire

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	ft "github.com/ralab/ralab/conformance/internal/frametest"
)

// miekgDNS is what decodeDNS returned when it unpacked with miekg/dns:
// the reference the walker must agree with.
func miekgDNS(b []byte) (DNSMessage, bool) {
	d := DNSMessage{ID: binary.BigEndian.Uint16(b[0:2]), Response: b[2]&0x80 != 0, Rcode: int(b[3] & 0x0f)}
	var m dns.Msg
	if err := m.Unpack(b); err != nil {
		return d, false
	}
	d.Rcode, d.Answers = m.Rcode, len(m.Answer)
	if len(m.Question) > 0 {
		d.Name, d.Type = m.Question[0].Name, m.Question[0].Qtype
	}
	return d, true
}

func dnsSeeds(t testing.TB) [][]byte {
	q := new(dns.Msg).SetQuestion("www.example.org.", dns.TypeAAAA)
	q.SetEdns0(1232, true)
	a := new(dns.Msg).SetReply(q)
	a.Answer = append(a.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: "www.example.org.", Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 60}, AAAA: ft.DNSServer.AsSlice()},
		&dns.CNAME{Hdr: dns.RR_Header{Name: "x.example.org.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: "www.example.org."})
	a.Compress = true
	bad := new(dns.Msg).SetReply(q)
	bad.SetEdns0(1232, false)
	bad.Rcode = dns.RcodeBadVers
	odd := new(dns.Msg).SetQuestion("we\\.ird\\000.label.", dns.TypeA)
	var out [][]byte
	for _, m := range []*dns.Msg{q, a, bad, odd} {
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestDecodeDNSAgreesWithMiekg checks the walker against miekg/dns on
// well-formed messages and cut ones.
func TestDecodeDNSAgreesWithMiekg(t *testing.T) {
	for _, b := range dnsSeeds(t) {
		for n := 12; n <= len(b); n++ {
			checkDNSAgainstMiekg(t, b[:n])
		}
	}
}

func checkDNSAgainstMiekg(t *testing.T, b []byte) {
	t.Helper()
	if len(b) < 12 {
		return
	}
	want, ok := miekgDNS(b)
	var p Packet
	got := p.decodeDNS(b)
	if got == nil {
		t.Fatalf("% x: nil message", b)
	}
	if ok && len(p.Problems) > 0 {
		t.Fatalf("% x: miekg/dns parses it, the walker says %v", b, p.Problems)
	}
	if !ok && len(p.Problems) == 0 {
		return // RDATA the walker does not check.
	}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Fatalf("% x (-miekg +walker):\n%s", b, diff)
	}
}

// FuzzDecodeDNS checks that the walker accepts every message miekg/dns
// accepts, with the same fields, and rejects like it otherwise except for
// unchecked RDATA.
func FuzzDecodeDNS(f *testing.F) {
	for _, b := range dnsSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDNSAgainstMiekg(t, b)
	})
}

// BenchmarkDecodeDNS measures decoding a DNS response with EDNS, the most
// common frame of an observer's capture.
func BenchmarkDecodeDNS(b *testing.B) {
	msg := dnsSeeds(b)[1]
	b.ReportAllocs()
	for b.Loop() {
		var p Packet
		if d := p.decodeDNS(msg); d == nil || d.Name == "" {
			b.Fatal("not decoded")
		}
	}
}

// BenchmarkDecodeDNSMiekg is BenchmarkDecodeDNS with miekg/dns's Unpack,
// which decodeDNS used before the walker.
func BenchmarkDecodeDNSMiekg(b *testing.B) {
	msg := dnsSeeds(b)[1]
	b.ReportAllocs()
	for b.Loop() {
		if d, ok := miekgDNS(msg); !ok || d.Name == "" {
			b.Fatal("not decoded")
		}
	}
}
