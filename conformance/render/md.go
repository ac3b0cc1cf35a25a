package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/ralab/ralab/conformance"
)

// Markdown writes r as a Markdown document (GitHub-flavoured tables):
// a summary table of clients, a client × check matrix, a section per client
// with findings, evidence, DNS offers and use, and a timeline, then the
// routers and link-level findings. Every string from the report is escaped,
// so a hostile hostname cannot inject Markdown or HTML.
func Markdown(w io.Writer, r *conformance.Report) error {
	if r == nil {
		return errNilReport
	}
	m := &mdWriter{w: w}
	m.header(r)
	m.summary(r)
	m.matrix("Client checks", "Client", clientMatrix(r))
	for _, c := range r.Clients {
		m.client(r, c)
	}
	m.ipv4Hosts(r)
	m.routers(r)
	m.linkFindings(r)
	m.sent(r)
	if m.err != nil {
		return fmt.Errorf("conformance: writing Markdown: %w", m.err)
	}
	return nil
}

// mdWriter writes Markdown and keeps the first write error.
type mdWriter struct {
	w   io.Writer
	err error
}

// printf writes formatted text unless an earlier write failed.
func (m *mdWriter) printf(format string, args ...any) {
	if m.err != nil {
		return
	}
	_, m.err = fmt.Fprintf(m.w, format, args...)
}

// row writes one table row of already escaped cells.
func (m *mdWriter) row(cells ...string) {
	m.printf("| %s |\n", strings.Join(cells, " | "))
}

// tableHead writes a table header row and its delimiter row.
func (m *mdWriter) tableHead(cols ...string) {
	m.row(cols...)
	d := make([]string, len(cols))
	for i := range d {
		d[i] = "---"
	}
	m.row(d...)
}

// mdCells escapes each cell with md.
func mdCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = md(c)
	}
	return out
}

// md escapes text from a report for Markdown: ASCII punctuation that can
// start emphasis, code, links, raw HTML, entities or a table cell gets a
// backslash (CommonMark §2.4), and line breaks and other control characters
// become spaces, so a value stays inside its table cell or list item and
// never starts a line (where "#", "+" or "1." would matter).
func md(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune("\\`*_[]<>|~&", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsControl(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// orDash returns s, or an en dash when s is empty.
func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// header writes the title, the capture facts and the verdict counts.
func (m *mdWriter) header(r *conformance.Report) {
	m.printf("# ralab report\n\n")
	m.printf("- Source: %s %s\n", md(r.Source.Kind), md(r.Source.Name))
	m.printf("- Captured: %s to %s (%s)\n", fmtTime(r.Start), fmtTime(r.End), fmtSeconds(round3(r.DurationSeconds)))
	m.printf("- Packets: %d (%d malformed, %d ignored)\n", r.Packets, r.Malformed, r.Ignored)
	if r.Evictions > 0 {
		m.printf("- Clients evicted by the tracking cap: %d\n", r.Evictions)
	}
	m.printf("- Generated: %s, schema %s", fmtTime(r.GeneratedAt), md(r.Schema))
	if r.Generator != "" {
		m.printf(", by %s", md(r.Generator))
	}
	m.printf("\n- Failure ids, checks and verdicts: %s\n\n", FieldGuideURL)
	s := r.Summary
	m.printf("**%s:** %d dns-ok, %d dns-lost (%d recovered), %d no-dns, %d inconclusive; %s. **%s.**",
		plural(len(r.Clients), "client"), s.DNSOK, s.DNSLost, s.Recovered, s.NoDNS, s.Inconclusive,
		plural(s.Outages, "DNS outage"), plural(len(r.Routers), "router"))
	if s.IPv4Only > 0 {
		m.printf(" %s sent no IPv6 at all (listed apart).", plural(s.IPv4Only, "host"))
	}
	m.printf(" A lapse of DNS under %s is no outage.\n\n", fmtSeconds(r.OutageGraceSeconds))
}

// summary writes one table row per client.
func (m *mdWriter) summary(r *conformance.Report) {
	m.printf("## Clients\n\n")
	if len(r.Clients) == 0 {
		m.printf("No clients observed.\n\n")
		return
	}
	m.tableHead("Client MAC", "Vendor", "Verdict", "Outages", "Holds DNS via", "Offered by RA", "Offered by DHCPv6",
		"Lost at", "IPv6-only", "Reason")
	for _, c := range r.Clients {
		m.row(md(c.MAC), md(vendorText(c.Vendor, c.Randomized)), "**"+md(verdictText(c))+"**", md(fmtOutageStats(c)),
			md(orDash(strings.Join(c.DNSSources, ", "))), md(viaRA(c)), md(viaDHCPv6(c)), md(fmtLostAt(r.Start, c)),
			md(c.Readiness.Summary), md(orDash(c.Reason)))
	}
	m.printf("\n")
}

// vendorText describes a MAC's vendor.
func vendorText(vendor string, randomized bool) string {
	switch {
	case randomized:
		return "randomised MAC"
	case vendor == "":
		return "unknown"
	}
	return vendor
}

// matrix writes a check matrix as a table of symbols.
func (m *mdWriter) matrix(title, subject string, cm checkMatrix) {
	if len(cm.Rows) == 0 {
		return
	}
	m.printf("## %s\n\n", title)
	m.printf("ok: the check applies to this capture and raised no finding; ✗ error, ! warning, i info (with counts); · nothing to check.\n\n")
	cols := append([]string{subject}, cm.Columns...)
	m.tableHead(cols...)
	for _, row := range cm.Rows {
		cells := []string{md(row.Subject)}
		for _, c := range row.Cells {
			cells = append(cells, md(cellSymbol(c)))
		}
		m.row(cells...)
	}
	m.printf("\n")
}

// client writes the section of client c.
func (m *mdWriter) client(r *conformance.Report, c conformance.Client) {
	m.printf("## Client %s\n\n", md(c.MAC))
	m.clientFacts(r, c)
	m.printf("\n")
	m.outages(r, c)
	m.addresses(r, c)
	m.printf("### Findings\n\n")
	m.findings(r, c.Findings, false)
	m.evidence(r, c.Evidence)
	m.offers(r, c)
	m.knowledge(c.Knowledge)
	m.timeline(r, c)
}

// clientFacts writes the verdict and what identifies client c.
func (m *mdWriter) clientFacts(r *conformance.Report, c conformance.Client) {
	m.printf("- Verdict: **%s**", md(verdictText(c)))
	if c.LostAt != nil {
		m.printf(", lost at %s", md(fmtLostAt(r.Start, c)))
	}
	m.printf("\n- Reason: %s\n", md(orDash(c.Reason)))
	if c.Settle != "" {
		m.printf("- To settle: %s\n", md(c.Settle))
	}
	if len(c.DNSSources) > 0 {
		m.printf("- Holds DNS via: %s\n", md(strings.Join(c.DNSSources, ", ")))
	}
	m.printf("- Vendor: %s\n", md(vendorText(c.Vendor, c.Randomized)))
	if c.Identified != "" {
		m.printf("- Identified as: %s\n", md(c.Identified))
	}
	if c.Hostname != "" {
		m.printf("- Hostname: %s\n", md(c.Hostname))
	}
	if len(c.DUIDs) > 0 {
		m.printf("- DUIDs: %s\n", md(strings.Join(c.DUIDs, ", ")))
	}
	if len(c.VendorClass) > 0 {
		m.printf("- Vendor class: %s\n", md(strings.Join(c.VendorClass, ", ")))
	}
	m.printf("- DHCPv6 ORO: %s\n", md(fmtORO(c.ORO)))
	if c.PRL != nil {
		m.printf("- DHCPv4 parameter request list: %s\n", md(fmtUint8s(c.PRL)))
	}
	m.printf("- Seen: %s to %s\n", fmtTime(c.FirstSeen), fmtTime(c.LastSeen))
	m.printf("- Sent: %s\n- Received: %s\n", md(fmtSent(c.Counts)), md(fmtReceived(c.Counts)))
	m.printf("- IPv6-only readiness: %s\n", md(c.Readiness.Summary))
	if len(c.IPv4DNS) > 0 {
		m.printf("- IPv4 DNS (no evidence of IPv6 DNS): %s\n", md(conformance.IPv4Servers(c.IPv4DNS)))
	}
}

// addresses writes client c's addresses table.
func (m *mdWriter) addresses(r *conformance.Report, c conformance.Client) {
	if len(c.Addresses) > 0 {
		m.printf("### Addresses\n\n")
		m.tableHead("Address", "Kind", "Learned from", "First seen", "Last seen")
		for _, a := range c.Addresses {
			m.row(md(a.Address), md(a.Kind), md(a.Source), md(fmtRel(r.Start, a.FirstSeen)),
				md(fmtRel(r.Start, a.LastSeen)))
		}
		if c.AddressesDropped > 0 {
			m.printf("\n%d more addresses not kept.\n", c.AddressesDropped)
		}
		m.printf("\n")
	}
}

// evidence writes the evidence list of a verdict.
func (m *mdWriter) evidence(r *conformance.Report, ev []conformance.Evidence) {
	if len(ev) > 0 {
		m.printf("### Evidence\n\n")
		for _, e := range ev {
			m.printf("- %s at %s", md(fmtPackets([]conformance.Evidence{e})), md(fmtRel(r.Start, e.Time)))
			if e.Note != "" {
				m.printf(": %s", md(e.Note))
			}
			m.printf("\n")
		}
		m.filter(ev)
		m.printf("\n")
	}
}

// timeline writes client c's event table.
func (m *mdWriter) timeline(r *conformance.Report, c conformance.Client) {
	if len(c.Timeline) > 0 {
		m.printf("### Timeline\n\n")
		m.tableHead("Time", "Packet", "Event", "Detail")
		for _, row := range timelineRows(r, c) {
			if row.Elided {
				m.row("… "+md(row.Time), row.Packet, "**"+md(row.Kind)+"**", md(row.Detail))
				continue
			}
			m.row(md(row.Time), row.Packet, md(row.Kind), md(row.Detail))
		}
		m.printf("\n")
	}
}

// findings writes a findings table; withSubject adds the client and
// router columns (for link-level findings).
func (m *mdWriter) findings(r *conformance.Report, fs []conformance.Finding, withSubject bool) {
	if len(fs) == 0 {
		m.printf("None.\n\n")
		return
	}
	cols := []string{"ID", "Severity", "Time", "Message", "RFC", "Packets"}
	if withSubject {
		cols = append([]string{"Client", "Router"}, cols...)
	}
	m.tableHead(cols...)
	for _, f := range fs {
		cells := []string{"[**" + md(f.ID) + "**](" + DocURL(f.ID) + ")", md(f.Severity), md(fmtRel(r.Start, f.Time)),
			md(f.Message), md(orDash(f.RFC)), md(orDash(fmtPackets(f.Evidence))) + filterCell(f.Evidence)}
		if withSubject {
			cells = append([]string{md(orDash(f.Client)), md(orDash(f.Router))}, cells...)
		}
		m.row(cells...)
	}
	m.printf("\n")
}

// offers writes the DNS servers offered to c, when they were valid, and
// the servers it queried.
func (m *mdWriter) offers(r *conformance.Report, c conformance.Client) {
	o := c.DNSOffered
	m.printf("### DNS offered\n\n")
	if len(o.ByRA) == 0 && len(o.ByDHCPv6) == 0 {
		m.printf("No DNS server was offered to this client on the wire.\n\n")
	}
	if len(o.ByRA) > 0 {
		m.printf("By RA (RDNSS):\n\n")
		m.tableHead("Server", "Router", "Lifetime", "Offered", "Packet", "Reached", "Expires")
		for i, a := range o.ByRA {
			if e := o.ByRAElided; i == elidedIndex(e, len(o.ByRA)-1) {
				m.row(mdCells(elidedCells(r, e, "RA offers", 7, 3))...)
			}
			exp := "never"
			if a.ExpiresAt != nil {
				exp = fmtRel(r.Start, *a.ExpiresAt)
			}
			m.row(md(a.Server), md(a.Router), md(fmtLifetime(a.LifetimeSeconds)), md(fmtRel(r.Start, a.OfferedAt)),
				"#"+strconv.Itoa(a.Packet), md(a.Reached), md(exp))
		}
		m.printf("\n")
	}
	if len(o.ByDHCPv6) > 0 {
		m.printf("By DHCPv6:\n\n")
		m.tableHead("Servers", "Domains", "DHCPv6 server", "Refresh", "At", "Packet", "Transaction")
		for i, d := range o.ByDHCPv6 {
			if e := o.ByDHCPv6Elided; i == elidedIndex(e, len(o.ByDHCPv6)-1) {
				m.row(mdCells(elidedCells(r, e, "DHCPv6 offers", 7, 4))...)
			}
			refresh := "not sent"
			if d.RefreshTimeSeconds != nil {
				refresh = fmtLifetime(*d.RefreshTimeSeconds)
			}
			server := d.ServerAddress
			if d.ServerDUID != "" {
				server += " (DUID " + d.ServerDUID + ")"
			}
			m.row(md(strings.Join(d.Servers, ", ")), md(orDash(strings.Join(d.Domains, ", "))), md(server), md(refresh),
				md(fmtRel(r.Start, d.At)), "#"+strconv.Itoa(d.Packet), md(d.TransactionID))
		}
		m.printf("\n")
	}
	if len(c.DNSValidity) > 0 {
		m.printf("Valid:\n\n")
		m.tableHead("Server", "Via", "From", "To")
		for i, v := range c.DNSValidity {
			if e := c.DNSValidityElided; i == elidedIndex(e, len(c.DNSValidity)-1) {
				m.row(mdCells(elidedCells(r, e, "intervals", 4, 2))...)
			}
			to := "end of capture"
			if v.To != nil {
				to = fmtRel(r.Start, *v.To)
			}
			m.row(md(v.Server), md(v.Via), md(fmtRel(r.Start, v.From)), md(to))
		}
		m.printf("\n")
	}
	m.printf("### DNS queried\n\n")
	if len(c.DNSQueried) == 0 {
		m.printf("No DNS queries seen from this client.\n\n")
		return
	}
	m.tableHead("Server", "Queries", "Answers", "First", "Last", "First packet", "Offered", "Stale queries")
	for _, q := range c.DNSQueried {
		m.row(md(q.Server), strconv.Itoa(q.Queries), strconv.Itoa(q.Answers), md(fmtRel(r.Start, q.First)),
			md(fmtRel(r.Start, q.Last)), "#"+strconv.Itoa(q.FirstPacket), yesNo(q.Offered), strconv.Itoa(q.Stale))
	}
	m.printf("\n")
}

// yesNo spells a boolean.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// knowledge writes the client-behaviour knowledge a verdict used.
func (m *mdWriter) knowledge(ks []conformance.Knowledge) {
	if len(ks) == 0 {
		return
	}
	m.printf("### Client knowledge used\n\n")
	m.tableHead("Client", "Basis", "Behaviour", "Source")
	for _, k := range ks {
		m.row(md(k.Client), md(k.Basis), md(k.Behaviour), md(k.Source))
	}
	m.printf("\n")
}

// routers writes the router matrix and one section per router.
func (m *mdWriter) routers(r *conformance.Report) {
	m.printf("## Routers\n\n")
	if len(r.Routers) == 0 {
		m.printf("No Router Advertisements observed.\n\n")
		return
	}
	m.matrix("Router checks", "Router", routerMatrix(r))
	for _, rt := range r.Routers {
		m.printf("### Router %s\n\n", md(rt.MAC))
		m.printf("- Vendor: %s\n", md(vendorText(rt.Vendor, false)))
		m.printf("- Link-local: %s\n", md(rt.LinkLocal))
		m.printf("- RAs: %d (%d unsolicited multicast, %d solicited, %d unicast), %s to %s\n",
			rt.RAs, rt.Unsolicited, rt.Solicited, rt.Unicast, fmtTime(rt.FirstSeen), fmtTime(rt.LastSeen))
		if iv := rt.Intervals; iv.Count > 0 {
			m.printf("- Multicast RA gaps: %d, min %s, mean %s, max %s\n", iv.Count,
				fmtSeconds(round3(iv.MinSeconds)), fmtSeconds(round3(iv.MeanSeconds)),
				fmtSeconds(round3(iv.MaxSeconds)))
		}
		if ra := rt.LastRA; ra != nil {
			m.printf("- Last RA: #%d at %s from %s to %s, hop limit %d; flags %s; router lifetime %d s; cur hop limit %d; reachable %d ms; retrans %d ms\n",
				ra.Packet, md(fmtRel(r.Start, ra.Time)), md(ra.Source), md(ra.Destination), ra.HopLimit,
				md(fmtFlags(*ra)),
				ra.RouterLifetimeSeconds, ra.CurHopLimit, ra.ReachableTimeMillis, ra.RetransTimerMillis)
			for _, o := range raOptions(*ra) {
				m.printf("  - %s\n", md(o))
			}
		}
		m.printf("\n#### Findings\n\n")
		m.findings(r, rt.Findings, false)
	}
}

// round3 rounds to milliseconds for display.
func round3(s float64) float64 {
	v, err := strconv.ParseFloat(strconv.FormatFloat(s, 'f', 3, 64), 64)
	if err != nil {
		return s
	}
	return v
}

// linkFindings writes the findings that concern the whole link.
func (m *mdWriter) linkFindings(r *conformance.Report) {
	if len(r.Findings) == 0 {
		return
	}
	m.printf("## Link findings\n\n")
	m.findings(r, r.Findings, true)
}

// sent writes what ralab itself sent and whether the wire showed it.
func (m *mdWriter) sent(r *conformance.Report) {
	if len(r.Sent) == 0 {
		return
	}
	m.printf("## Sent by ralab\n\n")
	m.tableHead("Time", "Kind", "Destination", "Summary", "Seen on the wire")
	for _, s := range r.Sent {
		seen := "not seen"
		if s.SeenPacket != 0 {
			seen = "#" + strconv.Itoa(s.SeenPacket)
		}
		m.row(md(fmtRel(r.Start, s.Time)), md(s.Kind), md(s.Destination), md(orDash(s.Summary)), seen)
	}
	m.printf("\n")
}
