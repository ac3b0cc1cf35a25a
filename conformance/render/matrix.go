package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ralab/ralab/conformance"
)

// States of one cell in a check matrix.
const (
	cellError   = "error"
	cellWarning = "warning"
	cellInfo    = "info"
	cellOK      = "ok"
	cellNA      = "na"
)

// matrixCell is one subject × check cell.
type matrixCell struct {
	// State is one of the cell* constants.
	State string
	// Findings counts the findings behind the state.
	Findings int
	// Title explains the cell in words (a tooltip).
	Title string
}

// matrixRow is one client or router with one cell per column.
type matrixRow struct {
	Subject string
	Cells   []matrixCell
}

// checkMatrix is a table of subjects × check ids.
type checkMatrix struct {
	Columns []string
	Rows    []matrixRow
}

// Check ids of the field guide §3, in order.
var (
	clientCheckIDs = []string{
		"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C11", "C12", "N1", "N2", "N3",
	}
	routerCheckIDs = []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11"}
)

// severityRank orders severities; higher is worse.
func severityRank(s string) int {
	switch s {
	case conformance.SeverityError:
		return 3
	case conformance.SeverityWarning:
		return 2
	case conformance.SeverityInfo:
		return 1
	}
	return 0
}

// cellFor builds the cell for one check from the subject's findings and
// whether the observer evaluated the check on it (Client.Checked,
// Router.Checked).
func cellFor(id string, findings []conformance.Finding, checked bool) matrixCell {
	var worst string
	var msgs []string
	n := 0
	for _, f := range findings {
		if f.ID != id {
			continue
		}
		n++
		msgs = append(msgs, f.Severity+": "+f.Message)
		if severityRank(f.Severity) > severityRank(worst) {
			worst = f.Severity
		}
	}
	switch {
	case n > 0:
		state := cellInfo
		switch worst {
		case conformance.SeverityError:
			state = cellError
		case conformance.SeverityWarning:
			state = cellWarning
		}
		return matrixCell{State: state, Findings: n, Title: id + ": " + strings.Join(msgs, "; ")}
	case checked:
		return matrixCell{State: cellOK, Title: id + ": evaluated on this capture, no finding"}
	}
	return matrixCell{State: cellNA, Title: id + ": not evaluated: nothing in the capture for this check to look at"}
}

// extraIDs returns ids of findings that are not in base, sorted by their
// letter and number.
func extraIDs(base []string, findings ...[]conformance.Finding) []string {
	var out []string
	for _, fs := range findings {
		for _, f := range fs {
			if !slices.Contains(base, f.ID) && !slices.Contains(out, f.ID) {
				out = append(out, f.ID)
			}
		}
	}
	slices.SortFunc(out, conformance.CompareIDs)
	return out
}

// clientMatrix builds the client × check matrix of r.
func clientMatrix(r *conformance.Report) checkMatrix {
	var all [][]conformance.Finding
	for _, c := range r.Clients {
		all = append(all, c.Findings, linkFindingsOf(r, c.MAC, ""))
	}
	m := checkMatrix{Columns: append(slices.Clone(clientCheckIDs), extraIDs(clientCheckIDs, all...)...)}
	for _, c := range r.Clients {
		row := matrixRow{Subject: c.MAC}
		fs := append(slices.Clone(c.Findings), linkFindingsOf(r, c.MAC, "")...)
		for _, id := range m.Columns {
			row.Cells = append(row.Cells, cellFor(id, fs, slices.Contains(c.Checked, id)))
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// routerMatrix builds the router × check matrix of r.
func routerMatrix(r *conformance.Report) checkMatrix {
	var all [][]conformance.Finding
	for _, rt := range r.Routers {
		all = append(all, rt.Findings, linkFindingsOf(r, "", rt.MAC))
	}
	m := checkMatrix{Columns: append(slices.Clone(routerCheckIDs), extraIDs(routerCheckIDs, all...)...)}
	for _, rt := range r.Routers {
		row := matrixRow{Subject: rt.MAC}
		fs := append(slices.Clone(rt.Findings), linkFindingsOf(r, "", rt.MAC)...)
		for _, id := range m.Columns {
			row.Cells = append(row.Cells, cellFor(id, fs, slices.Contains(rt.Checked, id)))
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// cellSymbol is the one-character form of a cell state for text output.
func cellSymbol(c matrixCell) string {
	switch c.State {
	case cellError:
		return fmt.Sprintf("✗%d", c.Findings)
	case cellWarning:
		return fmt.Sprintf("!%d", c.Findings)
	case cellInfo:
		return fmt.Sprintf("i%d", c.Findings)
	case cellOK:
		return "ok"
	}
	return "·"
}

// linkFindingsOf returns the link-level findings of r that name the client
// or router MAC given (an empty MAC matches nothing).
func linkFindingsOf(r *conformance.Report, client, router string) []conformance.Finding {
	var out []conformance.Finding
	for _, f := range r.Findings {
		if (client != "" && f.Client == client) || (router != "" && f.Router == router) {
			out = append(out, f)
		}
	}
	return out
}
