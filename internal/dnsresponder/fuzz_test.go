package dnsresponder

import (
	"errors"
	"testing"

	"github.com/miekg/dns"
)

// FuzzHandle feeds arbitrary bytes to the bytes-in path: Handle must never
// panic, must drop or answer, and every answer must be a well-formed
// response to the same ID that fits the transport's limit.
func FuzzHandle(f *testing.F) {
	h, err := NewHandler(testConfig())
	if err != nil {
		f.Fatalf("NewHandler: %v", err)
	}
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"www.lab.example.", dns.TypeAAAA},
		{"v4only.lab.example.", dns.TypeAAAA},
		{"ipv4only.arpa.", dns.TypeAAAA},
		{"big.lab.example.", dns.TypeAAAA},
		{"chain.lab.example.", dns.TypeANY},
		{"example.com.", dns.TypeA},
	} {
		f.Add(query(f, q.name, q.qtype, nil), false)
		f.Add(query(f, q.name, q.qtype, func(m *dns.Msg) { m.SetEdns0(4096, true) }), true)
	}
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1}, false)
	f.Fuzz(func(t *testing.T, b []byte, tcp bool) {
		tr, limit := UDP, MaxUDPSize
		if tcp {
			tr, limit = TCP, maxTCPSize
		}
		out, _, err := h.Handle(b, tr)
		if err != nil {
			if out != nil || !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotQuery) {
				t.Fatalf("Handle: %d bytes with error %v", len(out), err)
			}
			return
		}
		if len(out) > limit {
			t.Fatalf("response of %d bytes over %v", len(out), tr)
		}
		var q, m dns.Msg
		if err := m.Unpack(out); err != nil {
			t.Fatalf("response does not unpack: %v", err)
		}
		if err := q.Unpack(b); err != nil {
			t.Fatalf("answered a query that does not unpack: %v", err)
		}
		if m.Id != q.Id || !m.Response || m.RecursionAvailable {
			t.Fatalf("bad header: id %d want %d, QR %v, RA %v", m.Id, q.Id, m.Response, m.RecursionAvailable)
		}
	})
}
