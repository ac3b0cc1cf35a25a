package render

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/ralab/ralab/conformance"
)

// htmlTemplateText is the report page: one self-contained file with inline
// CSS and SVG, no scripts and no external assets.
//
//go:embed html.tmpl
var htmlTemplateText string

// htmlTemplate is parsed once; html/template escapes every value by
// context, so strings from the wire (hostnames, domains, vendor classes)
// cannot inject markup.
var htmlTemplate = template.Must(template.New("report").
	Funcs(template.FuncMap{"tbl": newHTMLTable, "doc": DocURL}).
	Parse(htmlTemplateText))

// htmlTable is a plain table of strings.
type htmlTable struct {
	Caption string
	Head    []string
	Rows    [][]string
}

// newHTMLTable builds an htmlTable; head separates column names with "|".
func newHTMLTable(caption, head string, rows [][]string) htmlTable {
	return htmlTable{Caption: caption, Head: strings.Split(head, "|"), Rows: rows}
}

// HTML writes r as one self-contained HTML page: a summary table, a
// coloured client × check matrix (and router × check matrix), and per
// client an inline SVG timeline of RS, RA, DHCPv6 and DNS events with bands
// for when each DNS server was valid, its findings with packet numbers,
// its DNS offers and queries; then routers and link-level findings.
func HTML(w io.Writer, r *conformance.Report) error {
	if r == nil {
		return errNilReport
	}
	if err := htmlTemplate.Execute(w, newHTMLView(r)); err != nil {
		return fmt.Errorf("conformance: writing HTML: %w", err)
	}
	return nil
}

// htmlView is the data the template renders.
type htmlView struct {
	R            *conformance.Report
	FieldGuide   string
	Captured     string
	Generated    string
	Clients      []htmlClient
	ClientMatrix checkMatrix
	RouterMatrix checkMatrix
	Routers      []htmlRouter
	Findings     []htmlFinding
	Sent         []htmlSent
}

// htmlClient is one client's section.
type htmlClient struct {
	C            conformance.Client
	Anchor       string
	VerdictClass string
	Vendor       string
	ViaRA        string
	ViaDHCPv6    string
	LostAt       string
	Facts        []htmlFact
	Findings     []htmlFinding
	Evidence     []htmlEvidence
	// EvidenceFilter is the Wireshark display filter of Evidence.
	EvidenceFilter string
	// Verdict names the verdict, saying when a loss was recovered.
	Verdict string
	// OutageStats summarises the outages; Outages are their rows.
	OutageStats string
	Outages     []htmlOutage
	FirstDNS    string
	Timeline    *svgTimeline
	RAOffers    [][]string
	DHCPOffers  [][]string
	Queries     [][]string
	Validity    [][]string
	// Events are the first htmlMaxEvents rows of the event table, the
	// summary of events the cap did not keep included.
	Events []timelineRow
	// EventsOmitted counts timeline events left out of Events.
	EventsOmitted int
}

// htmlMaxEvents bounds each client's event table in the page, which must
// stay small enough to open with thousands of clients; the JSON and
// Markdown reports list every event.
const htmlMaxEvents = 100

// htmlOutage is one row of a client's outage table.
type htmlOutage struct {
	Cells  []string
	FIDs   []string
	Filter string
}

// htmlFact is one labelled fact.
type htmlFact struct {
	Label, Value string
}

// htmlFinding is one finding, formatted.
type htmlFinding struct {
	F        conformance.Finding
	Class    string
	Rel      string
	Subject  string
	Evidence []htmlEvidence
	// Filter is the Wireshark display filter of the evidence.
	Filter string
}

// htmlEvidence is one evidence packet, formatted.
type htmlEvidence struct {
	Packet, Rel, Note string
}

// htmlRouter is one router's section.
type htmlRouter struct {
	R        conformance.Router
	Vendor   string
	Facts    []htmlFact
	Options  []string
	Findings []htmlFinding
}

// htmlSent is one record of what ralab sent.
type htmlSent struct {
	Rel, Kind, Destination, Summary, Seen string
}

// clientVerdictClass is verdictClass, with its own class for a loss the
// client recovered from (never the class of dns-ok).
func clientVerdictClass(c conformance.Client) string {
	if c.Verdict == conformance.VerdictDNSLost && c.Recovered {
		return "v-recovered"
	}
	return verdictClass(c.Verdict)
}

// verdictClass maps a verdict to a CSS class.
func verdictClass(v conformance.Verdict) string {
	switch v {
	case conformance.VerdictDNSOK:
		return "v-ok"
	case conformance.VerdictDNSLost:
		return "v-lost"
	case conformance.VerdictNoDNS:
		return "v-none"
	}
	return "v-unknown"
}

// severityClass maps a severity to a CSS class.
func severityClass(s string) string {
	switch s {
	case conformance.SeverityError:
		return "s-error"
	case conformance.SeverityWarning:
		return "s-warning"
	}
	return "s-info"
}

// newHTMLView formats r for the page template.
func newHTMLView(r *conformance.Report) htmlView {
	v := htmlView{
		R:          r,
		FieldGuide: FieldGuideURL,
		Captured: fmt.Sprintf("%s to %s (%s)", fmtTime(r.Start), fmtTime(r.End),
			fmtSeconds(round3(r.DurationSeconds))),
		Generated:    fmtTime(r.GeneratedAt),
		ClientMatrix: clientMatrix(r),
		RouterMatrix: routerMatrix(r),
		Findings:     htmlFindings(r, r.Findings, true),
	}
	for i, c := range r.Clients {
		v.Clients = append(v.Clients, newHTMLClient(r, i, c))
	}
	for _, rt := range r.Routers {
		v.Routers = append(v.Routers, newHTMLRouter(r, rt))
	}
	for _, s := range r.Sent {
		seen := "not seen"
		if s.SeenPacket != 0 {
			seen = "#" + strconv.Itoa(s.SeenPacket)
		}
		v.Sent = append(v.Sent, htmlSent{Rel: fmtRel(r.Start, s.Time), Kind: s.Kind, Destination: s.Destination,
			Summary: s.Summary, Seen: seen})
	}
	return v
}

// htmlEvidenceList formats evidence packets with times relative to the
// capture start.
func htmlEvidenceList(r *conformance.Report, ev []conformance.Evidence) []htmlEvidence {
	var out []htmlEvidence
	for _, e := range ev {
		p := "derived"
		if e.Packet != 0 {
			p = "#" + strconv.Itoa(e.Packet)
		}
		out = append(out, htmlEvidence{Packet: p, Rel: fmtRel(r.Start, e.Time), Note: e.Note})
	}
	return out
}

// htmlFindings formats findings; withSubject names the client or router
// each concerns (for link-level findings).
func htmlFindings(r *conformance.Report, fs []conformance.Finding, withSubject bool) []htmlFinding {
	var out []htmlFinding
	for _, f := range fs {
		hf := htmlFinding{F: f, Class: severityClass(f.Severity), Rel: fmtRel(r.Start, f.Time),
			Evidence: htmlEvidenceList(r, f.Evidence), Filter: evidenceFilter(f.Evidence)}
		if withSubject {
			var s []string
			if f.Client != "" {
				s = append(s, "client "+f.Client)
			}
			if f.Router != "" {
				s = append(s, "router "+f.Router)
			}
			hf.Subject = strings.Join(s, ", ")
		}
		out = append(out, hf)
	}
	return out
}

// newHTMLClient formats client c, the i-th of r, for its section.
func newHTMLClient(r *conformance.Report, i int, c conformance.Client) htmlClient {
	hc := htmlClient{
		C:            c,
		Anchor:       "client-" + strconv.Itoa(i+1),
		VerdictClass: clientVerdictClass(c),
		Vendor:       vendorText(c.Vendor, c.Randomized),
		ViaRA:        viaRA(c),
		ViaDHCPv6:    viaDHCPv6(c),
		LostAt:       fmtLostAt(r.Start, c),
		Findings:     htmlFindings(r, c.Findings, false),
		Evidence:     htmlEvidenceList(r, c.Evidence),
		Timeline:     buildTimeline(r, c),
		Verdict:      verdictText(c),
		OutageStats:  fmtOutageStats(c),
	}
	hc.EvidenceFilter = evidenceFilter(c.Evidence)
	if c.FirstDNS != nil {
		hc.FirstDNS = fmtRel(r.Start, *c.FirstDNS)
	}
	for _, o := range c.Outages {
		row := outageRow(r, o)
		hc.Outages = append(hc.Outages,
			htmlOutage{Cells: append(row[:4:4], row[5:]...), FIDs: o.FIDs, Filter: evidenceFilter(o.Evidence)})
	}
	hc.Facts = clientFacts(hc.Vendor, c)
	hc.addTables(r, c)
	return hc
}

// clientFacts lists the facts of client c's section that it has, with
// vendor its vendor text.
func clientFacts(vendor string, c conformance.Client) []htmlFact {
	var facts []htmlFact
	add := func(label, value string) {
		if value != "" {
			facts = append(facts, htmlFact{label, value})
		}
	}
	add("Vendor", vendor)
	add("Identified as", c.Identified)
	add("Hostname", c.Hostname)
	add("DUIDs", strings.Join(c.DUIDs, ", "))
	add("Vendor class", strings.Join(c.VendorClass, ", "))
	add("DHCPv6 ORO", fmtORO(c.ORO))
	if c.PRL != nil {
		add("DHCPv4 PRL", fmtUint8s(c.PRL))
	}
	var addrs []string
	for _, a := range c.Addresses {
		addrs = append(addrs, a.Address+" ("+a.Kind+")")
	}
	add("Addresses", strings.Join(addrs, ", "))
	add("Seen", fmtTime(c.FirstSeen)+" to "+fmtTime(c.LastSeen))
	add("Sent", fmtSent(c.Counts))
	add("Received", fmtReceived(c.Counts))
	add("IPv6-only readiness", c.Readiness.Summary)
	if len(c.IPv4DNS) > 0 {
		add("IPv4 DNS (no evidence of IPv6 DNS)", conformance.IPv4Servers(c.IPv4DNS))
	}
	return facts
}

// addTables adds the tables of client c's section: DNS offers, queries,
// validity intervals and events.
func (hc *htmlClient) addTables(r *conformance.Report, c conformance.Client) {
	for _, o := range c.DNSOffered.ByRA {
		exp := "never"
		if o.ExpiresAt != nil {
			exp = fmtRel(r.Start, *o.ExpiresAt)
		}
		hc.RAOffers = append(hc.RAOffers, []string{o.Server, o.Router, fmtLifetime(o.LifetimeSeconds),
			fmtRel(r.Start, o.OfferedAt), "#" + strconv.Itoa(o.Packet), o.Reached, exp})
	}
	for _, o := range c.DNSOffered.ByDHCPv6 {
		refresh := "not sent"
		if o.RefreshTimeSeconds != nil {
			refresh = fmtLifetime(*o.RefreshTimeSeconds)
		}
		server := o.ServerAddress
		if o.ServerDUID != "" {
			server += " (DUID " + o.ServerDUID + ")"
		}
		hc.DHCPOffers = append(hc.DHCPOffers,
			[]string{strings.Join(o.Servers, ", "), orDash(strings.Join(o.Domains, ", ")),
				server, refresh, fmtRel(r.Start, o.At), "#" + strconv.Itoa(o.Packet), o.TransactionID})
	}
	hc.RAOffers = insertElided(hc.RAOffers, r, c.DNSOffered.ByRAElided, "RA offers", 3)
	hc.DHCPOffers = insertElided(hc.DHCPOffers, r, c.DNSOffered.ByDHCPv6Elided, "DHCPv6 offers", 4)
	for _, q := range c.DNSQueried {
		hc.Queries = append(hc.Queries, []string{q.Server, strconv.Itoa(q.Queries), strconv.Itoa(q.Answers),
			fmtRel(r.Start, q.First), fmtRel(r.Start, q.Last), "#" + strconv.Itoa(q.FirstPacket), yesNo(q.Offered),
			strconv.Itoa(q.Stale)})
	}
	for _, iv := range c.DNSValidity {
		to := "end of capture"
		if iv.To != nil {
			to = fmtRel(r.Start, *iv.To)
		}
		hc.Validity = append(hc.Validity, []string{iv.Server, iv.Via, fmtRel(r.Start, iv.From), to})
	}
	hc.Validity = insertElided(hc.Validity, r, c.DNSValidityElided, "intervals", 2)
	shown := 0
	for _, row := range timelineRows(r, c) {
		if !row.Elided {
			if shown == htmlMaxEvents {
				break
			}
			shown++
		}
		hc.Events = append(hc.Events, row)
	}
	hc.EventsOmitted = len(c.Timeline) - shown
}

// newHTMLRouter formats router rt for its section.
func newHTMLRouter(r *conformance.Report, rt conformance.Router) htmlRouter {
	hr := htmlRouter{R: rt, Vendor: vendorText(rt.Vendor, false), Findings: htmlFindings(r, rt.Findings, false)}
	add := func(label, value string) { hr.Facts = append(hr.Facts, htmlFact{label, value}) }
	add("Vendor", hr.Vendor)
	add("Link-local", rt.LinkLocal)
	add("RAs", fmt.Sprintf("%d (%d unsolicited multicast, %d solicited, %d unicast)",
		rt.RAs, rt.Unsolicited, rt.Solicited, rt.Unicast))
	add("Seen", fmtTime(rt.FirstSeen)+" to "+fmtTime(rt.LastSeen))
	if iv := rt.Intervals; iv.Count > 0 {
		add("Multicast RA gaps", fmt.Sprintf("%d: min %s, mean %s, max %s", iv.Count,
			fmtSeconds(round3(iv.MinSeconds)), fmtSeconds(round3(iv.MeanSeconds)), fmtSeconds(round3(iv.MaxSeconds))))
	}
	if ra := rt.LastRA; ra != nil {
		add("Last RA", fmt.Sprintf("#%d at %s from %s to %s, hop limit %d", ra.Packet, fmtRel(r.Start, ra.Time),
			ra.Source, ra.Destination, ra.HopLimit))
		add("Flags", fmtFlags(*ra))
		add("Router lifetime", strconv.Itoa(int(ra.RouterLifetimeSeconds))+" s")
		add("Cur hop limit, reachable, retrans",
			fmt.Sprintf("%d, %d ms, %d ms", ra.CurHopLimit, ra.ReachableTimeMillis, ra.RetransTimerMillis))
		hr.Options = raOptions(*ra)
	}
	return hr
}
