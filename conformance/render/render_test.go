package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/conformance"
	"golang.org/x/net/html"
)

// sampleOut lets a developer look at the renderers' output:
// go test ./conformance -run TestRenderSample -sample /tmp/report
// writes /tmp/report.html, /tmp/report.md and /tmp/report.json.
var sampleOut = flag.String("sample", "", "write the sample report as `prefix`.html, .md and .json")

// hostile is a user-controlled string (a DHCPv6 hostname) that must come
// out escaped.
const hostile = `<script>alert("x")</script>|**bold**` + "\n# heading"

// sampleReport builds a report with one client per verdict, two routers
// and findings of every severity.
func sampleReport() *conformance.Report {
	t0 := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ptr := func(t time.Time) *time.Time { return &t }
	u32 := func(v uint32) *uint32 { return &v }
	ra := func(pkt int, s float64, life uint32) conformance.RAOffer {
		o := conformance.RAOffer{Server: "2001:db8::53", Router: "02:00:00:00:01:01", LifetimeSeconds: life, OfferedAt: at(s), Packet: pkt, Reached: conformance.ReachedMulticast}
		if life != 0 && life != lifetimeInfinity {
			o.ExpiresAt = ptr(at(s + float64(life)))
		}
		return o
	}
	return &conformance.Report{
		Schema:             conformance.SchemaVersion,
		GeneratedAt:        at(1300),
		Source:             conformance.Source{Kind: conformance.SourceFile, Name: "lab.pcapng"},
		Start:              t0,
		End:                at(1200),
		DurationSeconds:    1200,
		Packets:            240,
		Malformed:          1,
		Ignored:            7,
		Summary:            conformance.Summary{DNSOK: 1, DNSLost: 1, NoDNS: 1, Inconclusive: 1, Outages: 1},
		OutageGraceSeconds: 2,
		Clients: []conformance.Client{
			{
				MAC: "02:00:00:00:02:01", Randomized: true, Identified: "dhcpcd", Hostname: "laptop",
				ORO: []uint16{23, 24, 32, 82, 83}, FirstSeen: at(1), LastSeen: at(1190),
				Addresses: []conformance.Address{{Address: "fe80::ff:fe00:201", Kind: conformance.AddrLinkLocal, Source: "dad", FirstSeen: at(1), LastSeen: at(1190)}},
				Counts:    conformance.ClientCounts{RS: 1, DAD: 2, InformationRequests: 1, Replies: 1, DNSQueries: 4, DNSAnswers: 4, RAsReceived: 3}, FirstDNS: ptr(at(5)),
				DNSOffered: conformance.DNSOffered{
					ByRA:     []conformance.RAOffer{ra(3, 2, 1800), ra(40, 600, 1800)},
					ByDHCPv6: []conformance.DHCPv6Offer{{Servers: []string{"2001:db8::53"}, Domains: []string{"lab.example"}, ServerDUID: "00030001020000000101", ServerAddress: "fe80::ff:fe00:101", RefreshTimeSeconds: u32(600), At: at(3.1), Packet: 6, TransactionID: "a1b2c3"}},
				},
				DNSQueried:  []conformance.DNSUse{{Server: "2001:db8::53", Queries: 4, Answers: 4, First: at(5), Last: at(900), FirstPacket: 9, Offered: true}},
				DNSValidity: []conformance.Interval{{Server: "2001:db8::53", Via: conformance.ViaRA, From: at(2)}, {Server: "2001:db8::53", Via: conformance.ViaDHCPv6, From: at(3.1), To: ptr(at(603.1))}},
				Verdict:     conformance.VerdictDNSOK, Reason: "queried 2001:db8::53, offered by RA and DHCPv6 and still valid",
				Evidence:   []conformance.Evidence{{Packet: 9, Time: at(5), Note: "first query to an offered server"}},
				Checked:    []string{"C1", "C2", "C3", "C4", "C6", "C7", "C8", "N1", "N3"},
				DNSSources: []string{conformance.ViaRA, conformance.ViaDHCPv6},
				Findings: []conformance.Finding{{ID: "C6", Severity: conformance.SeverityWarning, Client: "02:00:00:00:02:01", Time: at(603.1), RFC: "RFC 8415 §18.2.6",
					Message: "no Information-Request after the 600 s refresh time", Evidence: []conformance.Evidence{{Packet: 6, Time: at(3.1)}}}},
				Timeline: []conformance.Event{
					{Kind: conformance.EventDAD, Time: at(1), Packet: 1}, {Kind: conformance.EventRS, Time: at(1.5), Packet: 2},
					{Kind: conformance.EventRA, Time: at(2), Packet: 3, Detail: "O=1 RDNSS 1800 s"}, {Kind: conformance.EventInfoRequest, Time: at(2.5), Packet: 5},
					{Kind: conformance.EventReply, Time: at(3.1), Packet: 6}, {Kind: conformance.EventDNSQuery, Time: at(5), Packet: 9}, {Kind: conformance.EventDNSAnswer, Time: at(5.01), Packet: 10},
					{Kind: conformance.EventRA, Time: at(600), Packet: 40}, {Kind: conformance.EventDNSQuery, Time: at(900), Packet: 80},
				},
			},
			{
				MAC: "3c:22:fb:00:00:01", Vendor: "Apple, Inc.", FirstSeen: at(10), LastSeen: at(1100), ORO: []uint16{23, 24},
				Counts:      conformance.ClientCounts{RS: 3, InformationRequests: 1, Replies: 1, DNSQueries: 3, RAsReceived: 1},
				DNSOffered:  conformance.DNSOffered{ByRA: []conformance.RAOffer{ra(12, 11, 300)}},
				DNSQueried:  []conformance.DNSUse{{Server: "2001:db8::53", Queries: 3, First: at(20), Last: at(1100), FirstPacket: 15, Offered: true, Stale: 1}},
				DNSValidity: []conformance.Interval{{Server: "2001:db8::53", Via: conformance.ViaRA, From: at(11), To: ptr(at(311))}},
				Verdict:     conformance.VerdictDNSLost, LostAt: ptr(at(311)), FirstDNS: ptr(at(20)),
				Outages: []conformance.Outage{{Start: at(311), DurationSeconds: 889, Servers: []string{"2001:db8::53"}, FIDs: []string{"F1"},
					Cause: "RDNSS expired 300 s after the last RA that reached it (F1)", Evidence: []conformance.Evidence{{Packet: 12, Time: at(11)}}}},
				OutageStats: conformance.OutageStats{Count: 1, WithoutDNSSeconds: 889, LongestSeconds: 889, DNSShare: 0.248},
				Readiness:   conformance.Readiness{IPv6DNSHeld: []string{conformance.ViaRA}, IPv6DNSUsed: true, Summary: "lost its IPv6 DNS and has none at the end"},
				Reason:      "RDNSS expired 300 s after the last RA that reached it; it sent no RS (F1)",
				Evidence:    []conformance.Evidence{{Packet: 12, Time: at(11), Note: "last RA with RDNSS"}, {Time: at(311), Note: "expiry"}},
				Knowledge:   []conformance.Knowledge{{Client: "Apple", Basis: "OUI 3c:22:fb", Behaviour: "3 RS then passive", Source: "field guide §1"}},
				Checked:     []string{"C1", "C4", "C7", "C8", "C9", "F1", "N1", "N3"},
				Findings: []conformance.Finding{
					{ID: "F1", Severity: conformance.SeverityError, Time: at(311), Message: "RA gap longer than the RDNSS lifetime", Evidence: []conformance.Evidence{{Packet: 12, Time: at(11)}}},
					{ID: "C8", Severity: conformance.SeverityError, Time: at(1100), RFC: "RFC 8106 §5.1", Message: "queried 2001:db8::53 after it expired", Evidence: []conformance.Evidence{{Packet: 200, Time: at(1100)}}},
					{ID: "C9", Severity: conformance.SeverityInfo, Time: at(311), Message: "no RS before the RDNSS lifetime ended"},
				},
				Timeline: []conformance.Event{
					{Kind: conformance.EventRS, Time: at(10), Packet: 11}, {Kind: conformance.EventRA, Time: at(11), Packet: 12},
					{Kind: conformance.EventDNSQuery, Time: at(20), Packet: 15}, {Kind: conformance.EventRDNSSExpired, Time: at(311), Detail: "2001:db8::53"},
					{Kind: conformance.EventDNSQuery, Time: at(1100), Packet: 200},
				},
			},
			{
				MAC: "02:aa:bb:cc:dd:ee", Randomized: true, FirstSeen: at(30), LastSeen: at(90),
				Counts: conformance.ClientCounts{InformationRequests: 4}, ORO: []uint16{23}, Checked: []string{"C4", "C5", "N1"},
				Verdict: conformance.VerdictNoDNS, Reason: "4 Information-Requests without a Reply (F9)",
				Findings: []conformance.Finding{{ID: "N1", Severity: conformance.SeverityError, Time: at(90), RFC: "RFC 8415 §18.2.6", Message: "Information-Request never answered",
					Evidence: []conformance.Evidence{{Packet: 20, Time: at(30)}, {Packet: 25, Time: at(31)}, {Packet: 30, Time: at(33)}, {Packet: 41, Time: at(37)}}}},
				Timeline: []conformance.Event{{Kind: conformance.EventInfoRequest, Time: at(30), Packet: 20}, {Kind: conformance.EventInfoRequest, Time: at(31), Packet: 25}, {Kind: conformance.EventInfoRequest, Time: at(33), Packet: 30}, {Kind: conformance.EventInfoRequest, Time: at(37), Packet: 41}},
			},
			{
				MAC: "00:11:22:33:44:55", Vendor: "Cimsys Inc", Hostname: hostile, VendorClass: []string{hostile},
				FirstSeen: at(100), LastSeen: at(101), Counts: conformance.ClientCounts{DAD: 1},
				Verdict: conformance.VerdictInconclusive, Reason: "sent only DAD", Settle: "a DNS query or a DHCPv6 exchange",
				Timeline: []conformance.Event{{Kind: conformance.EventDAD, Time: at(100), Packet: 60, Detail: hostile}},
			},
		},
		Routers: []conformance.Router{
			{
				MAC: "02:00:00:00:01:01", LinkLocal: "fe80::ff:fe00:101", RAs: 3, Unsolicited: 2, Solicited: 1,
				FirstSeen: at(2), LastSeen: at(600), Intervals: conformance.IntervalStats{Count: 1, MinSeconds: 598, MaxSeconds: 598, MeanSeconds: 598},
				LastRA: &conformance.RA{Time: at(600), Packet: 40, Source: "fe80::ff:fe00:101", Destination: "ff02::1", HopLimit: 255, CurHopLimit: 64,
					Other: true, Preference: "medium", RouterLifetimeSeconds: 1800,
					Prefixes:      []conformance.PrefixInfo{{Prefix: "2001:db8:1::/64", OnLink: true, Autonomous: true, ValidSeconds: 86400, PreferredSeconds: 14400}},
					RDNSS:         []conformance.RDNSSInfo{{Servers: []string{"2001:db8::53"}, LifetimeSeconds: 1800}},
					DNSSL:         []conformance.DNSSLInfo{{Domains: []string{"lab.example"}, LifetimeSeconds: 1800}},
					PREF64:        []conformance.PREF64Info{{Prefix: "64:ff9b::/96", LifetimeSeconds: 1800}},
					CaptivePortal: "https://portal.example/?a=1&b=<2>", MTU: 1500},
				Checked: []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10"},
				Findings: []conformance.Finding{{ID: "R5", Severity: conformance.SeverityWarning, Router: "02:00:00:00:01:01", Time: at(2), RFC: "RFC 8106 §5.1",
					Message: "RDNSS lifetime 300 s is under 3 × MaxRtrAdvInterval", Evidence: []conformance.Evidence{{Packet: 12, Time: at(11)}}}},
			},
			{MAC: "00:00:5e:00:01:02", LinkLocal: "fe80::2", RAs: 1, Unsolicited: 1, FirstSeen: at(50), LastSeen: at(50), Findings: []conformance.Finding{},
				Checked: []string{"R1", "R4", "R8", "R9", "R11"}},
		},
		Findings: []conformance.Finding{{ID: "R9", Severity: conformance.SeverityWarning, Router: "00:00:5e:00:01:02", Time: at(50), RFC: "RFC 4861 §6.2.7",
			Message: "routers disagree on the O flag", Evidence: []conformance.Evidence{{Packet: 3, Time: at(2)}, {Packet: 50, Time: at(50)}}}},
		Sent: []conformance.SentRecord{{Time: at(2), Kind: "ra", Destination: "ff02::1", Summary: "O=1, RDNSS", SeenPacket: 3}, {Time: at(300), Kind: "ra", Destination: "ff02::1"}},
	}
}

func TestRenderSample(t *testing.T) {
	prefix := *sampleOut
	if prefix == "" {
		prefix = filepath.Join(t.TempDir(), "sample")
	}
	r := sampleReport()
	for ext, render := range map[string]func(*bytes.Buffer, *conformance.Report) error{
		".html": func(b *bytes.Buffer, r *conformance.Report) error { return HTML(b, r) },
		".md":   func(b *bytes.Buffer, r *conformance.Report) error { return Markdown(b, r) },
		".json": func(b *bytes.Buffer, r *conformance.Report) error { return JSON(b, r) },
	} {
		var b bytes.Buffer
		if err := render(&b, r); err != nil {
			t.Fatalf("render %s: %v", ext, err)
		}
		if err := os.WriteFile(prefix+ext, b.Bytes(), 0o644); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
}

func TestRenderMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, sampleReport()); err != nil {
		t.Fatalf("Markdown: %v", err)
	}
	out := b.String()
	tests := []struct {
		name string
		want string
	}{
		{name: "summary header", want: "| Client MAC | Vendor | Verdict | Outages | Holds DNS via | Offered by RA | Offered by DHCPv6 | Lost at | IPv6-only | Reason |"},
		{name: "lost client row", want: "| 3c:22:fb:00:00:01 | Apple, Inc. | **dns-lost** | 1, 889 s without DNS (75 %), longest 889 s | – | 2001:db8::53 | none (1 request, 1 reply) | 07:05:11.000 (+311.000 s) | lost its IPv6 DNS and has none at the end |"},
		{name: "summary counts", want: "1 dns-lost (0 recovered), 1 no-dns, 1 inconclusive; 1 DNS outage."},
		{name: "outage row", want: "| +311.000 s | ongoing at the end | 889 s | 2001:db8::53 | F1 | no RS | RDNSS expired 300 s after the last RA that reached it (F1) | #12 `frame.number in {12}` |"},
		{name: "evidence filter", want: "Wireshark display filter: `frame.number in {12}`"},
		{name: "DHCPv6 unanswered", want: "none (4 requests, 0 replies)"},
		{name: "randomised vendor", want: "| 02:aa:bb:cc:dd:ee | randomised MAC |"},
		{name: "client section", want: "## Client 3c:22:fb:00:00:01"},
		{name: "finding with packets", want: "| [**N1**](https://github.com/ralab/ralab/blob/main/docs/field-guide.md#n1) | error | +90.000 s | Information-Request never answered | RFC 8415 §18.2.6 | #20, #25, #30, #41 `frame.number in {20 25 30 41}` |"},
		{name: "derived evidence", want: "- derived at +311.000 s: expiry"},
		{name: "matrix", want: "| Client | C1 | C2 | C3 |"},
		{name: "matrix F-id column", want: "| F1 |"},
		{name: "router section", want: "### Router 02:00:00:00:01:01"},
		{name: "router option", want: "  - RDNSS 2001:db8::53, lifetime 1800 s"},
		{name: "link findings", want: "## Link findings"},
		{name: "sent not seen", want: "| not seen |"},
		{name: "escaped hostname", want: "- Hostname: \\<script\\>alert(\"x\")\\</script\\>\\|\\*\\*bold\\*\\* # heading"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(out, tt.want) {
				t.Fatalf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
	for _, bad := range []string{"<script>", "\n# heading"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains unescaped %q", bad)
		}
	}
	// Every table row has as many cells as its header.
	var cols int
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("row has %d separators, header %d: %s", n, cols, line)
		}
	}
}

// walk calls fn for every node under n.
func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

// attr returns the value of n's attribute key.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func TestRenderHTML(t *testing.T) {
	r := sampleReport()
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatalf("HTML: %v", err)
	}
	out := b.String()
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("html.Parse: %v", err)
	}

	var (
		svgs, bands, crosses, lost int
		scripts                    int
		external                   []string
		cells                      = map[string]int{}
		texts                      []string
	)
	walk(doc, func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			texts = append(texts, n.Data)
		case html.ElementNode:
			switch n.Data {
			case "script":
				scripts++
			case "svg":
				svgs++
			case "rect":
				if c := attr(n, "class"); strings.HasPrefix(c, "band-") {
					bands++
				}
			case "g":
				if attr(n, "class") == "k-lost" {
					crosses++
				}
			case "line":
				if attr(n, "class") == "lost" {
					lost++
				}
			case "td":
				if c := attr(n, "class"); strings.HasPrefix(c, "c-") {
					cells[c]++
				}
			case "link", "img", "iframe":
				external = append(external, n.Data)
			}
			for _, a := range n.Attr {
				docLink := n.Data == "a" && strings.HasPrefix(a.Val, FieldGuideURL)
				if (a.Key == "src" || a.Key == "href") && !strings.HasPrefix(a.Val, "#") && !docLink {
					external = append(external, a.Key+"="+a.Val)
				}
			}
		}
	})
	if scripts > 0 {
		t.Errorf("page has %d script elements; the hostile hostname was not escaped", scripts)
	}
	if len(external) > 0 {
		t.Errorf("page refers to external assets: %v", external)
	}
	if diff := cmp.Diff(len(r.Clients), svgs); diff != "" {
		t.Errorf("SVG timelines (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(3, bands); diff != "" {
		t.Errorf("validity bands (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(1, crosses); diff != "" {
		t.Errorf("expiry marks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(1, lost); diff != "" {
		t.Errorf("lost lines (-want +got):\n%s", diff)
	}
	for _, class := range []string{"c-ok", "c-error", "c-warning", "c-info", "c-na"} {
		if cells[class] == 0 {
			t.Errorf("matrix has no %s cell; cells %v", class, cells)
		}
	}
	// Text nodes hold the strings unescaped: the page shows them as
	// they are, markup included, without interpreting them.
	joined := strings.Join(texts, "\x00")
	for _, want := range []string{hostile, "dns-lost", "RDNSS expired 300 s after the last RA that reached it; it sent no RS (F1)",
		"#20", "RFC 8415 §18.2.6", "Captive portal https://portal.example/?a=1&b=<2>"} {
		if !strings.Contains(joined, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	if strings.Contains(out, "<script>") {
		t.Error("raw <script> in the page source")
	}
}

func TestRenderEmptyReport(t *testing.T) {
	r := &conformance.Report{Schema: conformance.SchemaVersion}
	for name, render := range map[string]func(*bytes.Buffer, *conformance.Report) error{
		"html":     func(b *bytes.Buffer, r *conformance.Report) error { return HTML(b, r) },
		"markdown": func(b *bytes.Buffer, r *conformance.Report) error { return Markdown(b, r) },
		"json":     func(b *bytes.Buffer, r *conformance.Report) error { return JSON(b, r) },
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render(&b, r); err != nil {
				t.Fatalf("render: %v", err)
			}
			if b.Len() == 0 {
				t.Fatal("empty output")
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestRenderNilReport(t *testing.T) {
	for name, err := range map[string]error{
		"html":     HTML(io.Discard, nil),
		"markdown": Markdown(io.Discard, nil),
		"json":     JSON(io.Discard, nil),
	} {
		if !errors.Is(err, errNilReport) {
			t.Errorf("%s: error %v, want errNilReport", name, err)
		}
	}
}

func TestRenderWriteErrors(t *testing.T) {
	r := sampleReport()
	for name, err := range map[string]error{
		"html":     HTML(failWriter{}, r),
		"markdown": Markdown(failWriter{}, r),
		"json":     JSON(failWriter{}, r),
	} {
		if !errors.Is(err, errWrite) {
			t.Errorf("%s: error %v, want one wrapping errWrite", name, err)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	want := sampleReport()
	var b bytes.Buffer
	if err := JSON(&b, want); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	got, err := DecodeJSON(&b)
	if err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		schema bool
	}{
		{name: "future version", in: `{"schema":"ralab.report/v2","clients":[]}`, schema: true},
		{name: "no schema", in: `{"clients":[]}`, schema: true},
		{name: "schema not a string", in: `{"schema":1}`},
		{name: "not JSON", in: `<html>`},
		{name: "empty", in: ``},
		{name: "array", in: `[]`},
		{name: "bad field type", in: `{"schema":"ralab.report/v1","packets":"many"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeJSON(strings.NewReader(tt.in))
			if err == nil {
				t.Fatal("DecodeJSON succeeded, want an error")
			}
			if diff := cmp.Diff(tt.schema, errors.Is(err, ErrUnknownSchema)); diff != "" {
				t.Fatalf("errors.Is(%v, ErrUnknownSchema) (-want +got):\n%s", err, diff)
			}
		})
	}
}

func FuzzDecodeJSON(f *testing.F) {
	var b bytes.Buffer
	if err := JSON(&b, sampleReport()); err != nil {
		f.Fatalf("JSON: %v", err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema":"ralab.report/v1","start":"2026-01-01T00:00:00Z","end":"2025-01-01T00:00:00Z","clients":[{"mac":"x","timeline":[{"kind":"RA","time":"2030-01-01T00:00:00Z"}],"dns_validity":[{"server":"s","from":"2020-01-01T00:00:00Z"}]}]}`))
	f.Add([]byte(`{"schema":"ralab.report/v1","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:01:00Z","clients":[{"mac":"x","timeline":[{"kind":"RA","time":"2026-01-01T00:00:00Z"}],"timeline_elided":{"index":-5,"count":3,"from":"2027-01-01T00:00:00Z","to":"2020-01-01T00:00:00Z","kinds":[{"kind":"","count":-1}]},"dns_offered":{"by_ra":[],"by_ra_elided":{"index":99}},"dns_validity":[],"dns_validity_elided":{"index":1}}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := DecodeJSON(bytes.NewReader(in))
		if err != nil {
			return
		}
		for _, render := range []func(*bytes.Buffer, *conformance.Report) error{
			func(b *bytes.Buffer, r *conformance.Report) error { return HTML(b, r) },
			func(b *bytes.Buffer, r *conformance.Report) error { return Markdown(b, r) },
			func(b *bytes.Buffer, r *conformance.Report) error { return JSON(b, r) },
		} {
			var out bytes.Buffer
			if err := render(&out, r); err != nil {
				// Only JSON of values that cannot be encoded may fail.
				var ue *json.UnsupportedValueError
				if !errors.As(err, &ue) {
					t.Fatalf("render: %v", err)
				}
			}
		}
	})
}

func BenchmarkRenderHTML(b *testing.B) {
	r := sampleReport()
	for b.Loop() {
		if err := HTML(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

// largeReport is the sample with n copies of its first client, each with a
// full default timeline of DNS queries two seconds apart.
func largeReport(n int) *conformance.Report {
	r := sampleReport()
	base := r.Clients[0]
	r.Clients = nil
	for i := range n {
		c := base
		c.MAC = fmt.Sprintf("02:00:00:01:%02x:%02x", i>>8, i&0xff)
		c.Timeline = make([]conformance.Event, conformance.DefaultMaxEvents)
		for j := range c.Timeline {
			c.Timeline[j] = conformance.Event{Kind: conformance.EventDNSQuery, Time: r.Start.Add(time.Duration(j) * 2 * time.Second), Packet: j + 1}
		}
		r.Clients = append(r.Clients, c)
	}
	return r
}

// BenchmarkRenderHTMLLarge renders 200 busy clients; the page size per
// client is reported, since it must stay small enough to open.
func BenchmarkRenderHTMLLarge(b *testing.B) {
	r := largeReport(200)
	var n int
	for b.Loop() {
		var buf bytes.Buffer
		if err := HTML(&buf, r); err != nil {
			b.Fatal(err)
		}
		n = buf.Len()
	}
	b.ReportMetric(float64(n)/float64(len(r.Clients)), "bytes/client")
}

func BenchmarkRenderMarkdown(b *testing.B) {
	r := sampleReport()
	for b.Loop() {
		if err := Markdown(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
