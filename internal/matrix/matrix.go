package matrix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Schema names the JSON layout of a Matrix. A change that removes or
// renames a field gets a new version.
const Schema = "ralab.matrix/v1"

// ErrSchema is returned by Decode for a document of another schema.
var ErrSchema = errors.New("matrix: unknown schema")

// Actual is what a client really held through a run, read from its
// resolver state (resolv.conf, hook output, networkd state).
type Actual string

// Actual values; the first three use the observer's verdict names so the
// two compare directly.
const (
	// ActualDNSOK means the client held DNS servers at the end.
	ActualDNSOK Actual = "dns-ok"
	// ActualDNSLost means the client held DNS servers, then none at the
	// end.
	ActualDNSLost Actual = "dns-lost"
	// ActualNoDNS means the client never held a DNS server.
	ActualNoDNS Actual = "no-dns"
	// ActualUnknown means the client's state could not be read.
	ActualUnknown Actual = "unknown"
)

// Observer verdicts (conformance.Verdict values) the agreement rule
// knows.
const (
	verdictDNSOK        = "dns-ok"
	verdictDNSLost      = "dns-lost"
	verdictNoDNS        = "no-dns"
	verdictInconclusive = "inconclusive"
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

// ActualFrom reduces a timeline of samples to what the client held:
// ActualNoDNS if no sample holds a server, ActualDNSOK if the last
// readable sample does, otherwise ActualDNSLost with the time of the
// first empty sample after the last one that held servers. Samples that
// could not be read are ignored; with none readable it returns
// ActualUnknown.
func ActualFrom(samples []Sample) (Actual, *time.Time) {
	lastHeld, last := -1, -1
	for i, s := range samples {
		if s.Error != "" {
			continue
		}
		last = i
		if len(s.Servers) > 0 {
			lastHeld = i
		}
	}
	switch {
	case last < 0:
		return ActualUnknown, nil
	case lastHeld < 0:
		return ActualNoDNS, nil
	case lastHeld == last:
		return ActualDNSOK, nil
	}
	for _, s := range samples[lastHeld+1:] {
		if s.Error == "" {
			at := s.At
			return ActualDNSLost, &at
		}
	}
	return ActualDNSLost, nil
}

// ActualAt is ActualFrom over the samples read at or before at: what the
// client held as of at.
func ActualAt(samples []Sample, at time.Time) (Actual, *time.Time) {
	n := 0
	for n < len(samples) && !samples[n].At.After(at) {
		n++
	}
	return ActualFrom(samples[:n])
}

// Window is how far around the observer's evaluation time a client's
// state may be read to compare it with the verdict. A client applies a
// packet some time after the capture saw it (it runs a hook script or
// writes a state file), it runs lifetimes on its own timers (in whole
// seconds, for some), and the harness reads its state once a second; a
// change within the window is the same event seen at two moments, not a
// disagreement. A lasting difference is never hidden by it.
type Window struct {
	// Before is how long before the evaluation time a state counts.
	Before time.Duration
	// After is how long after it a state counts.
	After time.Duration
}

// DefaultWindow is the window "ralab lab" uses: one sample period before
// the evaluation time, two after it.
var DefaultWindow = Window{Before: time.Second, After: 2 * time.Second}

// Comparison is an observer verdict compared with a client's timeline.
type Comparison struct {
	// Actual is what the client held at the evaluation time or, when
	// that differs from the verdict, at SettledAt.
	Actual Actual
	// LostAt is when the client's state first showed no server after
	// holding some, for ActualDNSLost.
	LostAt *time.Time
	// Agree reports whether the verdict agrees with Actual.
	Agree bool
	// SettledAt is set when the client's state at the evaluation time
	// differs from the verdict but another state within the window
	// agrees: it is the moment that state held.
	SettledAt *time.Time
}

// Compare compares verdict, evaluated at at, with the client's timeline
// samples: they agree when the client held the verdict's state at at, or
// at some moment within w around it (see Window).
func Compare(verdict string, samples []Sample, at time.Time, w Window) Comparison {
	actual, lost := ActualAt(samples, at)
	c := Comparison{Actual: actual, LostAt: lost, Agree: Agrees(verdict, actual)}
	if c.Agree {
		return c
	}
	// The state only changes at a sample, so the moments to try are the
	// window's start and each sample within it.
	from, to := at.Add(-w.Before), at.Add(w.After)
	moments := []time.Time{from}
	for _, s := range samples {
		if s.At.After(from) && !s.At.After(to) {
			moments = append(moments, s.At)
		}
	}
	for _, m := range moments {
		if a, l := ActualAt(samples, m); Agrees(verdict, a) {
			settled := m
			return Comparison{Actual: a, LostAt: l, Agree: true, SettledAt: &settled}
		}
	}
	return c
}

// Agrees reports whether the observer's verdict matches what the client
// held: dns-ok when it held DNS at the end, dns-lost when it held DNS and
// then lost it, no-dns when it never held any. An inconclusive verdict or
// an unknown actual state never agrees.
func Agrees(verdict string, actual Actual) bool {
	switch verdict {
	case verdictDNSOK, verdictDNSLost, verdictNoDNS:
		return actual != ActualUnknown && verdict == string(actual)
	}
	return false
}

// fidPattern matches a field guide failure id in text.
var fidPattern = regexp.MustCompile(`\bF(1[0-7]|[1-9])\b`)

// FailureIDs returns the field guide failure ids among the finding ids
// and in reason, sorted by number, without duplicates.
func FailureIDs(findings []string, reason string) []string {
	ids := []string{}
	for _, id := range append(slices.Clone(findings), fidPattern.FindAllString(reason, -1)...) {
		if fidPattern.MatchString(id) && len(id) <= 3 && !slices.Contains(ids, id) {
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
	// Verdict is the observer's verdict from the capture alone: dns-ok,
	// dns-lost, no-dns or inconclusive; "unseen" when the capture shows
	// nothing of the client.
	Verdict string `json:"verdict"`
	// Actual is what the client really held at EvaluatedAt or, when it
	// differs from Verdict, at SettledAt.
	Actual Actual `json:"actual"`
	// Agree reports whether Verdict and Actual agree (see Agrees and
	// Compare).
	Agree bool `json:"agree"`
	// EvaluatedAt is the moment the observer's verdict is for: the
	// capture is analysed up to it.
	EvaluatedAt time.Time `json:"evaluated_at"`
	// SettledAt is set when the client reached the verdict's state not at
	// EvaluatedAt but within the comparison window around it (see
	// Window): the moment its state was read agreeing.
	SettledAt *time.Time `json:"settled_at,omitempty"`
	// Reason is the observer's explanation.
	Reason string `json:"reason,omitempty"`
	// LostAt is when the observer says DNS was lost.
	LostAt *time.Time `json:"lost_at,omitempty"`
	// ActualLostAt is when the client's state first showed no server
	// after holding some.
	ActualLostAt *time.Time `json:"actual_lost_at,omitempty"`
	// HeldAtEnd are the servers the client held at the end.
	HeldAtEnd []string `json:"held_at_end"`
	// Findings are the ids of the observer's findings on the client
	// (F*, C*, N*), sorted, without duplicates.
	Findings []string `json:"findings"`
	// FIDs are the field guide failure ids (F1 to F17) the observer
	// names for the cell, in its findings or its reason.
	FIDs []string `json:"fids"`
	// Evidence are the packet numbers (in Pcapng) behind the verdict.
	Evidence []int `json:"evidence"`
	// Pcapng is the capture's file name, relative to the matrix.
	Pcapng string `json:"pcapng"`
	// Expected is the verdict the scenario expects for Class, if it
	// states one: dns-ok, dns-lost or no-dns, or ExpectedFlaps.
	Expected string `json:"expected,omitempty"`
	// ExpectedNote says why, from the scenario file.
	ExpectedNote string `json:"expected_note,omitempty"`
	// Timeline are samples of the client's resolver state: each change,
	// then the final sample at the end of the run.
	Timeline []Sample `json:"timeline"`
}

// ExpectedFlaps is Cell.Expected for a client the scenario expects to
// lose and regain DNS, whatever it holds at the end.
const ExpectedFlaps = "flaps"

// Flapped reports whether a timeline holds DNS, then none, then DNS
// again. Unreadable samples are skipped.
func Flapped(samples []Sample) bool {
	held, lost := false, false
	for _, s := range samples {
		switch {
		case s.Error != "":
		case len(s.Servers) > 0 && lost:
			return true
		case len(s.Servers) > 0:
			held = true
		case held:
			lost = true
		}
	}
	return false
}

// ExpectationMissed reports whether the cell contradicts the scenario's
// expectation: the observer's verdict is not Expected, or, for
// ExpectedFlaps, the client never lost and regained DNS.
func (c Cell) ExpectationMissed() bool {
	switch c.Expected {
	case "":
		return false
	case ExpectedFlaps:
		return !Flapped(c.Timeline)
	}
	return c.Expected != c.Verdict
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
	// Report is the observer's report.json file name.
	Report string `json:"report,omitempty"`
	// Error is set when the run failed; its cells may be missing.
	Error string `json:"error,omitempty"`
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
	// Disagree counts the others, inconclusive and unknown included.
	Disagree int `json:"disagree"`
}

// Count sets Agree and Disagree from the cells.
func (m *Matrix) Count() {
	m.Agree, m.Disagree = 0, 0
	for _, c := range m.Cells {
		if c.Agree {
			m.Agree++
		} else {
			m.Disagree++
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

// Disagreements returns the cells where observer and client disagree.
func (m *Matrix) Disagreements() []Cell {
	var out []Cell
	for _, c := range m.Cells {
		if !c.Agree {
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
