package matrix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/ralab/ralab/conformance"
)

// Schema names the JSON layout of a Matrix. A change that removes or
// renames a field gets a new version.
const Schema = "ralab.matrix/v2"

// ErrSchema is returned by Decode for a document of another schema.
var ErrSchema = errors.New("matrix: unknown schema")

// Actual is what a client really held through a run, read from its
// resolver state (resolv.conf, hook output, networkd state) and judged by
// Judge.
type Actual string

// Actual values; the first three use the observer's verdict names so the
// two compare directly.
const (
	// ActualDNSOK means the client held DNS servers from its first
	// acquisition to the end without an outage.
	ActualDNSOK Actual = "dns-ok"
	// ActualDNSLost means the client held DNS servers, then had at least
	// one outage (an empty resolver for at least the grace); it may
	// have recovered.
	ActualDNSLost Actual = "dns-lost"
	// ActualNoDNS means the client never held a DNS server.
	ActualNoDNS Actual = "no-dns"
	// ActualUnknown means the client's state could not be read.
	ActualUnknown Actual = "unknown"
)

// Sample is the client's resolver state at one moment.
type Sample struct {
	// At is when it was read.
	At time.Time `json:"at"`
	// Servers are the DNS servers held, empty for none.
	Servers []string `json:"servers"`
	// Error is set when the state could not be read.
	Error string `json:"error,omitempty"`
}

// FailureIDs returns the field guide failure ids among the finding ids
// and in reason, sorted by number, without duplicates.
func FailureIDs(findings []string, reason string) []string {
	ids := []string{}
	for _, id := range append(slices.Clone(findings), conformance.FailureIDs(reason)...) {
		if slices.Equal(conformance.FailureIDs(id), []string{id}) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		x, _ := strconv.Atoi(a[1:])
		y, _ := strconv.Atoi(b[1:])
		return x - y
	})
	return ids
}

// Cell is one client × scenario result.
type Cell struct {
	// Client is the client's name, such as "rdnssd".
	Client string `json:"client"`
	// Class is its client class in the field guide §1 and in scenario
	// expectations, such as "wide-dhcp6c"; empty if it has none.
	Class string `json:"class,omitempty"`
	// MAC is the MAC address of its host.
	MAC string `json:"mac"`
	// Scenario is the scenario's name.
	Scenario string `json:"scenario"`
	// Verdict is the observer's verdict from the capture over the whole
	// run, exactly what "ralab analyze" of Pcapng says: dns-ok, dns-lost,
	// no-dns or inconclusive; "unseen" when the capture shows nothing of
	// the client.
	Verdict conformance.Verdict `json:"verdict"`
	// Recovered is the observer's: for dns-lost, the client holds DNS
	// again at the end.
	Recovered bool `json:"recovered"`
	// Outages and WithoutDNSSeconds are the observer's outage count and
	// total time without DNS after the first acquisition.
	Outages           int     `json:"outages"`
	WithoutDNSSeconds float64 `json:"without_dns_s"`
	// LongestOutageSeconds is the observer's longest outage.
	LongestOutageSeconds float64 `json:"longest_outage_s,omitempty"`
	// Actual is what the client really held, judged from Timeline up
	// to EvaluatedAt with the same grace as the observer (Judge).
	Actual Actual `json:"actual"`
	// ActualRecovered reports, for an Actual of dns-lost, that the
	// client held DNS again at the end.
	ActualRecovered bool `json:"actual_recovered"`
	// ActualFirstDNS is the first sample that held a server.
	ActualFirstDNS *time.Time `json:"actual_first_dns,omitempty"`
	// ActualOutages are the client's outages by its samples (see
	// Outage for how start, end and length are estimated).
	ActualOutages []Outage `json:"actual_outages"`
	// ActualLapses counts its empty stretches shorter than the grace.
	ActualLapses int `json:"actual_lapses,omitempty"`
	// ActualWithoutDNSSeconds is its estimated time without DNS.
	ActualWithoutDNSSeconds float64 `json:"actual_without_dns_s"`
	// Agree reports that Verdict and the judgement agree: the same
	// category and, for dns-lost, the same recovered flag (Compare).
	Agree bool `json:"agree"`
	// Unsettled is set for a cell that does not agree only because of a
	// change within the comparison window around EvaluatedAt or an empty
	// stretch too close to the grace to call: it says which (Compare).
	// Such a cell is counted apart from agreements and disagreements.
	Unsettled string `json:"unsettled,omitempty"`
	// EvaluatedAt is the end of the evaluation: the end of the capture
	// as the observer's report states it (Report.End).
	EvaluatedAt time.Time `json:"evaluated_at"`
	// GraceSeconds is the outage grace both sides used.
	GraceSeconds float64 `json:"grace_s"`
	// Reason is the observer's explanation.
	Reason string `json:"reason,omitempty"`
	// LostAt is when the observer says the last outage began.
	LostAt *time.Time `json:"lost_at,omitempty"`
	// ActualLostAt is the estimated start of the client's last outage.
	ActualLostAt *time.Time `json:"actual_lost_at,omitempty"`
	// HeldAtEnd are the servers the client held at the end.
	HeldAtEnd []string `json:"held_at_end"`
	// Findings are the ids of the observer's findings on the client
	// (F*, C*, N*), sorted, without duplicates.
	Findings []string `json:"findings"`
	// FIDs are the field guide failure ids (F1 to F17) the observer
	// names for the cell, in its findings, its reason or its outages.
	FIDs []string `json:"fids"`
	// Evidence are the packet numbers (in Pcapng) behind the verdict.
	Evidence []int `json:"evidence"`
	// Pcapng is the capture's file name, relative to the matrix.
	Pcapng string `json:"pcapng"`
	// Report is the observer's HTML report of Pcapng, relative to the
	// matrix, with an anchor to the client's section when it has one.
	Report string `json:"report,omitempty"`
	// WireVerdict and WireRecovered are the observer's verdict on the
	// same capture with client identification turned off
	// (conformance.Options.NoKnowledge): what the wire alone shows.
	WireVerdict   conformance.Verdict `json:"wire_verdict,omitempty"`
	WireRecovered bool                `json:"wire_recovered,omitempty"`
	// DependsOnKnowledge reports that Verdict or Recovered differ from
	// the wire-only ones: the verdict rests on what is known of the
	// client (Knowledge), not on the wire alone.
	DependsOnKnowledge bool `json:"depends_on_knowledge,omitempty"`
	// Knowledge names the client-behaviour knowledge the verdict used,
	// as "client: behaviour".
	Knowledge []string `json:"knowledge,omitempty"`
	// Expected is the outcome the scenario file expects for Class, if it
	// states one: dns, late-dns, flaps, loses-dns or no-dns (see
	// ExpectationMissed).
	Expected string `json:"expected,omitempty"`
	// ExpectedNote says why, from the scenario file.
	ExpectedNote string `json:"expected_note,omitempty"`
	// ImpairedFrom is when the scenario's first phase with impairments
	// began; ImpairedUntil when the phase after it began (absent if
	// none). The expectations time losses and late DNS by them.
	ImpairedFrom  *time.Time `json:"impaired_from,omitempty"`
	ImpairedUntil *time.Time `json:"impaired_until,omitempty"`
	// Timeline are samples of the client's resolver state: the first and
	// the last sample of each unchanged run, up to the scenario's end
	// (shortly after the capture's); only those up to EvaluatedAt are
	// judged, the later ones serve the comparison window.
	Timeline []Sample `json:"timeline"`
}

// Scenario is one scenario's run.
type Scenario struct {
	// Name is the scenario's name.
	Name string `json:"name"`
	// FIDs are the field guide failures it reproduces.
	FIDs []string `json:"fids"`
	// Description says what happens.
	Description string `json:"description"`
	// DurationSeconds is the scenario's length.
	DurationSeconds float64 `json:"duration_s"`
	// Pcapng is the capture's file name, relative to the matrix.
	Pcapng string `json:"pcapng,omitempty"`
	// Report is the observer's report.json file name: the report of
	// Pcapng exactly as "ralab analyze" gives it.
	Report string `json:"report,omitempty"`
	// ReportHTML is the same report rendered as HTML.
	ReportHTML string `json:"report_html,omitempty"`
	// Error is set when the run failed; its cells may be missing.
	Error string `json:"error,omitempty"`
	// Labs are the scenario's labs: the shared link of most clients
	// first (its files are Pcapng, Report and ReportHTML), then one lab
	// per client that runs on a link of its own.
	Labs []Lab `json:"labs,omitempty"`
}

// Lab is one lab of a scenario: a link with the clients on it.
type Lab struct {
	// Clients are the clients on its link.
	Clients []string `json:"clients"`
	// Pcapng is its capture's file name, relative to the matrix.
	Pcapng string `json:"pcapng,omitempty"`
	// Report and ReportHTML are the observer's report of Pcapng as JSON
	// and HTML.
	Report     string `json:"report,omitempty"`
	ReportHTML string `json:"report_html,omitempty"`
	// Phases are how long each stage of the lab's run took, in order.
	Phases []Phase `json:"phases,omitempty"`
	// Error is set when the lab failed.
	Error string `json:"error,omitempty"`
}

// Phase is how long one stage of a lab's run took, such as "hosts"
// (creating the namespaces) or "scenario".
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"s"`
}

// Missing is a client that is not installed.
type Missing struct {
	// Name is the client's name.
	Name string `json:"name"`
	// Package is the Debian package that provides it.
	Package string `json:"package"`
}

// Matrix is the compatibility matrix of one "ralab lab" run.
type Matrix struct {
	// Schema is Schema.
	Schema string `json:"schema"`
	// GeneratedAt is when the matrix was completed.
	GeneratedAt time.Time `json:"generated_at"`
	// Config names the served configuration.
	Config string `json:"config"`
	// ElapsedSeconds is the wall time of the whole run.
	ElapsedSeconds float64 `json:"elapsed_s"`
	// Clients are the clients run, in column order.
	Clients []string `json:"clients"`
	// Missing are the clients that are not installed.
	Missing []Missing `json:"missing,omitempty"`
	// Scenarios are the scenarios run, in row order.
	Scenarios []Scenario `json:"scenarios"`
	// Cells are the results, by scenario then client.
	Cells []Cell `json:"cells"`
	// Agree counts the cells where observer and client agree.
	Agree int `json:"agree"`
	// Unsettled counts the cells that neither agree nor disagree (see
	// Cell.Unsettled).
	Unsettled int `json:"unsettled"`
	// Disagree counts the others, inconclusive and unknown included.
	Disagree int `json:"disagree"`
	// KnowledgeDependent counts the cells whose verdict depends on client
	// knowledge (Cell.DependsOnKnowledge).
	KnowledgeDependent int `json:"knowledge_dependent"`
}

// Count sets Agree, Unsettled, Disagree and KnowledgeDependent from the
// cells.
func (m *Matrix) Count() {
	m.Agree, m.Unsettled, m.Disagree, m.KnowledgeDependent = 0, 0, 0, 0
	for _, c := range m.Cells {
		switch {
		case c.Agree:
			m.Agree++
		case c.Unsettled != "":
			m.Unsettled++
		default:
			m.Disagree++
		}
		if c.DependsOnKnowledge {
			m.KnowledgeDependent++
		}
	}
}

// Cell returns the cell of client in scenario, or nil.
func (m *Matrix) Cell(scenario, client string) *Cell {
	i := slices.IndexFunc(m.Cells, func(c Cell) bool { return c.Scenario == scenario && c.Client == client })
	if i < 0 {
		return nil
	}
	return &m.Cells[i]
}

// Disagreements returns the cells where observer and client disagree,
// unsettled ones excluded.
func (m *Matrix) Disagreements() []Cell {
	return m.cellsWhere(func(c Cell) bool { return !c.Agree && c.Unsettled == "" })
}

// UnsettledCells returns the unsettled cells.
func (m *Matrix) UnsettledCells() []Cell {
	return m.cellsWhere(func(c Cell) bool { return !c.Agree && c.Unsettled != "" })
}

// KnowledgeCells returns the cells whose verdict depends on client
// knowledge.
func (m *Matrix) KnowledgeCells() []Cell {
	return m.cellsWhere(func(c Cell) bool { return c.DependsOnKnowledge })
}

// MissedExpectations returns the cells that contradict their scenario's
// expectation.
func (m *Matrix) MissedExpectations() []Cell {
	return m.cellsWhere(func(c Cell) bool { return c.ExpectationMissed() != "" })
}

func (m *Matrix) cellsWhere(keep func(Cell) bool) []Cell {
	var out []Cell
	for _, c := range m.Cells {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// WriteJSON writes m as indented JSON.
func (m *Matrix) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	return nil
}

// Decode reads a matrix written by WriteJSON.
func Decode(r io.Reader) (*Matrix, error) {
	var m Matrix
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	if m.Schema != Schema {
		return nil, fmt.Errorf("%w %q, want %q", ErrSchema, m.Schema, Schema)
	}
	return &m, nil
}
