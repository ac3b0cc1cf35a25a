package conformance

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	clientCheckIDs = []string{"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C11", "C12", "N1", "N2", "N3"}
	routerCheckIDs = []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11"}
)

// defaultRefreshSeconds is the DHCPv6 IRT_DEFAULT (RFC 8415 §7.6): the
// information refresh time when a Reply carries no option 32.
const defaultRefreshSeconds = 86400

// clientApplies reports whether check id looks at something client c did
// in r, so that the absence of a finding means the check passed. Checks
// without a rule apply only where they raised a finding.
func clientApplies(r *Report, c Client, id string) bool {
	n := c.Counts
	switch id {
	case "C1", "N3":
		return n.RS > 0
	case "C2":
		return n.DAD > 0
	case "C3":
		return n.RAsReceived > 0
	case "C4", "C5", "N1":
		return n.InformationRequests > 0
	case "C6":
		// The refresh can only be judged once the refresh time has
		// passed inside the capture.
		for _, o := range c.DNSOffered.ByDHCPv6 {
			refresh := uint32(defaultRefreshSeconds)
			if o.RefreshTimeSeconds != nil {
				refresh = *o.RefreshTimeSeconds
			}
			if r.End.Sub(o.At).Seconds() > float64(refresh) {
				return true
			}
		}
		return false
	case "C7":
		return n.DNSQueries > 0
	case "C8":
		if n.DNSQueries == 0 {
			return false
		}
		for _, v := range c.DNSValidity {
			if v.To != nil {
				return true
			}
		}
		return false
	case "C9":
		for _, o := range c.DNSOffered.ByRA {
			if o.ExpiresAt != nil && o.LifetimeSeconds != 0 && o.ExpiresAt.Before(r.End) {
				return true
			}
		}
		return false
	case "C10":
		return n.DNSQueries > 0 && len(raServers(c))+len(dhcpServers(c)) > 1
	case "C11":
		// The check looks at the client's queries once PREF64 reached it.
		if n.RAsReceived == 0 || n.DNSQueries == 0 {
			return false
		}
		for _, rt := range r.Routers {
			if rt.LastRA != nil && len(rt.LastRA.PREF64) > 0 {
				return true
			}
		}
		return false
	case "C12":
		return c.PRL != nil
	case "N2":
		return len(c.DNSOffered.ByRA) > 0
	}
	return false
}

// routerApplies reports whether check id looks at something router rt
// did in r; see clientApplies.
func routerApplies(r *Report, rt Router, id string) bool {
	last := rt.LastRA
	switch id {
	case "R1", "R4", "R8":
		return rt.RAs > 0
	case "R2":
		return rt.Intervals.Count > 0
	case "R3":
		for _, c := range r.Clients {
			if c.Counts.RS > 0 {
				return true
			}
		}
		return false
	case "R5":
		if last != nil && len(last.RDNSS) > 0 {
			return true
		}
		for _, c := range r.Clients {
			for _, o := range c.DNSOffered.ByRA {
				if o.Router == rt.MAC {
					return true
				}
			}
		}
		return false
	case "R6":
		return last != nil && len(last.DNSSL) > 0
	case "R7":
		return last != nil && len(last.PREF64) > 0
	case "R9":
		return len(r.Routers) > 1
	case "R10":
		return last != nil && last.CaptivePortal != ""
	}
	return false
}

// severityRank orders severities; higher is worse.
func severityRank(s string) int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// cellFor builds the cell for one check from the subject's findings.
func cellFor(id string, findings []Finding, applies bool) matrixCell {
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
		case SeverityError:
			state = cellError
		case SeverityWarning:
			state = cellWarning
		}
		return matrixCell{State: state, Findings: n, Title: id + ": " + strings.Join(msgs, "; ")}
	case applies:
		return matrixCell{State: cellOK, Title: id + ": applies to this capture, no finding"}
	}
	return matrixCell{State: cellNA, Title: id + ": nothing in the capture for this check to look at"}
}

// extraIDs returns ids of findings that are not in base, sorted by their
// letter and number.
func extraIDs(base []string, findings ...[]Finding) []string {
	var out []string
	for _, fs := range findings {
		for _, f := range fs {
			if !slices.Contains(base, f.ID) && !slices.Contains(out, f.ID) {
				out = append(out, f.ID)
			}
		}
	}
	slices.SortFunc(out, compareIDs)
	return out
}

// compareIDs orders check ids like "C2" < "C10" < "F1".
func compareIDs(a, b string) int {
	pa, na := splitID(a)
	pb, nb := splitID(b)
	if c := cmp.Compare(pa, pb); c != 0 {
		return c
	}
	if c := cmp.Compare(na, nb); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// splitID splits "C10" into "C" and 10.
func splitID(id string) (string, int) {
	i := strings.IndexFunc(id, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 {
		return id, 0
	}
	n, err := strconv.Atoi(id[i:])
	if err != nil {
		return id, 0
	}
	return id[:i], n
}

// clientMatrix builds the client × check matrix of r.
func clientMatrix(r *Report) checkMatrix {
	var all [][]Finding
	for _, c := range r.Clients {
		all = append(all, c.Findings, linkFindingsOf(r, c.MAC, ""))
	}
	m := checkMatrix{Columns: append(slices.Clone(clientCheckIDs), extraIDs(clientCheckIDs, all...)...)}
	for _, c := range r.Clients {
		row := matrixRow{Subject: c.MAC}
		fs := append(slices.Clone(c.Findings), linkFindingsOf(r, c.MAC, "")...)
		for _, id := range m.Columns {
			row.Cells = append(row.Cells, cellFor(id, fs, clientApplies(r, c, id)))
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// routerMatrix builds the router × check matrix of r.
func routerMatrix(r *Report) checkMatrix {
	var all [][]Finding
	for _, rt := range r.Routers {
		all = append(all, rt.Findings, linkFindingsOf(r, "", rt.MAC))
	}
	m := checkMatrix{Columns: append(slices.Clone(routerCheckIDs), extraIDs(routerCheckIDs, all...)...)}
	for _, rt := range r.Routers {
		row := matrixRow{Subject: rt.MAC}
		fs := append(slices.Clone(rt.Findings), linkFindingsOf(r, "", rt.MAC)...)
		for _, id := range m.Columns {
			row.Cells = append(row.Cells, cellFor(id, fs, routerApplies(r, rt, id)))
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
func linkFindingsOf(r *Report, client, router string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if (client != "" && f.Client == client) || (router != "" && f.Router == router) {
			out = append(out, f)
		}
	}
	return out
}
