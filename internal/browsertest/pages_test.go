package browsertest

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
	"github.com/ralab/ralab/internal/httpstatus"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// sampleReport is a live report of one client that lost DNS once (F5) and
// got it back, with a timeline, an outage and findings with packets.
func sampleReport() *conformance.Report {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	end := at(20)
	lost := at(9)
	ev := func(n int, s float64, note string) conformance.Evidence {
		return conformance.Evidence{Packet: n, Time: at(s), Note: note}
	}
	c := conformance.Client{
		MAC: "02:00:00:00:00:0a", Addresses: []conformance.Address{}, ORO: []uint16{}, FirstSeen: at(0), LastSeen: at(19),
		DNSOffered: conformance.DNSOffered{ByRA: []conformance.RAOffer{}, ByDHCPv6: []conformance.DHCPv6Offer{}},
		DNSQueried: []conformance.DNSUse{{Server: "2001:db8::53", Queries: 3, Answers: 3, First: at(2), Last: at(15), FirstPacket: 4, LastPacket: 14, Offered: true}},
		DNSValidity: []conformance.Interval{
			{Server: "2001:db8::53", Via: conformance.ViaRA, From: at(1), To: &lost},
			{Server: "2001:db8::53", Via: conformance.ViaRA, From: at(12)},
		},
		DNSSources: []string{"2001:db8::53 (RDNSS)"},
		Verdict:    conformance.VerdictDNSLost, LostAt: &lost, Recovered: true,
		Outages: []conformance.Outage{{Start: at(9), End: &end, DurationSeconds: 3, Servers: []string{"2001:db8::53"},
			Cause: "RDNSS lifetime 8 s ran out before the next RA (F5)", FIDs: []string{"F5"}, Evidence: []conformance.Evidence{ev(3, 1, "last offer"), ev(12, 12, "next RA")}}},
		IPv4DNS:  []conformance.DNSUse{},
		Reason:   "RDNSS lifetime 8 s ran out before the next RA (F5)",
		Evidence: []conformance.Evidence{ev(3, 1, "RA with RDNSS lifetime 8 s"), ev(12, 12, "next RA")},
		Findings: []conformance.Finding{{ID: "N2", Severity: conformance.SeverityError, Client: "02:00:00:00:00:0a", Time: at(9),
			Evidence: []conformance.Evidence{ev(3, 1, ""), ev(12, 12, "")}, RFC: "RFC 8106 §5.1", Message: "gap between RAs exceeds the RDNSS lifetime (F5)"}},
		Checked: []string{"C1", "C7"},
		Timeline: []conformance.Event{
			{Kind: conformance.EventRS, Time: at(0.5), Packet: 2},
			{Kind: conformance.EventRA, Time: at(1), Packet: 3, Detail: "RDNSS 2001:db8::53 lifetime 8 s"},
			{Kind: conformance.EventDNSQuery, Time: at(2), Packet: 4},
			{Kind: conformance.EventRDNSSExpired, Time: at(9)},
			{Kind: conformance.EventRA, Time: at(12), Packet: 12},
		},
	}
	return &conformance.Report{
		Schema: conformance.SchemaVersion, GeneratedAt: end, Source: conformance.Source{Kind: conformance.SourceInterface, Name: "eth1"},
		Start: t0, End: end, DurationSeconds: 20, Packets: 14,
		Summary: conformance.Summary{DNSLost: 1, Recovered: 1, Outages: 1},
		Clients: []conformance.Client{c}, Routers: []conformance.Router{}, Findings: []conformance.Finding{},
		IPv4OnlyHosts: []conformance.IPv4Host{},
	}
}

// renderChecked renders html in Chromium and fails on console messages
// and on each of want missing from the DOM.
func renderChecked(t *testing.T, html []byte, want ...string) string {
	t.Helper()
	netlabtest.RequireTool(t, Browser, "chromium")
	p, err := Render(context.Background(), html)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range p.Console {
		t.Errorf("console: %s", m)
	}
	for _, w := range want {
		if !strings.Contains(p.DOM, w) {
			t.Errorf("rendered DOM lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", p.DOM)
	}
	return p.DOM
}

// TestReportHTMLInBrowser renders a report page, as "ralab analyze
// --format html" and /report/<if> serve it.
func TestReportHTMLInBrowser(t *testing.T) {
	var b bytes.Buffer
	if err := render.HTML(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	renderChecked(t, b.Bytes(),
		"02:00:00:00:00:0a", "dns-lost", "eth1", "<svg", "F5", "2001:db8::53")
}

// TestStatusIndexInBrowser renders the HTTP index page of "ralab serve".
func TestStatusIndexInBrowser(t *testing.T) {
	h := httpstatus.Handler(prometheus.NewRegistry(), httpstatus.Options{Reports: func() []string { return []string{"eth1"} }})
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Accept", "text/html")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	renderChecked(t, rec.Body.Bytes(), `<a href="/metrics">/metrics</a>`, `<a href="/report/eth1">/report/eth1</a>`, `<a href="/ra">/ra</a>`)
}
