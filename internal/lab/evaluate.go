package lab

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/conformance/render"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/matrix"
	"github.com/ralab/ralab/internal/scenario"
)

// evaluate copies the capture at path to OutDir, analyses it exactly as
// "ralab analyze FILE" does (and once more with client identification
// off), writes the report as JSON and HTML next to it and returns the
// cells.
func (r *labRun) evaluate(path string, ws []*watched) ([]matrix.Cell, error) {
	name := r.plan.name()
	r.pcapng = name + ".pcapng"
	if err := copyFile(path, filepath.Join(r.opts.OutDir, r.pcapng)); err != nil {
		return nil, err
	}
	rep, err := analyze(path, r.pcapng, conformance.Options{})
	if err != nil {
		return nil, err
	}
	rep.Generator = r.opts.Generator
	wire, err := analyze(path, r.pcapng, conformance.Options{NoKnowledge: true})
	if err != nil {
		return nil, err
	}
	r.report, r.htmlReport = name+".report.json", name+".report.html"
	errs := []error{
		writeFile(filepath.Join(r.opts.OutDir, r.report), func(w io.Writer) error { return render.JSON(w, rep) }),
		writeFile(filepath.Join(r.opts.OutDir, r.htmlReport), func(w io.Writer) error { return render.HTML(w, rep) }),
	}
	var cells []matrix.Cell
	for _, w := range ws {
		cells = append(cells, r.cell(w, rep, wire))
	}
	return cells, errors.Join(errs...)
}

// record adds s to the timeline: the first sample of each run of
// unchanged state at once, the last one (kept in tail) when the state
// changes or at flush. Both ends of each run let Judge bound how long an
// empty stretch lasted.
func (w *watched) record(s matrix.Sample) {
	if n := len(w.timeline); n > 0 {
		last := w.timeline[n-1]
		if last.Error == s.Error && slices.Equal(last.Servers, s.Servers) {
			w.tail, w.hasTail = s, true
			return
		}
	}
	w.flush()
	w.timeline = append(w.timeline, s)
}

// flush adds the pending last sample of the current run, if any.
func (w *watched) flush() {
	if w.hasTail {
		w.timeline = append(w.timeline, w.tail)
		w.tail, w.hasTail = matrix.Sample{}, false
	}
}

// sample reads one client's resolver state (Instance.Held, which starts
// no process); the sample is timed when the read returns. It returns the
// servers also as addresses, for looker.lookup; a link-local one without
// a zone gets the client's interface.
func sample(inst *labclient.Instance) (matrix.Sample, []netip.Addr) {
	res, err := inst.Held()
	s := matrix.Sample{At: time.Now().UTC(), Servers: []string{}}
	if err != nil {
		s.Error = err.Error()
		return s, nil
	}
	var addrs []netip.Addr
	for _, a := range res.Addrs() {
		if a.Is6() && a.IsLinkLocalUnicast() && a.Zone() == "" {
			a = a.WithZone(inst.IfName)
		}
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
			s.Servers = append(s.Servers, a.String())
		}
	}
	return s, addrs
}

// analyze runs the observer on the capture at path with the tracker
// options o, evaluated at the capture's end: with zero options exactly
// what "ralab analyze FILE" reports. The report names the capture name,
// as it is called in the output directory.
func analyze(path, name string, o conformance.Options) (*conformance.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer f.Close()
	o.Source = conformance.Source{Name: name}
	rep, err := conformance.AnalyzeWith(bufio.NewReader(f), conformance.AnalyzeOptions{Tracker: o})
	if err != nil {
		return nil, fmt.Errorf("lab: analyzing %s: %w", path, err)
	}
	return rep, nil
}

// verdictUnseen is a cell's verdict when the capture shows nothing of
// the client.
const verdictUnseen conformance.Verdict = "unseen"

// observed returns the observer's entry for mac in rep and its index, or
// -1.
func observed(rep *conformance.Report, mac string) (*conformance.Client, int) {
	i := slices.IndexFunc(rep.Clients, func(oc conformance.Client) bool { return strings.EqualFold(oc.MAC, mac) })
	if i < 0 {
		return nil, -1
	}
	return &rep.Clients[i], i
}

// cell compares the observer's verdict on w's host (in rep, and in wire
// without client identification) with what w held.
func (r *labRun) cell(w *watched, rep, wire *conformance.Report) matrix.Cell {
	mac := w.inst.Host.MAC.String()
	c := matrix.Cell{
		Client: w.c.Name, Class: w.c.Class, MAC: mac, Scenario: r.plan.e.sc.Name,
		Verdict: verdictUnseen, Pcapng: r.pcapng, HeldAtEnd: []string{},
		Findings: []string{}, FIDs: []string{}, Evidence: []int{}, Timeline: w.timeline,
		EvaluatedAt: rep.End, Report: r.htmlReport, WireVerdict: verdictUnseen,
	}
	if n := len(w.timeline); n > 0 {
		c.HeldAtEnd = w.timeline[n-1].Servers
	}
	r.expect(&c)
	if oc, i := observed(rep, mac); oc != nil {
		setObserved(&c, oc)
		if r.htmlReport != "" {
			c.Report += "#client-" + strconv.Itoa(i+1)
		}
	} else {
		c.Reason = "the capture shows no packet from or to this client"
	}
	if oc, _ := observed(wire, mac); oc != nil {
		c.WireVerdict, c.WireRecovered = oc.Verdict, oc.Recovered
	}
	c.DependsOnKnowledge = c.WireVerdict != c.Verdict || c.WireRecovered != c.Recovered
	grace := time.Duration(rep.OutageGraceSeconds * float64(time.Second))
	if grace <= 0 {
		grace = conformance.DefaultOutageGrace
	}
	c.GraceSeconds = grace.Seconds()
	c.SetComparison(matrix.Compare(c.Verdict, c.Recovered, w.timeline, rep.End, grace, matrix.DefaultWindow))
	c.SettleShortOutages(grace)
	return c
}

// setObserved copies the observer's verdict on a client into c.
func setObserved(c *matrix.Cell, oc *conformance.Client) {
	c.Verdict, c.Recovered, c.Reason, c.LostAt = oc.Verdict, oc.Recovered, oc.Reason, oc.LostAt
	st := oc.OutageStats
	c.Outages, c.WithoutDNSSeconds, c.LongestOutageSeconds = st.Count, st.WithoutDNSSeconds, st.LongestSeconds
	for _, f := range oc.Findings {
		if !slices.Contains(c.Findings, f.ID) {
			c.Findings = append(c.Findings, f.ID)
		}
	}
	slices.Sort(c.Findings)
	ids := slices.Clone(c.Findings)
	for _, o := range oc.Outages {
		ids = append(ids, o.FIDs...)
	}
	c.FIDs = matrix.FailureIDs(ids, c.Reason)
	for _, e := range oc.Evidence {
		c.Evidence = append(c.Evidence, e.Packet)
	}
	for _, k := range oc.Knowledge {
		c.Knowledge = append(c.Knowledge, k.Client+": "+k.Behaviour)
	}
}

// expect sets c's expectation from the scenario file and when the
// scenario's first impaired phase began and ended.
func (r *labRun) expect(c *matrix.Cell) {
	sc := r.plan.e.sc
	ex, ok := sc.Expect[c.Class]
	if !ok || c.Class == "" {
		return
	}
	c.Expected, c.ExpectedNote = string(ex.Outcome), ex.Note
	i := slices.IndexFunc(sc.Phases, func(p scenario.Phase) bool { return len(p.Impairments) > 0 })
	if i < 0 {
		return
	}
	from := r.begin.Add(sc.Phases[i].Start).UTC()
	c.ImpairedFrom = &from
	if p := sc.Phases[i]; p.End < sc.Duration {
		until := r.begin.Add(p.End).UTC()
		c.ImpairedUntil = &until
	}
}
