package matrix

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
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

// wiresharkFilter is a Wireshark/tshark display filter that selects the
// packets ev, so a reader can open exactly the evidence.
func wiresharkFilter(ev []int) string {
	n := make([]string, len(ev))
	for i, p := range ev {
		n[i] = strconv.Itoa(p)
	}
	return "frame.number in {" + strings.Join(n, " ") + "}"
}

// cellText is a cell's one-line summary: the verdict, the actual state
// when it differs, and the failure ids.
func cellText(c Cell) string {
	s := c.Verdict
	if !c.Agree {
		s += " ≠ client " + string(c.Actual)
	}
	if len(c.FIDs) > 0 {
		s += " (" + strings.Join(c.FIDs, ", ") + ")"
	}
	if c.ExpectationMissed() {
		s += " [expected " + c.Expected + "]"
	}
	return s
}

// mdEscape keeps text from breaking a Markdown table.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// mdMark is the marker of a cell in the Markdown table.
func mdMark(c Cell) string {
	switch {
	case !c.Agree:
		return "⚠️"
	case c.Verdict == verdictDNSOK:
		return "✅"
	}
	return "❌"
}

// WriteMarkdown writes the matrix as Markdown: a scenario × client table
// of verdicts, the disagreements, then every cell without DNS with its
// reason, failure ids and packets.
func (m *Matrix) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# ralab compatibility matrix\n\n")
	fmt.Fprintf(&b, "Configuration %s, %d scenarios × %d clients, %s. Observer and client agree in %d of %d cells; **%d disagreements**.\n\n",
		m.Config, len(m.Scenarios), len(m.Clients), m.GeneratedAt.UTC().Format(time.RFC3339), m.Agree, m.Agree+m.Disagree, m.Disagree)
	b.WriteString("Each cell is the observer's verdict from the wire, with the failure ids it names; `≠ client X` marks a disagreement with the client's real resolver state, `[expected X]` a cell that contradicts the scenario file's expectation for that client.\n\n")
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
	if d := m.Disagreements(); len(d) > 0 {
		b.WriteString("\n## Disagreements\n\n| scenario | client | observer | client held | reason |\n|---|---|---|---|---|\n")
		for _, c := range d {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdEscape(c.Scenario), mdEscape(c.Client), c.Verdict, c.Actual, mdEscape(c.Reason))
		}
	}
	b.WriteString("\n## Cells without DNS\n\n| scenario | client | verdict | lost at | findings | packets | reason |\n|---|---|---|---|---|---|---|\n")
	for _, c := range m.Cells {
		if c.Verdict == verdictDNSOK {
			continue
		}
		lost := ""
		if c.LostAt != nil {
			lost = c.LostAt.UTC().Format("15:04:05.000")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s %s | %s |\n", mdEscape(c.Scenario), mdEscape(c.Client), c.Verdict, lost,
			strings.Join(c.Findings, ", "), c.Pcapng, packets(c.Evidence), mdEscape(c.Reason))
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	return nil
}

//go:embed matrix.html.tmpl
var htmlText string

// htmlTmpl renders WriteHTML.
var htmlTmpl = template.Must(template.New("matrix").Funcs(template.FuncMap{
	"packets": packets,
	"filter":  wiresharkFilter,
	"clock": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("15:04:05.000")
	},
	"class": func(c Cell) string {
		switch {
		case !c.Agree:
			return "disagree"
		case c.Verdict == verdictDNSOK:
			return "ok"
		case c.Verdict == verdictInconclusive:
			return "unknown"
		}
		return "bad"
	},
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
