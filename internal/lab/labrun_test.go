package lab

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/labclient"
	"github.com/ralab/ralab/internal/matrix"
	"github.com/ralab/ralab/internal/netlab"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
	"github.com/ralab/ralab/internal/scenario"
)

func TestScenarios(t *testing.T) {
	scs, err := Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range scs {
		got = append(got, s.Name)
	}
	want := []string{"baseline", "F1-ra-throttle", "F2-ra-replay", "F3-ra-mcast-to-unicast", "F4-ra-drop-multicast",
		"F5-rdnss-lifetime", "F6-rdnss-omit", "F7-router-lifetime-zero", "F8-router-lifetime-short", "F9-dhcpv6-reply-drop",
		"F10-dhcpv6-absent", "F11-dns-only-dhcpv6", "F12-dns-only-rdnss", "F13-ra-oversize", "F14-rdnss-link-local",
		"F15-second-router", "F16-dns-servers-many", "F17-pref64"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scenarios (-want +got):\n%s", diff)
	}
}

func TestRunScenarioOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		opts ScenarioOptions
		want error
	}{
		{"no out dir", ScenarioOptions{Config: configs.Lab, Executable: "ralab"}, ErrOptions},
		{"no config", ScenarioOptions{Executable: "ralab", OutDir: dir}, ErrOptions},
		{"no lab interface", ScenarioOptions{Config: []byte("[[interface]]\nname = \"eth9\"\n"), ConfigName: "x.toml", Executable: "ralab", OutDir: dir}, ErrNoLabInterface},
		{"unknown scenario", ScenarioOptions{Config: configs.Lab, Executable: "ralab", OutDir: dir, Scenarios: []string{"F99"}}, ErrUnknownScenario},
	}
	for _, tt := range tests {
		if _, err := RunScenarios(t.Context(), tt.opts); !errors.Is(err, tt.want) {
			t.Errorf("%s: RunScenarios = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestCell(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 2, 1}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	lost := t0.Add(40 * time.Second)
	sc := &scenario.Scenario{Name: "F1-ra-throttle", Duration: 75 * time.Second,
		Phases: []scenario.Phase{{Start: 0, End: 20 * time.Second}, {Start: 20 * time.Second, End: 75 * time.Second, Impairments: make([]impair.Spec, 1)}},
		Expect: map[string]scenario.Expectation{"rdnssd": {Outcome: scenario.OutcomeLosesDNS, Note: "passive listener"}},
	}
	end := t0.Add(44 * time.Second)
	oc := conformance.Client{
		MAC: "02:00:00:00:02:01", Verdict: conformance.VerdictDNSLost, LostAt: &lost, Reason: "RDNSS expired",
		Findings:    []conformance.Finding{{ID: "C5"}, {ID: "C5"}},
		Evidence:    []conformance.Evidence{{Packet: 12}, {Packet: 40}},
		Outages:     []conformance.Outage{{Start: lost, FIDs: []string{"F1"}}},
		OutageStats: conformance.OutageStats{Count: 1, WithoutDNSSeconds: 4},
		Knowledge:   []conformance.Knowledge{{Client: "rdnssd", Behaviour: "passive"}},
	}
	rep := &conformance.Report{End: end, OutageGraceSeconds: 2, Clients: []conformance.Client{oc}}
	wireClient := oc
	wireClient.Verdict = conformance.VerdictInconclusive
	wire := &conformance.Report{End: end, Clients: []conformance.Client{wireClient}}
	held := []string{"2001:db8:1::53"}
	timeline := []matrix.Sample{
		{At: t0, Servers: held}, {At: t0.Add(39 * time.Second), Servers: held},
		{At: t0.Add(40 * time.Second), Servers: []string{}}, {At: t0.Add(44 * time.Second), Servers: []string{}},
	}
	from := t0.Add(20 * time.Second)
	actualLost := t0.Add(39500 * time.Millisecond)
	tests := []struct {
		name   string
		client string
		mac    net.HardwareAddr
		want   matrix.Cell
	}{
		{"observed", "rdnssd", mac, matrix.Cell{
			Client: "rdnssd", Class: "rdnssd", MAC: "02:00:00:00:02:01", Scenario: sc.Name,
			Verdict: "dns-lost", Outages: 1, WithoutDNSSeconds: 4,
			Actual: matrix.ActualDNSLost, ActualFirstDNS: &t0, ActualOutages: []matrix.Outage{{Start: actualLost, Seconds: 4.5, MinSeconds: 4, MaxSeconds: 5}},
			ActualWithoutDNSSeconds: 4.5, Agree: true, EvaluatedAt: end, GraceSeconds: 2, Reason: "RDNSS expired",
			LostAt: &lost, ActualLostAt: &actualLost, HeldAtEnd: []string{}, Findings: []string{"C5"}, FIDs: []string{"F1"},
			Evidence: []int{12, 40}, Pcapng: "F1-ra-throttle.pcapng", Report: "F1-ra-throttle.report.html#client-1",
			WireVerdict: "inconclusive", DependsOnKnowledge: true, Knowledge: []string{"rdnssd: passive"},
			Expected: "loses-dns", ExpectedNote: "passive listener", ImpairedFrom: &from, Timeline: timeline,
		}},
		{"unseen", "dibbler", net.HardwareAddr{2, 0, 0, 0, 2, 7}, matrix.Cell{
			Client: "dibbler", MAC: "02:00:00:00:02:07", Scenario: sc.Name,
			Verdict: verdictUnseen, WireVerdict: verdictUnseen,
			Actual: matrix.ActualDNSLost, ActualFirstDNS: &t0, ActualOutages: []matrix.Outage{{Start: actualLost, Seconds: 4.5, MinSeconds: 4, MaxSeconds: 5}},
			ActualWithoutDNSSeconds: 4.5, EvaluatedAt: end, GraceSeconds: 2, ActualLostAt: &actualLost,
			Reason: "the capture shows no packet from or to this client", Report: "F1-ra-throttle.report.html",
			HeldAtEnd: []string{}, Findings: []string{}, FIDs: []string{}, Evidence: []int{}, Pcapng: "F1-ra-throttle.pcapng",
			Timeline: timeline,
		}},
	}
	for _, tt := range tests {
		r := &labRun{plan: labPlan{e: embeddedScenario{sc: sc}}, begin: t0, pcapng: "F1-ra-throttle.pcapng", htmlReport: "F1-ra-throttle.report.html"}
		c, err := labclient.Lookup(tt.client)
		if err != nil {
			t.Fatal(err)
		}
		w := &watched{c: c, inst: &labclient.Instance{Host: &netlab.Host{MAC: tt.mac}}, timeline: timeline}
		if diff := cmp.Diff(tt.want, r.cell(w, rep, wire)); diff != "" {
			t.Errorf("%s: cell (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestRecord(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	held := []string{"2001:db8:1::53"}
	w := &watched{}
	var want []matrix.Sample
	for i, servers := range [][]string{held, held, held, {}, {}, held, held} {
		s := matrix.Sample{At: t0.Add(time.Duration(i) * time.Second), Servers: servers}
		w.record(s)
		// Each run's first and last sample.
		if i == 0 || i == 2 || i == 3 || i == 4 || i == 5 || i == 6 {
			want = append(want, s)
		}
	}
	w.flush()
	if diff := cmp.Diff(want, w.timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

// runMatrix runs names (all when empty) in a matrix with every installed
// client, after the checks every matrix test needs, and returns it and
// its output directory.
func runMatrix(t testing.TB, names []string) (*matrix.Matrix, string) {
	t.Helper()
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "tshark", "tshark")
	bin := netlabtest.RalabBinary(t)
	out := t.TempDir()
	if d := os.Getenv("RALAB_MATRIX_DIR"); d != "" {
		out = filepath.Join(d, t.Name())
	}
	m, err := RunScenarios(t.Context(), ScenarioOptions{
		Config: configs.Lab, ConfigName: configs.LabName, Executable: bin, OutDir: out,
		Scenarios: names, Logger: netlabtest.Logger(t), Progress: testProgress{t},
	})
	if err != nil {
		t.Fatalf("RunScenarios: %v (logs in %s)", err, out)
	}
	if netlabtest.InCI() && len(m.Missing) > 0 {
		t.Errorf("CI=true but clients are missing: %+v", m.Missing)
	}
	if len(m.Clients) < 6 {
		netlabtest.SkipOrFail(t, "the matrix tests need the six Linux clients")
	}
	for _, f := range []string{"matrix.json", "matrix.md", "matrix.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("output: %v", err)
		}
	}
	for _, s := range m.Scenarios {
		for _, l := range s.Labs {
			if _, err := os.Stat(filepath.Join(out, l.Pcapng)); l.Pcapng == "" || err != nil {
				t.Errorf("scenario %s, lab of %v: no pcapng (%q, %v)", s.Name, l.Clients, l.Pcapng, err)
			}
		}
	}
	return m, out
}

// testProgress writes progress lines to the test log.
type testProgress struct{ t testing.TB }

func (p testProgress) Write(b []byte) (int, error) {
	p.t.Logf("%s", b)
	return len(b), nil
}

// wantVerdict checks that the cell of client in scenario has verdict
// (observer) and the same actual state, if the scenario was run.
func wantVerdict(t *testing.T, m *matrix.Matrix, scenario, client, verdict string) {
	t.Helper()
	if !slices.ContainsFunc(m.Scenarios, func(s matrix.Scenario) bool { return s.Name == scenario }) {
		return
	}
	c := m.Cell(scenario, client)
	if c == nil {
		t.Errorf("%s × %s: no cell", scenario, client)
		return
	}
	if string(c.Verdict) != verdict || string(c.Actual) != verdict {
		t.Errorf("%s × %s: observer %s, client %s; want %s for both (reason %q)", scenario, client, c.Verdict, c.Actual, verdict, c.Reason)
	}
}

// maxUnsettled bounds the unsettled cells of the default matrix (of 162):
// a client may change state within the comparison window around the
// capture's end, or lapse for a time within a sample period of the
// grace, but rarely.
const maxUnsettled = 2

// matrixScenarios returns the scenarios RALAB_MATRIX_SCENARIOS names
// (comma-separated), for a quicker run of part of the matrix while
// developing; nil (every scenario) when it is unset.
func matrixScenarios() []string {
	v := os.Getenv("RALAB_MATRIX_SCENARIOS")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// TestDefaultMatrix runs the whole default matrix (every built-in
// scenario, every installed client; RALAB_MATRIX_SCENARIOS selects
// fewer) and requires: no disagreement between the observer's verdict
// and the client's real state over the run, at most maxUnsettled
// unsettled cells; that every cell without DNS throughout names a
// failure id and the packets behind it; that "ralab analyze" of each
// written pcapng (conformance.Analyze, no options) and the report.json
// next to it give every cell's verdict and recovered flag; that the RA
// clients whose resolver lost DNS under F1, F2 and F5 are dns-lost, with
// recovered where they got it back; the known behaviours of the issue;
// and every outcome the scenario files expect of the lab's clients.
func TestDefaultMatrix(t *testing.T) {
	names := matrixScenarios()
	m, out := runMatrix(t, names)
	scs, err := Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	if names == nil && len(m.Cells) != len(scs)*len(m.Clients) {
		t.Errorf("%d cells, want %d scenarios × %d clients", len(m.Cells), len(scs), len(m.Clients))
	}
	t.Logf("%d cells agree, %d unsettled, %d disagree; %d verdicts depend on client knowledge", m.Agree, m.Unsettled, m.Disagree, m.KnowledgeDependent)
	for _, c := range m.Disagreements() {
		t.Errorf("%s × %s: observer %s (recovered %v), client %s (recovered %v, outages %+v) (%s)",
			c.Scenario, c.Client, c.Verdict, c.Recovered, c.Actual, c.ActualRecovered, c.ActualOutages, c.Reason)
	}
	for _, c := range m.UnsettledCells() {
		t.Logf("unsettled: %s × %s: observer %s, client %s: %s", c.Scenario, c.Client, c.Verdict, c.Actual, c.Unsettled)
	}
	if m.Unsettled > maxUnsettled {
		t.Errorf("%d unsettled cells, want at most %d", m.Unsettled, maxUnsettled)
	}
	for _, c := range m.Cells {
		if c.Verdict != "dns-ok" && (len(c.FIDs) == 0 || len(c.Evidence) == 0) {
			t.Errorf("%s × %s: %s without a failure id (%v) or packets (%v): %s", c.Scenario, c.Client, c.Verdict, c.FIDs, c.Evidence, c.Reason)
		}
		// An unsettled cell has no settled outcome to hold to its
		// expectation; maxUnsettled bounds them.
		if why := c.ExpectationMissed(); why != "" && c.Unsettled == "" {
			t.Errorf("%s × %s: expectation %s (%s) missed: %s", c.Scenario, c.Client, c.Expected, c.ExpectedNote, why)
		}
	}
	wantAnalyzeAgrees(t, m, out)
	wantLossesReported(t, m)
	for _, name := range m.Clients {
		wantVerdict(t, m, "baseline", name, "dns-ok")
	}
	wantVerdict(t, m, "F11-dns-only-dhcpv6", "rdnssd", "no-dns")
	wantVerdict(t, m, "F11-dns-only-dhcpv6", "dhclient", "dns-ok")
	wantVerdict(t, m, "F12-dns-only-rdnss", "dhclient", "no-dns")
	wantVerdict(t, m, "F12-dns-only-rdnss", "rdnssd", "dns-ok")
	wantVerdict(t, m, "F1-ra-throttle", "rdnssd", "dns-lost")
	// As measured: NetworkManager 1.42 sends no RS after joining, so RA
	// throttling costs it DNS; it takes DNS from a stateless DHCPv6
	// Reply.
	wantVerdict(t, m, "F1-ra-throttle", "networkmanager", "dns-lost")
	wantVerdict(t, m, "F11-dns-only-dhcpv6", "networkmanager", "dns-ok")
	wantOwnLinks(t, m)
}

// wantOwnLinks checks that every client that needs a link of its own
// (labclient.Client.OwnLink) had a lab of its own in every scenario.
func wantOwnLinks(t *testing.T, m *matrix.Matrix) {
	t.Helper()
	for _, c := range DefaultClients() {
		if !c.OwnLink || !slices.Contains(m.Clients, c.Name) {
			continue
		}
		for _, s := range m.Scenarios {
			if !slices.ContainsFunc(s.Labs, func(l matrix.Lab) bool { return slices.Equal(l.Clients, []string{c.Name}) }) {
				t.Errorf("%s: %s had no lab of its own: %+v", s.Name, c.Name, s.Labs)
			}
		}
	}
}

// wantAnalyzeAgrees checks that a fresh conformance.Analyze of each
// lab's pcapng, as "ralab analyze FILE" runs it, and the report.json
// written next to it give the verdict and recovered flag of every cell
// of the lab's clients.
func wantAnalyzeAgrees(t *testing.T, m *matrix.Matrix, out string) {
	t.Helper()
	for _, s := range m.Scenarios {
		if len(s.Labs) == 0 {
			t.Errorf("%s: no labs", s.Name)
		}
		for _, l := range s.Labs {
			wantLabAgrees(t, m, out, s.Name, l)
		}
	}
}

// wantLabAgrees checks one lab of scenario sc for wantAnalyzeAgrees.
func wantLabAgrees(t *testing.T, m *matrix.Matrix, out, sc string, l matrix.Lab) {
	t.Helper()
	fresh := analyzeFile(t, filepath.Join(out, l.Pcapng))
	var onDisk conformance.Report
	if b, err := os.ReadFile(filepath.Join(out, l.Report)); err != nil {
		t.Errorf("%s: %v", sc, err)
	} else if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Errorf("%s: %s: %v", sc, l.Report, err)
	}
	if _, err := os.Stat(filepath.Join(out, l.ReportHTML)); err != nil {
		t.Errorf("%s: no HTML report: %v", sc, err)
	}
	for _, name := range l.Clients {
		c := m.Cell(sc, name)
		if c == nil {
			t.Errorf("%s × %s: no cell", sc, name)
			continue
		}
		if c.Pcapng != l.Pcapng {
			t.Errorf("%s × %s: cell's capture %s, its lab's %s", sc, name, c.Pcapng, l.Pcapng)
		}
		for what, rep := range map[string]*conformance.Report{"ralab analyze " + l.Pcapng: fresh, l.Report: &onDisk} {
			v, rec := verdictOf(rep, c.MAC)
			if v != c.Verdict || rec != c.Recovered {
				t.Errorf("%s × %s: matrix %s (recovered %v), %s says %s (recovered %v)", sc, name, c.Verdict, c.Recovered, what, v, rec)
			}
		}
	}
}

// analyzeFile analyses the capture at path with no options.
func analyzeFile(t *testing.T, path string) *conformance.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := conformance.Analyze(bufio.NewReader(f))
	if err != nil {
		t.Fatalf("analyze %s: %v", path, err)
	}
	return rep
}

// verdictOf returns the verdict and recovered flag of the client with
// mac in rep, "unseen" when it is not there.
func verdictOf(rep *conformance.Report, mac string) (conformance.Verdict, bool) {
	for _, c := range rep.Clients {
		if strings.EqualFold(c.MAC, mac) {
			return c.Verdict, c.Recovered
		}
	}
	return verdictUnseen, false
}

// wantLossesReported checks that under F1, F2 and F5 every RA client
// whose resolver lost DNS is dns-lost, recovered exactly when its
// resolver got DNS back.
func wantLossesReported(t *testing.T, m *matrix.Matrix) {
	t.Helper()
	for _, sc := range []string{"F1-ra-throttle", "F2-ra-replay", "F5-rdnss-lifetime"} {
		for _, client := range []string{"rdnssd", "dhcpcd", "networkd", "networkmanager", "connman"} {
			c := m.Cell(sc, client)
			if c == nil || len(c.ActualOutages) == 0 {
				continue
			}
			if c.Verdict != "dns-lost" || c.Recovered != c.ActualRecovered {
				t.Errorf("%s × %s: the client lost DNS %d times (recovered %v), observer says %s (recovered %v)",
					sc, client, len(c.ActualOutages), c.ActualRecovered, c.Verdict, c.Recovered)
			}
		}
	}
}

// BenchmarkDefaultMatrix measures the wall time of the whole default
// matrix, every lab at once (RALAB_MATRIX_SCENARIOS selects fewer):
// go test -run '^$' -bench DefaultMatrix -benchtime 1x ./internal/lab
func BenchmarkDefaultMatrix(b *testing.B) {
	for b.Loop() {
		m, _ := runMatrix(b, matrixScenarios())
		b.ReportMetric(m.ElapsedSeconds, "matrix-s")
	}
}

func TestWithTail(t *testing.T) {
	all, err := loadScenarios()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		out, err := withTail(e.data, e.sc, serveTail)
		if err != nil {
			t.Errorf("%s: %v", e.sc.Name, err)
			continue
		}
		sc, err := scenario.Parse(e.sc.Name+".toml", out)
		if err != nil {
			t.Fatalf("%s: %v", e.sc.Name, err)
		}
		// Only the duration changes: the last phase lasts longer.
		if sc.Duration != e.sc.Duration+serveTail || len(sc.Phases) != len(e.sc.Phases) {
			t.Errorf("%s: duration %v, %d phases; want %v, %d", e.sc.Name, sc.Duration, len(sc.Phases), e.sc.Duration+serveTail, len(e.sc.Phases))
		}
	}
}
