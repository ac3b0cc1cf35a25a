package matrix

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
)

// maxPackets bounds the packet numbers shown in one rendered cell.
const maxPackets = 5

// packets formats up to maxPackets packet numbers as "#1, #2".
func packets(ev []int) string {
	var s []string
	for i, p := range ev {
		if i == maxPackets {
			s = append(s, fmt.Sprintf("+%d", len(ev)-maxPackets))
			break
		}
		s = append(s, "#"+strconv.Itoa(p))
	}
	return strings.Join(s, ", ")
}

// cellText is a cell's one-line summary: the verdict (with recovery,
// outage count and time without DNS), the client's state when it
// differs, the failure ids, the wire-only verdict when it differs and a
// missed expectation.
func cellText(c Cell) string {
	s := verdictText(c.Verdict, c.Recovered)
	if c.Outages > 0 {
		s += fmt.Sprintf(" (%d outage%s, %s without DNS)", c.Outages, plural(c.Outages), seconds(c.WithoutDNSSeconds))
	}
	switch {
	case c.Unsettled != "":
		s += " ≈ client " + actualText(c.Actual, c.ActualRecovered) + " (unsettled)"
	case !c.Agree:
		s += " ≠ client " + actualText(c.Actual, c.ActualRecovered)
	}
	if len(c.FIDs) > 0 {
		s += " (" + strings.Join(c.FIDs, ", ") + ")"
	}
	if c.DependsOnKnowledge {
		s += " [wire alone: " + verdictText(c.WireVerdict, c.WireRecovered) + "]"
	}
	if c.ExpectationMissed() != "" {
		s += " [expected " + c.Expected + "]"
	}
	return s
}

// actualText is what the client held, worded as verdictText words the
// observer's verdict.
func actualText(a Actual, recovered bool) string {
	return verdictText(conformance.Verdict(a), recovered)
}

// verdictText is a verdict with ", recovered" for a recovered loss.
func verdictText(v conformance.Verdict, recovered bool) string {
	if v == conformance.VerdictDNSLost && recovered {
		return string(v) + ", recovered"
	}
	return string(v)
}

// plural returns "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// seconds formats a duration in seconds, as "12 s" or "2.5 s".
func seconds(s float64) string {
	return strconv.FormatFloat(s, 'f', -1, 64) + " s"
}

// colour is a cell's colour class, from the observer's verdict: green
// (ok) only for dns-ok, amber (recovered) for a recovered loss, red
// (lost) for a loss without recovery, dark red (nodns) for no DNS, grey
// (unknown) for inconclusive and unseen. A dns-ok verdict on a client
// that really lost DNS or never had it takes the client's colour: a cell
// that lost DNS is never green. Disagreement and unsettledness are marked
// apart (mark).
func colour(c Cell) string {
	if c.Verdict == conformance.VerdictDNSOK && !c.Agree && (c.Actual == ActualDNSLost || c.Actual == ActualNoDNS) {
		return verdictColour(conformance.Verdict(c.Actual), c.ActualRecovered)
	}
	return verdictColour(c.Verdict, c.Recovered)
}

// verdictColour is the colour class of a verdict.
func verdictColour(v conformance.Verdict, recovered bool) string {
	switch {
	case v == conformance.VerdictDNSOK:
		return "ok"
	case v == conformance.VerdictDNSLost && recovered:
		return "recovered"
	case v == conformance.VerdictDNSLost:
		return "lost"
	case v == conformance.VerdictNoDNS:
		return "nodns"
	}
	return "unknown"
}

// mark is a cell's agreement class: "disagree", "unsettled" or "".
func mark(c Cell) string {
	switch {
	case c.Agree:
		return ""
	case c.Unsettled != "":
		return "unsettled"
	}
	return "disagree"
}

// mdEscape keeps text from breaking a Markdown table.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// mdMarks are the Markdown markers of the colour classes.
var mdMarks = map[string]string{"ok": "✅", "recovered": "🟠", "lost": "❌", "nodns": "⛔", "unknown": "❔"}

// mdMark is the marker of a cell in the Markdown table: its colour, then
// a warning sign for a disagreement or a wave for an unsettled cell.
func mdMark(c Cell) string {
	s := mdMarks[colour(c)]
	switch mark(c) {
	case "disagree":
		s += "⚠️"
	case "unsettled":
		s += "〰️"
	}
	return s
}

// WriteMarkdown writes the matrix as Markdown: a scenario × client table
// of verdicts, the disagreements, unsettled cells, missed expectations
// and knowledge-dependent cells, then every cell that lost DNS or never
// had it with its reason, failure ids and packets.
func (m *Matrix) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# ralab compatibility matrix\n\n")
	fmt.Fprintf(&b, "Configuration %s, %d scenarios × %d clients, %s. Observer and client agree in %d of %d cells; **%d disagreements**, %d unsettled; %d verdicts depend on client knowledge.\n\n",
		m.Config, len(m.Scenarios), len(m.Clients), m.GeneratedAt.UTC().Format(time.RFC3339),
		m.Agree, len(m.Cells), m.Disagree, m.Unsettled, m.KnowledgeDependent)
	b.WriteString("Each cell is the observer's verdict over the whole capture (as `ralab analyze` of the scenario's pcapng gives it), with its outages and the failure ids it names. " +
		"✅ DNS throughout, 🟠 lost and recovered, ❌ lost, ⛔ never had DNS, ❔ inconclusive or unseen; " +
		"⚠️ `≠ client X` marks a disagreement with the client's real resolver state, 〰️ `≈ client X` an unsettled cell (a change at the very end, or a lapse too close to the grace to call), " +
		"`[wire alone: X]` a verdict that depends on client knowledge, `[expected X]` a cell that contradicts the scenario file's expectation.\n\n")
	m.mdTable(&b)
	if len(m.Missing) > 0 {
		b.WriteString("\nNot installed:")
		for _, x := range m.Missing {
			fmt.Fprintf(&b, " %s (Debian package %s);", x.Name, x.Package)
		}
		b.WriteString("\n")
	}
	var failed []Scenario
	for _, s := range m.Scenarios {
		if s.Error != "" {
			failed = append(failed, s)
		}
	}
	if len(failed) > 0 {
		b.WriteString("\n## Failed runs\n\n")
		for _, s := range failed {
			fmt.Fprintf(&b, "- %s: %s\n", s.Name, mdEscape(s.Error))
		}
	}
	mdCells(&b, "Disagreements", "reason", m.Disagreements(), func(c Cell) string { return c.Reason })
	mdCells(&b, "Unsettled cells", "why unsettled", m.UnsettledCells(), func(c Cell) string { return c.Unsettled })
	mdCells(&b, "Missed expectations", "expected", m.MissedExpectations(),
		func(c Cell) string { return c.Expected + ": " + c.ExpectationMissed() })
	mdCells(&b, "Verdicts that depend on client knowledge", "wire alone; knowledge used", m.KnowledgeCells(), func(c Cell) string {
		return verdictText(c.WireVerdict, c.WireRecovered) + "; " + strings.Join(c.Knowledge, "; ")
	})
	mdCells(&b, "Outage counts that differ", "observer outages; client outages", m.cellsWhere(outageCountsDiffer),
		func(c Cell) string {
			return fmt.Sprintf("%d, %s without DNS; %d, %s without DNS", c.Outages, seconds(c.WithoutDNSSeconds),
				len(c.ActualOutages), seconds(c.ActualWithoutDNSSeconds))
		})
	m.mdLost(&b)
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	return nil
}

// outageCountsDiffer reports whether the observer counted another number
// of outages than the client's samples show, in a cell that agrees on the
// verdict: the same story told in other chapters, worth a look.
func outageCountsDiffer(c Cell) bool {
	return c.Agree && c.Outages != len(c.ActualOutages)
}

// mdTable writes the scenario × client table.
func (m *Matrix) mdTable(b *strings.Builder) {
	b.WriteString("| scenario |")
	for _, c := range m.Clients {
		b.WriteString(" " + mdEscape(c) + " |")
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---|", len(m.Clients)))
	b.WriteString("\n")
	for _, s := range m.Scenarios {
		b.WriteString("| " + mdEscape(s.Name) + " |")
		for _, name := range m.Clients {
			c := m.Cell(s.Name, name)
			if c == nil {
				b.WriteString(" — |")
				continue
			}
			b.WriteString(" " + mdMark(*c) + " " + mdEscape(cellText(*c)) + " |")
		}
		b.WriteString("\n")
	}
}

// mdCells writes a section listing cells with the observer's verdict,
// the client's state and one more column, unless cells is empty.
func mdCells(b *strings.Builder, title, column string, cells []Cell, text func(Cell) string) {
	if len(cells) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## %s\n\n| scenario | client | observer | client held | %s |\n|---|---|---|---|---|\n", title, column)
	for _, c := range cells {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdEscape(c.Scenario), mdEscape(c.Client),
			verdictText(c.Verdict, c.Recovered),
			actualText(c.Actual, c.ActualRecovered), mdEscape(text(c)))
	}
}

// mdLost writes the cells whose verdict is not dns-ok, with their last
// loss, findings, packets and reason.
func (m *Matrix) mdLost(b *strings.Builder) {
	b.WriteString("\n## Cells that lost DNS or never had it\n\n| scenario | client | verdict | outages | last lost at | findings | packets | reason |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range m.Cells {
		if c.Verdict == conformance.VerdictDNSOK {
			continue
		}
		lost := ""
		if c.LostAt != nil {
			lost = c.LostAt.UTC().Format("15:04:05.000")
		}
		outages := ""
		if c.Outages > 0 {
			outages = fmt.Sprintf("%d, %s without DNS", c.Outages, seconds(c.WithoutDNSSeconds))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s %s | %s |\n", mdEscape(c.Scenario), mdEscape(c.Client), verdictText(c.Verdict, c.Recovered),
			outages, lost, strings.Join(c.Findings, ", "), c.Pcapng, packets(c.Evidence), mdEscape(c.Reason))
	}
}

//go:embed matrix.html.tmpl
var htmlText string

// htmlTmpl renders WriteHTML.
var htmlTmpl = template.Must(template.New("matrix").Funcs(template.FuncMap{
	"packets": packets,
	"filter":  render.WiresharkFilter,
	"clock":   func(t *time.Time) string { return clock(t) },
	"colour":  colour,
	"mark":    mark,
	"verdict": verdictText,
	"actual":  actualText,
	"seconds": seconds,
	"missed":  func(c Cell) string { return c.ExpectationMissed() },
}).Parse(htmlText))

// htmlRow is one scenario's row.
type htmlRow struct {
	Scenario Scenario
	Cells    []*Cell
}

// WriteHTML writes the matrix as one self-contained HTML page: colours
// per verdict, disagreements marked, and each cell without DNS naming its
// failure ids and linking the capture with its packet numbers.
func (m *Matrix) WriteHTML(w io.Writer) error {
	var rows []htmlRow
	for _, s := range m.Scenarios {
		r := htmlRow{Scenario: s}
		for _, name := range m.Clients {
			r.Cells = append(r.Cells, m.Cell(s.Name, name))
		}
		rows = append(rows, r)
	}
	if err := htmlTmpl.Execute(w, struct {
		M    *Matrix
		Rows []htmlRow
	}{m, rows}); err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	return nil
}
