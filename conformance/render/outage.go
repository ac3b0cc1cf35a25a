package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ralab/ralab/conformance"
)

// FieldGuideURL is where the failure ids (F1-F17), checks (R, C, N) and
// verdicts of every report are explained: docs/field-guide.md of the
// repository, one anchor per id.
const FieldGuideURL = "https://github.com/ralab/ralab/blob/main/docs/field-guide.md"

// DocURL returns the field guide's address for id (F5, R2, C7, N1,
// CAPTURE, dns-lost), its anchor being the lower-case id.
func DocURL(id string) string {
	return FieldGuideURL + "#" + strings.ToLower(id)
}

// WiresharkFilter returns the Wireshark display filter that shows the
// given packets ("frame.number in {3 7 9}"), "" when none is a packet.
func WiresharkFilter(packets []int) string {
	var b strings.Builder
	for _, n := range packets {
		if n <= 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(n))
	}
	if b.Len() == 0 {
		return ""
	}
	return "frame.number in {" + b.String() + "}"
}

// evidenceFilter is WiresharkFilter of the packets of ev.
func evidenceFilter(ev []conformance.Evidence) string {
	ns := make([]int, 0, len(ev))
	for _, e := range ev {
		ns = append(ns, e.Packet)
	}
	return WiresharkFilter(ns)
}

// filterCell is the Markdown suffix of a packets cell: the display filter
// as code, or nothing.
func filterCell(ev []conformance.Evidence) string {
	if f := evidenceFilter(ev); f != "" {
		return " `" + f + "`"
	}
	return ""
}

// verdictText names a client's verdict, saying when a loss was recovered.
func verdictText(c conformance.Client) string {
	if c.Verdict == conformance.VerdictDNSLost && c.Recovered {
		return string(c.Verdict) + " (recovered)"
	}
	return string(c.Verdict)
}

// fmtOutageStats summarises a client's outages in a few words.
func fmtOutageStats(c conformance.Client) string {
	s := c.OutageStats
	if s.Count == 0 {
		if c.FirstDNS == nil {
			return "–"
		}
		return "none"
	}
	return fmt.Sprintf("%d, %s without DNS (%.0f %%), longest %s", s.Count, fmtSeconds(round3(s.WithoutDNSSeconds)),
		100*(1-s.DNSShare), fmtSeconds(round3(s.LongestSeconds)))
}

// outageRow formats one outage for a table: start, end, duration,
// servers, cause, packets.
func outageRow(r *conformance.Report, o conformance.Outage) []string {
	end := "ongoing at the end"
	if o.End != nil {
		end = fmtRel(r.Start, *o.End)
	}
	rs := "no RS"
	switch {
	case o.SolicitedBefore && o.SolicitedDuring:
		rs = "RS before and during"
	case o.SolicitedBefore:
		rs = "RS before"
	case o.SolicitedDuring:
		rs = "RS during"
	}
	return []string{fmtRel(r.Start, o.Start), end, fmtSeconds(round3(o.DurationSeconds)),
		orDash(strings.Join(o.Servers, ", ")),
		orDash(strings.Join(o.FIDs, " ")), rs, o.Cause, orDash(fmtPackets(o.Evidence))}
}

// outages writes a client's DNS history: first DNS and every outage.
func (m *mdWriter) outages(r *conformance.Report, c conformance.Client) {
	m.printf("### DNS over the observation\n\n")
	if c.FirstDNS == nil {
		m.printf("It never held IPv6 DNS by the evidence a verdict accepts.\n\n")
		return
	}
	m.printf("First held IPv6 DNS at %s; %s.", md(fmtRel(r.Start, *c.FirstDNS)), md(fmtOutageStats(c)))
	if l := c.OutageStats.Lapses; l > 0 {
		m.printf(" %s under the %s grace (longest %s) not counted.",
			plural(l, "lapse"), fmtSeconds(r.OutageGraceSeconds), fmtSeconds(round3(c.OutageStats.LongestLapseSeconds)))
	}
	m.printf("\n\n")
	if len(c.Outages) == 0 {
		return
	}
	m.tableHead("Start", "End", "Duration", "Servers lost", "Failure", "RS", "Cause", "Packets")
	for _, o := range c.Outages {
		row := outageRow(r, o)
		for i := range row {
			row[i] = md(row[i])
		}
		row[len(row)-1] += filterCell(o.Evidence)
		m.row(row...)
	}
	if c.OutagesDropped > 0 {
		m.printf("\n%d outages in between are counted but not listed.\n", c.OutagesDropped)
	}
	m.printf("\n")
}

// filter writes the display filter of ev as a line of its own.
func (m *mdWriter) filter(ev []conformance.Evidence) {
	if f := evidenceFilter(ev); f != "" {
		m.printf("\nWireshark display filter: `%s`\n", f)
	}
}

// ipv4Hosts lists the hosts that sent no IPv6.
func (m *mdWriter) ipv4Hosts(r *conformance.Report) {
	if len(r.IPv4OnlyHosts) == 0 {
		return
	}
	m.printf("## Hosts without IPv6\n\nThese hosts sent no IPv6 packet: they are not IPv6 clients and get no verdict; on an IPv6-only network they would have no connectivity at all.\n\n")
	m.tableHead("MAC", "Vendor", "Hostname", "IPv4 DNS", "Option 108 requested", "Seen")
	for _, h := range r.IPv4OnlyHosts {
		m.row(md(h.MAC), md(vendorText(h.Vendor, false)), md(orDash(h.Hostname)),
			md(orDash(conformance.IPv4Servers(h.IPv4DNS))),
			yesNo(h.Option108Requested), md(fmtRel(r.Start, h.FirstSeen)+" to "+fmtRel(r.Start, h.LastSeen)))
	}
	m.printf("\n")
}
