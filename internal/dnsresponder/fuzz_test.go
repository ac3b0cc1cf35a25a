package dnsresponder

import (
	"errors"
	"net/netip"
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

// FuzzNewHandler feeds arbitrary zones and records to NewHandler: it must
// never panic, every error must wrap one of its sentinels, and a
// *RecordError must point at a record that exists.
func FuzzNewHandler(f *testing.F) {
	f.Add("lab.example", "www", "AAAA", "2001:db8::80", "alias", "CNAME", "www")
	f.Add("lab.example.", "@", "TXT", "x", "v4only", "a", "192.0.2.1")
	f.Add("z", "a", "CNAME", "b", "b", "CNAME", "a.z.")
	f.Add("ipv4only.arpa", "*", "A", "1.2.3.4", "a..b", "MX", "")
	f.Add(".", "x.other.", "CNAME", "", "a", "A", "::1")
	f.Fuzz(func(t *testing.T, zone, n1, t1, v1, n2, t2, v2 string) {
		records := []Record{{Name: n1, Type: t1, Value: v1}, {Name: n2, Type: t2, Value: v2}}
		h, err := NewHandler(Config{Zone: zone, Records: records, PREF64: netip.MustParsePrefix("64:ff9b::/96")})
		if err == nil {
			if _, _, err := h.Handle(query(t, "www."+h.Zone(), dns.TypeAAAA, nil), UDP); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			return
		}
		if !errors.Is(err, ErrZone) && !errors.Is(err, ErrRecord) {
			t.Fatalf("NewHandler: %v wraps no sentinel", err)
		}
		var re *RecordError
		if errors.As(err, &re) {
			if re.Index < 0 || re.Index >= len(records) || re.Record != records[re.Index] || re.Reason == "" {
				t.Fatalf("RecordError %+v does not match records %+v", re, records)
			}
			switch re.Field {
			case "", "name", "type", "value":
			default:
				t.Fatalf("RecordError field %q", re.Field)
			}
		}
	})
}
