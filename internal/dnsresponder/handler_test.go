package dnsresponder

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// testConfig is the zone most handler tests answer from.
func testConfig() Config {
	c := Config{
		Zone:   "lab.example",
		PREF64: netip.MustParsePrefix("64:ff9b::/96"),
		TTL:    60 * time.Second,
		Records: []Record{
			{Name: "@", Type: "TXT", Value: "ralab lab zone"},
			{Name: "www", Type: "AAAA", Value: "2001:db8::80"},
			{Name: "www", Type: "a", Value: "192.0.2.80"},
			{Name: "v4only.lab.example.", Type: "A", Value: "192.0.2.33"},
			{Name: "v4only", Type: "A", Value: "198.51.100.7"},
			{Name: "alias", Type: "CNAME", Value: "www"},
			{Name: "chain", Type: "CNAME", Value: "alias.lab.example."},
			{Name: "ext", Type: "CNAME", Value: "example.org."},
			{Name: "dangling", Type: "CNAME", Value: "nothere"},
			{Name: "a.b.deep", Type: "AAAA", Value: "2001:db8::1"},
			{Name: "long", Type: "TXT", Value: strings.Repeat("x", 300)},
		},
	}
	for i := range 60 {
		c.Records = append(c.Records, Record{Name: "big", Type: "AAAA", Value: fmt.Sprintf("2001:db8::b:%x", i)})
	}
	return c
}

// summary is the part of a response the tests compare.
type summary struct {
	Rcode           string
	AA, RA, RD, TC  bool
	Answer, Ns      []string
	EDNS, DO        bool
	EDNSSize        uint16
	EDNSVersion     uint8
	QuestionEchoed  bool
	SynthesizedAAAA bool
}

// summarize unpacks the response b to q.
func summarize(t *testing.T, q, b []byte, res Result) summary {
	t.Helper()
	var m, qm dns.Msg
	if err := m.Unpack(b); err != nil {
		t.Fatalf("response does not unpack: %v", err)
	}
	if err := qm.Unpack(q); err != nil {
		t.Fatalf("query does not unpack: %v", err)
	}
	if m.Id != qm.Id || !m.Response || m.Opcode != qm.Opcode {
		t.Errorf("header: id %d/%d, QR %v, opcode %d/%d", m.Id, qm.Id, m.Response, m.Opcode, qm.Opcode)
	}
	if rcodeName(m.Rcode) != rcodeName(res.Rcode) {
		t.Errorf("Result.Rcode %s, wire %s", rcodeName(res.Rcode), rcodeName(m.Rcode))
	}
	if res.Truncated != m.Truncated {
		t.Errorf("Result.Truncated %v, wire TC %v", res.Truncated, m.Truncated)
	}
	s := summary{
		Rcode: rcodeName(m.Rcode), AA: m.Authoritative, RA: m.RecursionAvailable,
		RD: m.RecursionDesired, TC: m.Truncated,
		QuestionEchoed:  cmp.Equal(m.Question, qm.Question),
		SynthesizedAAAA: res.Synthesized,
	}
	for _, rr := range m.Answer {
		s.Answer = append(s.Answer, strings.Join(strings.Fields(rr.String()), " "))
	}
	for _, rr := range m.Ns {
		s.Ns = append(s.Ns, strings.Join(strings.Fields(rr.String()), " "))
	}
	if opt := m.IsEdns0(); opt != nil {
		s.EDNS, s.DO, s.EDNSSize, s.EDNSVersion = true, opt.Do(), opt.UDPSize(), opt.Version()
	}
	return s
}

// query returns a packed query for name and qtype with RD set, changed by
// edit when not nil.
func query(t testing.TB, name string, qtype uint16, edit func(*dns.Msg)) []byte {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.Id = 4242
	if edit != nil {
		edit(m)
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatalf("packing query: %v", err)
	}
	return b
}

const soa = "lab.example. 60 IN SOA ns.lab.example. hostmaster.lab.example. 1 3600 600 86400 60"

func TestHandle(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(testConfig())
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	edns := func(size uint16, do bool) func(*dns.Msg) {
		return func(m *dns.Msg) { m.SetEdns0(size, do) }
	}
	var bigAAAA []string
	for i := range 60 {
		bigAAAA = append(bigAAAA, fmt.Sprintf("big.lab.example. 60 IN AAAA 2001:db8::b:%x", i))
	}
	noErr := func(answer ...string) summary {
		return summary{Rcode: "NOERROR", AA: true, RD: true, QuestionEchoed: true, Answer: answer}
	}
	tests := []struct {
		name  string
		qname string
		qtype uint16
		edit  func(*dns.Msg)
		t     Transport
		want  summary
	}{
		{name: "AAAA", qname: "www.lab.example.", qtype: dns.TypeAAAA,
			want: noErr("www.lab.example. 60 IN AAAA 2001:db8::80")},
		{name: "A", qname: "www.lab.example.", qtype: dns.TypeA,
			want: noErr("www.lab.example. 60 IN A 192.0.2.80")},
		{name: "owner keeps the query's case", qname: "WwW.LAB.example.", qtype: dns.TypeAAAA,
			want: noErr("WwW.LAB.example. 60 IN AAAA 2001:db8::80")},
		{name: "TXT at apex", qname: "lab.example.", qtype: dns.TypeTXT,
			want: noErr(`lab.example. 60 IN TXT "ralab lab zone"`)},
		{name: "long TXT split in 255-byte strings", qname: "long.lab.example.", qtype: dns.TypeTXT,
			want: noErr(fmt.Sprintf(`long.lab.example. 60 IN TXT "%s" "%s"`, strings.Repeat("x", 255), strings.Repeat("x", 45)))},
		{name: "SOA at apex", qname: "lab.example.", qtype: dns.TypeSOA, want: noErr(soa)},
		{name: "ANY", qname: "www.lab.example.", qtype: dns.TypeANY,
			want: noErr("www.lab.example. 60 IN A 192.0.2.80", "www.lab.example. 60 IN AAAA 2001:db8::80")},
		{name: "DNS64 synthesis from A-only name", qname: "v4only.lab.example.", qtype: dns.TypeAAAA,
			want: func() summary {
				s := noErr("v4only.lab.example. 60 IN AAAA 64:ff9b::c000:221", "v4only.lab.example. 60 IN AAAA 64:ff9b::c633:6407")
				s.SynthesizedAAAA = true
				return s
			}()},
		{name: "A of A-only name", qname: "v4only.lab.example.", qtype: dns.TypeA,
			want: noErr("v4only.lab.example. 60 IN A 192.0.2.33", "v4only.lab.example. 60 IN A 198.51.100.7")},
		{name: "NODATA", qname: "www.lab.example.", qtype: dns.TypeTXT,
			want: summary{Rcode: "NOERROR", AA: true, RD: true, QuestionEchoed: true, Ns: []string{soa}}},
		{name: "NODATA for NS at apex", qname: "lab.example.", qtype: dns.TypeNS,
			want: summary{Rcode: "NOERROR", AA: true, RD: true, QuestionEchoed: true, Ns: []string{soa}}},
		{name: "NODATA for empty non-terminal (RFC 8020)", qname: "b.deep.lab.example.", qtype: dns.TypeAAAA,
			want: summary{Rcode: "NOERROR", AA: true, RD: true, QuestionEchoed: true, Ns: []string{soa}}},
		{name: "deep name", qname: "a.b.deep.lab.example.", qtype: dns.TypeAAAA,
			want: noErr("a.b.deep.lab.example. 60 IN AAAA 2001:db8::1")},
		{name: "NXDOMAIN", qname: "nothere.lab.example.", qtype: dns.TypeAAAA,
			want: summary{Rcode: "NXDOMAIN", AA: true, RD: true, QuestionEchoed: true, Ns: []string{soa}}},
		{name: "NXDOMAIN below a leaf", qname: "x.www.lab.example.", qtype: dns.TypeA,
			want: summary{Rcode: "NXDOMAIN", AA: true, RD: true, QuestionEchoed: true, Ns: []string{soa}}},
		{name: "CNAME followed in zone", qname: "alias.lab.example.", qtype: dns.TypeAAAA,
			want: noErr("alias.lab.example. 60 IN CNAME www.lab.example.", "www.lab.example. 60 IN AAAA 2001:db8::80")},
		{name: "CNAME chain", qname: "chain.lab.example.", qtype: dns.TypeA,
			want: noErr("chain.lab.example. 60 IN CNAME alias.lab.example.",
				"alias.lab.example. 60 IN CNAME www.lab.example.", "www.lab.example. 60 IN A 192.0.2.80")},
		{name: "CNAME query", qname: "alias.lab.example.", qtype: dns.TypeCNAME,
			want: noErr("alias.lab.example. 60 IN CNAME www.lab.example.")},
		{name: "CNAME out of zone", qname: "ext.lab.example.", qtype: dns.TypeAAAA,
			want: noErr("ext.lab.example. 60 IN CNAME example.org.")},
		{name: "dangling CNAME is NXDOMAIN (RFC 6604)", qname: "dangling.lab.example.", qtype: dns.TypeAAAA,
			want: summary{Rcode: "NXDOMAIN", AA: true, RD: true, QuestionEchoed: true,
				Answer: []string{"dangling.lab.example. 60 IN CNAME nothere.lab.example."}, Ns: []string{soa}}},
		{name: "REFUSED outside zone", qname: "example.com.", qtype: dns.TypeAAAA,
			want: summary{Rcode: "REFUSED", RD: true, QuestionEchoed: true}},
		{name: "REFUSED for parent of zone", qname: "example.", qtype: dns.TypeSOA,
			want: summary{Rcode: "REFUSED", RD: true, QuestionEchoed: true}},
		{name: "REFUSED for AXFR", qname: "lab.example.", qtype: dns.TypeAXFR, t: TCP,
			want: summary{Rcode: "REFUSED", RD: true, QuestionEchoed: true}},
		{name: "REFUSED for CHAOS class", qname: "version.bind.", qtype: dns.TypeTXT,
			edit: func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS },
			want: summary{Rcode: "REFUSED", RD: true, QuestionEchoed: true}},
		{name: "RD=0 copied", qname: "www.lab.example.", qtype: dns.TypeAAAA,
			edit: func(m *dns.Msg) { m.RecursionDesired = false },
			want: summary{Rcode: "NOERROR", AA: true, QuestionEchoed: true, Answer: []string{"www.lab.example. 60 IN AAAA 2001:db8::80"}}},
		{name: "ipv4only.arpa AAAA", qname: "ipv4only.arpa.", qtype: dns.TypeAAAA,
			want: summary{Rcode: "NOERROR", RD: true, QuestionEchoed: true, SynthesizedAAAA: true,
				Answer: []string{"ipv4only.arpa. 60 IN AAAA 64:ff9b::c000:aa", "ipv4only.arpa. 60 IN AAAA 64:ff9b::c000:ab"}}},
		{name: "ipv4only.arpa A", qname: "IPv4only.ARPA.", qtype: dns.TypeA,
			want: summary{Rcode: "NOERROR", RD: true, QuestionEchoed: true,
				Answer: []string{"IPv4only.ARPA. 60 IN A 192.0.0.170", "IPv4only.ARPA. 60 IN A 192.0.0.171"}}},
		{name: "ipv4only.arpa TXT", qname: "ipv4only.arpa.", qtype: dns.TypeTXT,
			want: summary{Rcode: "NOERROR", RD: true, QuestionEchoed: true}},
		{name: "below ipv4only.arpa is REFUSED", qname: "x.ipv4only.arpa.", qtype: dns.TypeAAAA,
			want: summary{Rcode: "REFUSED", RD: true, QuestionEchoed: true}},
		{name: "opcode NOTIFY", qname: "lab.example.", qtype: dns.TypeSOA,
			edit: func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify },
			want: summary{Rcode: "NOTIMP", RD: true, QuestionEchoed: true}},
		{name: "no question", qname: "lab.example.", qtype: dns.TypeSOA,
			edit: func(m *dns.Msg) { m.Question = nil },
			want: summary{Rcode: "FORMERR", RD: true, QuestionEchoed: true}},
		{name: "two questions", qname: "lab.example.", qtype: dns.TypeSOA,
			edit: func(m *dns.Msg) { m.Question = append(m.Question, m.Question[0]) },
			want: summary{Rcode: "FORMERR", RD: true, QuestionEchoed: true}},
		{name: "EDNS echoed with DO", qname: "www.lab.example.", qtype: dns.TypeA, edit: edns(4096, true),
			want: summary{Rcode: "NOERROR", AA: true, RD: true, QuestionEchoed: true,
				Answer: []string{"www.lab.example. 60 IN A 192.0.2.80"}, EDNS: true, DO: true, EDNSSize: MaxUDPSize}},
		{name: "EDNS on REFUSED", qname: "example.com.", qtype: dns.TypeA, edit: edns(1232, false),
			want: summary{Rcode: "REFUSED", RD: true, QuestionEchoed: true, EDNS: true, EDNSSize: MaxUDPSize}},
		{name: "EDNS version 1 is BADVERS", qname: "www.lab.example.", qtype: dns.TypeA,
			edit: func(m *dns.Msg) { m.SetEdns0(1232, false); m.IsEdns0().SetVersion(1) },
			want: summary{Rcode: "BADVERS", RD: true, QuestionEchoed: true, EDNS: true, EDNSSize: MaxUDPSize}},
		{name: "two OPT records", qname: "www.lab.example.", qtype: dns.TypeA,
			edit: func(m *dns.Msg) { m.SetEdns0(1232, false); m.Extra = append(m.Extra, m.Extra[0]) },
			want: summary{Rcode: "FORMERR", RD: true, QuestionEchoed: true}},
		{name: "TC over UDP without EDNS", qname: "big.lab.example.", qtype: dns.TypeAAAA,
			want: summary{Rcode: "NOERROR", AA: true, RD: true, TC: true, QuestionEchoed: true}},
		{name: "TC over UDP with EDNS 4096 (capped at 1232)", qname: "big.lab.example.", qtype: dns.TypeAAAA, edit: edns(4096, false),
			want: summary{Rcode: "NOERROR", AA: true, RD: true, TC: true, QuestionEchoed: true, EDNS: true, EDNSSize: MaxUDPSize}},
		{name: "no TC over TCP", qname: "big.lab.example.", qtype: dns.TypeAAAA, t: TCP, want: noErr(bigAAAA...)},
		{name: "small answer with EDNS size below 512 fits", qname: "www.lab.example.", qtype: dns.TypeAAAA, edit: edns(100, false),
			want: summary{Rcode: "NOERROR", AA: true, RD: true, QuestionEchoed: true,
				Answer: []string{"www.lab.example. 60 IN AAAA 2001:db8::80"}, EDNS: true, EDNSSize: MaxUDPSize}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := query(t, tt.qname, tt.qtype, tt.edit)
			b, res, err := h.Handle(q, tt.t)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if tt.t == UDP {
				limit := MinUDPSize
				if tt.want.EDNS {
					limit = MaxUDPSize
				}
				if len(b) > limit {
					t.Errorf("UDP response of %d bytes exceeds %d", len(b), limit)
				}
			}
			if diff := cmp.Diff(tt.want, summarize(t, q, b, res)); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandleNoPREF64(t *testing.T) {
	t.Parallel()
	c := testConfig()
	c.PREF64 = netip.Prefix{}
	h, err := NewHandler(c)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	tests := []struct {
		name  string
		qname string
		want  summary
	}{
		{name: "no DNS64 for A-only name", qname: "v4only.lab.example.",
			want: summary{Rcode: "NOERROR", AA: true, RD: true, QuestionEchoed: true, Ns: []string{soa}}},
		{name: "ipv4only.arpa AAAA is NODATA", qname: "ipv4only.arpa.",
			want: summary{Rcode: "NOERROR", RD: true, QuestionEchoed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := query(t, tt.qname, dns.TypeAAAA, nil)
			b, res, err := h.Handle(q, UDP)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if diff := cmp.Diff(tt.want, summarize(t, q, b, res)); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIPv4OnlyARPAEveryPLC checks AAAA ipv4only.arpa for every NAT64
// prefix length of RFC 6052 §2.2, with 192.0.0.170 and 192.0.0.171
// embedded by hand.
func TestIPv4OnlyARPAEveryPLC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pref64 string
		want   []string
	}{
		{pref64: "2001:db8::/32", want: []string{"2001:db8:c000:aa::", "2001:db8:c000:ab::"}},
		{pref64: "2001:db8:100::/40", want: []string{"2001:db8:1c0:0:aa::", "2001:db8:1c0:0:ab::"}},
		{pref64: "2001:db8:122::/48", want: []string{"2001:db8:122:c000:0:aa00::", "2001:db8:122:c000:0:ab00::"}},
		{pref64: "2001:db8:122:300::/56", want: []string{"2001:db8:122:3c0:0:aa::", "2001:db8:122:3c0:0:ab::"}},
		{pref64: "2001:db8:122:344::/64", want: []string{"2001:db8:122:344:c0:0:aa00:0", "2001:db8:122:344:c0:0:ab00:0"}},
		{pref64: "64:ff9b::/96", want: []string{"64:ff9b::c000:aa", "64:ff9b::c000:ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.pref64, func(t *testing.T) {
			t.Parallel()
			h, err := NewHandler(Config{Zone: "lab.example", PREF64: netip.MustParsePrefix(tt.pref64)})
			if err != nil {
				t.Fatalf("NewHandler: %v", err)
			}
			var m dns.Msg
			b, res, err := h.Handle(query(t, "ipv4only.arpa.", dns.TypeAAAA, nil), UDP)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if err := m.Unpack(b); err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			var got []string
			for _, rr := range m.Answer {
				got = append(got, rr.(*dns.AAAA).AAAA.String())
				if ttl := rr.Header().Ttl; ttl != uint32(DefaultTTL/time.Second) {
					t.Errorf("TTL %d, want default %v", ttl, DefaultTTL)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AAAA ipv4only.arpa (-want +got):\n%s", diff)
			}
			if !res.Synthesized || m.Authoritative || m.RecursionAvailable {
				t.Errorf("Synthesized %v AA %v RA %v, want true false false", res.Synthesized, m.Authoritative, m.RecursionAvailable)
			}
		})
	}
}

// TestSynthesize checks the RFC 6052 §2.4 examples for 192.0.2.33.
func TestSynthesize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pref64, want string
	}{
		{"2001:db8::/32", "2001:db8:c000:221::"},
		{"2001:db8:100::/40", "2001:db8:1c0:2:21::"},
		{"2001:db8:122::/48", "2001:db8:122:c000:2:2100::"},
		{"2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"},
		{"2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"},
		{"2001:db8:122:344::/96", "2001:db8:122:344::c000:221"},
		{"64:ff9b::/96", "64:ff9b::c000:221"},
	}
	for _, tt := range tests {
		got, err := Synthesize(netip.MustParsePrefix(tt.pref64), netip.MustParseAddr("192.0.2.33"))
		if err != nil {
			t.Fatalf("Synthesize(%s): %v", tt.pref64, err)
		}
		if diff := cmp.Diff(netip.MustParseAddr(tt.want), got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("Synthesize(%s) (-want +got):\n%s", tt.pref64, diff)
		}
	}
	if _, err := Synthesize(netip.MustParsePrefix("64:ff9b::/96"), netip.MustParseAddr("2001:db8::1")); !errors.Is(err, ErrRecord) {
		t.Errorf("Synthesize of an IPv6 address: %v, want ErrRecord", err)
	}
}

func TestNewHandlerErrors(t *testing.T) {
	t.Parallel()
	p := netip.MustParsePrefix
	tests := []struct {
		name string
		c    Config
		want error
	}{
		{name: "empty zone", c: Config{}, want: ErrZone},
		{name: "root zone", c: Config{Zone: "."}, want: ErrZone},
		{name: "bad zone", c: Config{Zone: "a..b"}, want: ErrZone},
		{name: "ipv4only.arpa zone", c: Config{Zone: "ipv4only.arpa"}, want: ErrZone},
		{name: "zone below ipv4only.arpa", c: Config{Zone: "x.ipv4only.arpa."}, want: ErrZone},
		{name: "zone above ipv4only.arpa", c: Config{Zone: "arpa"}, want: ErrZone},
		{name: "negative TTL", c: Config{Zone: "z", TTL: -time.Second}, want: ErrTTL},
		{name: "fractional TTL", c: Config{Zone: "z", TTL: 1500 * time.Millisecond}, want: ErrTTL},
		{name: "huge TTL", c: Config{Zone: "z", TTL: MaxTTL + time.Second}, want: ErrTTL},
		{name: "PREF64 /60", c: Config{Zone: "z", PREF64: p("2001:db8::/60")}, want: ErrPREF64},
		{name: "PREF64 host bits", c: Config{Zone: "z", PREF64: p("2001:db8::1/96")}, want: ErrPREF64},
		{name: "PREF64 u octet", c: Config{Zone: "z", PREF64: p("2001:db8:0:0:100::/96")}, want: ErrPREF64},
		{name: "PREF64 IPv4", c: Config{Zone: "z", PREF64: p("192.0.2.0/24")}, want: ErrPREF64},
		{name: "A with IPv6", c: Config{Zone: "z", Records: []Record{{Name: "a", Type: "A", Value: "2001:db8::1"}}}, want: ErrRecord},
		{name: "AAAA with IPv4", c: Config{Zone: "z", Records: []Record{{Name: "a", Type: "AAAA", Value: "192.0.2.1"}}}, want: ErrRecord},
		{name: "AAAA 4in6", c: Config{Zone: "z", Records: []Record{{Name: "a", Type: "AAAA", Value: "::ffff:192.0.2.1"}}}, want: ErrRecord},
		{name: "unknown type", c: Config{Zone: "z", Records: []Record{{Name: "a", Type: "MX", Value: "x"}}}, want: ErrRecord},
		{name: "outside zone", c: Config{Zone: "z", Records: []Record{{Name: "a.y.", Type: "A", Value: "192.0.2.1"}}}, want: ErrRecord},
		{name: "wildcard", c: Config{Zone: "z", Records: []Record{{Name: "*.a", Type: "A", Value: "192.0.2.1"}}}, want: ErrRecord},
		{name: "bad name", c: Config{Zone: "z", Records: []Record{{Name: "a..b", Type: "A", Value: "192.0.2.1"}}}, want: ErrRecord},
		{name: "CNAME at apex", c: Config{Zone: "z", Records: []Record{{Name: "@", Type: "CNAME", Value: "x"}}}, want: ErrRecord},
		{name: "CNAME and other data", c: Config{Zone: "z", Records: []Record{
			{Name: "a", Type: "CNAME", Value: "x"}, {Name: "a", Type: "A", Value: "192.0.2.1"}}}, want: ErrRecord},
		{name: "two CNAMEs", c: Config{Zone: "z", Records: []Record{
			{Name: "a", Type: "CNAME", Value: "x"}, {Name: "a", Type: "CNAME", Value: "y"}}}, want: ErrRecord},
		{name: "empty CNAME", c: Config{Zone: "z", Records: []Record{{Name: "a", Type: "CNAME"}}}, want: ErrRecord},
		{name: "CNAME loop", c: Config{Zone: "z", Records: []Record{
			{Name: "a", Type: "CNAME", Value: "b"}, {Name: "b", Type: "CNAME", Value: "a.z."}}}, want: ErrRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHandler(tt.c)
			if !errors.Is(err, tt.want) {
				t.Errorf("NewHandler: %v, want %v", err, tt.want)
			}
		})
	}
	long := Config{Zone: "z"}
	for i := range maxCNAMEChain + 1 {
		long.Records = append(long.Records, Record{Name: fmt.Sprint("c", i), Type: "CNAME", Value: fmt.Sprint("c", i+1)})
	}
	if _, err := NewHandler(long); !errors.Is(err, ErrRecord) {
		t.Errorf("NewHandler with a %d-CNAME chain: %v, want ErrRecord", maxCNAMEChain+1, err)
	}
	long.Records = long.Records[1:]
	if _, err := NewHandler(long); err != nil {
		t.Errorf("NewHandler with a %d-CNAME chain: %v", maxCNAMEChain, err)
	}
}

func TestHandleDrops(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(testConfig())
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	valid := query(t, "www.lab.example.", dns.TypeAAAA, nil)
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{name: "empty", b: nil, want: ErrMalformed},
		{name: "short header", b: valid[:7], want: ErrMalformed},
		{name: "truncated question", b: valid[:len(valid)-3], want: ErrMalformed},
		{name: "label too long", b: append(append([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 70}, make([]byte, 70)...), 0, 0, 1, 0, 1), want: ErrMalformed},
		{name: "compression loop", b: []byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1}, want: ErrMalformed},
		{name: "response", b: query(t, "www.lab.example.", dns.TypeAAAA, func(m *dns.Msg) { m.Response = true }), want: ErrNotQuery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _, err := h.Handle(tt.b, UDP)
			if !errors.Is(err, tt.want) || b != nil {
				t.Errorf("Handle: %d bytes, %v; want none, %v", len(b), err, tt.want)
			}
		})
	}
}

// TestRecordError checks that NewHandler points at the record and field at
// fault, which the configuration parser turns into a file position.
func TestRecordError(t *testing.T) {
	t.Parallel()
	a := func(name, value string) Record { return Record{Name: name, Type: TypeA, Value: value} }
	cname := func(name, value string) Record { return Record{Name: name, Type: TypeCNAME, Value: value} }
	tests := []struct {
		name    string
		records []Record
		want    RecordError
		msg     string
	}{
		{name: "bad name", records: []Record{a("ok", "192.0.2.1"), a("a..b", "192.0.2.1")},
			want: RecordError{Index: 1, Field: "name", Reason: `"a..b" is not a domain name`},
			msg:  `record 2 (a..b A "192.0.2.1"): invalid record: "a..b" is not a domain name`},
		{name: "outside zone", records: []Record{a("x.example.", "192.0.2.1")},
			want: RecordError{Field: "name", Reason: "x.example. is outside zone z."}},
		{name: "bad value", records: []Record{a("a", "2001:db8::1")},
			want: RecordError{Field: "value", Reason: "A needs an IPv4 address"}},
		{name: "bad type", records: []Record{{Name: "a", Type: "MX", Value: "x"}},
			want: RecordError{Field: "type", Reason: "type must be A, AAAA, CNAME or TXT"}},
		{name: "CNAME and other data", records: []Record{a("b", "192.0.2.1"), cname("a", "b"), a("a", "192.0.2.1")},
			want: RecordError{Index: 2, Reason: "a.z. has a CNAME and other records (RFC 1034 §3.6.2)"}},
		{name: "CNAME loop", records: []Record{a("x", "192.0.2.1"), cname("a", "b"), cname("b", "a")},
			want: RecordError{Index: 1, Field: "value", Reason: "CNAME chain from a.z. loops or is longer than 8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHandler(Config{Zone: "z", Records: tt.records})
			var got *RecordError
			if !errors.As(err, &got) || !errors.Is(err, ErrRecord) {
				t.Fatalf("NewHandler: %v, want a *RecordError wrapping ErrRecord", err)
			}
			tt.want.Record = tt.records[tt.want.Index]
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("RecordError (-want +got):\n%s", diff)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("message %q, want %q", err.Error(), tt.msg)
			}
		})
	}
}
