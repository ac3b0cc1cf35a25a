package lab

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/conformance"
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

func TestRunMatrixOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		opts MatrixOptions
		want error
	}{
		{"no out dir", MatrixOptions{Config: configs.Lab, Executable: "ralab"}, ErrOptions},
		{"no config", MatrixOptions{Executable: "ralab", OutDir: dir}, ErrOptions},
		{"no lab interface", MatrixOptions{Config: []byte("[[interface]]\nname = \"eth9\"\n"), ConfigName: "x.toml", Executable: "ralab", OutDir: dir}, ErrNoLabInterface},
		{"unknown scenario", MatrixOptions{Config: configs.Lab, Executable: "ralab", OutDir: dir, Scenarios: []string{"F99"}}, ErrUnknownScenario},
	}
	for _, tt := range tests {
		if _, err := RunMatrix(t.Context(), tt.opts); !errors.Is(err, tt.want) {
			t.Errorf("%s: RunMatrix = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestCell(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 2, 1}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	lost := t0.Add(40 * time.Second)
	sc := &scenario.Scenario{Name: "F1-ra-throttle", Expect: map[string]scenario.Expectation{
		"rdnssd": {Outcome: scenario.OutcomeLosesDNS, Note: "passive listener"},
	}}
	rep := &conformance.Report{Clients: []conformance.Client{{
		MAC: "02:00:00:00:02:01", Verdict: conformance.VerdictDNSLost, LostAt: &lost, Reason: "RDNSS expired",
		Findings: []conformance.Finding{{ID: "F1"}, {ID: "C5"}, {ID: "F1"}},
		Evidence: []conformance.Evidence{{Packet: 12}, {Packet: 40}},
	}}}
	held := []string{"2001:db8:1::53"}
	timeline := []matrix.Sample{{At: t0, Servers: held}, {At: t0.Add(41 * time.Second), Servers: []string{}}}
	tests := []struct {
		name   string
		client string
		mac    net.HardwareAddr
		want   matrix.Cell
	}{
		{"observed", "rdnssd", mac, matrix.Cell{
			Client: "rdnssd", Class: "rdnssd", MAC: "02:00:00:00:02:01", Scenario: sc.Name,
			Verdict: "dns-lost", Actual: matrix.ActualDNSLost, Agree: true, Reason: "RDNSS expired",
			LostAt: &lost, ActualLostAt: &timeline[1].At, HeldAtEnd: []string{}, Findings: []string{"C5", "F1"}, FIDs: []string{"F1"},
			Evidence: []int{12, 40}, Pcapng: "F1-ra-throttle.pcapng", Expected: "dns-lost", ExpectedNote: "passive listener",
			Timeline: timeline,
		}},
		{"unseen", "dibbler", net.HardwareAddr{2, 0, 0, 0, 2, 7}, matrix.Cell{
			Client: "dibbler", MAC: "02:00:00:00:02:07", Scenario: sc.Name,
			Verdict: verdictUnseen, Actual: matrix.ActualDNSLost, Agree: false,
			Reason: "the capture shows no packet from or to this client", ActualLostAt: &timeline[1].At,
			HeldAtEnd: []string{}, Findings: []string{}, FIDs: []string{}, Evidence: []int{}, Pcapng: "F1-ra-throttle.pcapng",
			Timeline: timeline,
		}},
	}
	for _, tt := range tests {
		r := &scenarioRun{e: embeddedScenario{sc: sc}, pcapng: "F1-ra-throttle.pcapng"}
		c, err := labclient.Lookup(tt.client)
		if err != nil {
			t.Fatal(err)
		}
		w := &watched{c: c, inst: &labclient.Instance{Host: &netlab.Host{MAC: tt.mac}}, timeline: timeline}
		if diff := cmp.Diff(tt.want, r.cell(w, rep)); diff != "" {
			t.Errorf("%s: cell (-want +got):\n%s", tt.name, diff)
		}
	}
}

// smallScenarios are the scenarios of the small matrix.
var smallScenarios = []string{"baseline", "F11-dns-only-dhcpv6", "F12-dns-only-rdnss"}

// runMatrix runs names (all when empty) in a matrix with every installed
// client, after the checks every matrix test needs.
func runMatrix(t testing.TB, names []string) *matrix.Matrix {
	t.Helper()
	netlabtest.RequireLab(t)
	netlabtest.RequireTool(t, "tshark", "tshark")
	netlabtest.RequireTool(t, "dig", "bind9-dnsutils")
	bin := netlabtest.RalabBinary(t)
	out := t.TempDir()
	if d := os.Getenv("RALAB_MATRIX_DIR"); d != "" {
		out = filepath.Join(d, t.Name())
	}
	m, err := RunMatrix(t.Context(), MatrixOptions{
		Config: configs.Lab, ConfigName: configs.LabName, Executable: bin, OutDir: out,
		Scenarios: names, Logger: netlabtest.Logger(t), Progress: testProgress{t},
	})
	if err != nil {
		t.Fatalf("RunMatrix: %v (logs in %s)", err, out)
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
		if _, err := os.Stat(filepath.Join(out, s.Pcapng)); s.Pcapng == "" || err != nil {
			t.Errorf("scenario %s: no pcapng (%q, %v)", s.Name, s.Pcapng, err)
		}
	}
	return m
}

// testProgress writes progress lines to the test log.
type testProgress struct{ t testing.TB }

func (p testProgress) Write(b []byte) (int, error) {
	p.t.Logf("%s", b)
	return len(b), nil
}

// wantVerdict checks that the cell of client in scenario has verdict
// (observer) and the same actual state.
func wantVerdict(t *testing.T, m *matrix.Matrix, scenario, client, verdict string) {
	t.Helper()
	c := m.Cell(scenario, client)
	if c == nil {
		t.Errorf("%s × %s: no cell", scenario, client)
		return
	}
	if c.Verdict != verdict || string(c.Actual) != verdict {
		t.Errorf("%s × %s: observer %s, client %s; want %s for both (reason %q)", scenario, client, c.Verdict, c.Actual, verdict, c.Reason)
	}
}

// TestSmallMatrix runs baseline, F11 and F12 with every client and
// requires that the observer agrees with every client's real state, and
// the known behaviours: every client has DNS in the baseline, rdnssd has
// none when DNS is only in DHCPv6 (F11), dhclient none when it is only
// in RDNSS (F12).
func TestSmallMatrix(t *testing.T) {
	m := runMatrix(t, smallScenarios)
	for _, c := range m.Disagreements() {
		t.Errorf("%s × %s: observer %s, client %s (%s)", c.Scenario, c.Client, c.Verdict, c.Actual, c.Reason)
	}
	for _, name := range m.Clients {
		wantVerdict(t, m, "baseline", name, "dns-ok")
	}
	wantVerdict(t, m, "F11-dns-only-dhcpv6", "rdnssd", "no-dns")
	wantVerdict(t, m, "F12-dns-only-rdnss", "dhclient", "no-dns")
	wantVerdict(t, m, "F12-dns-only-rdnss", "rdnssd", "dns-ok")
	wantVerdict(t, m, "F11-dns-only-dhcpv6", "dhclient", "dns-ok")
}

// TestFullMatrix runs the rest of the default matrix (every scenario
// but those of TestSmallMatrix, which covers them in the same test run),
// logs the cells where observer and client disagree, and checks the
// known behaviours. The matrix
// tests do not run in parallel with each other: each already runs
// DefaultParallel labs at once.
func TestFullMatrix(t *testing.T) {
	scs, err := Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	var rest []string
	for _, s := range scs {
		if !slices.Contains(smallScenarios, s.Name) {
			rest = append(rest, s.Name)
		}
	}
	m := runMatrix(t, rest)
	// Full agreement is not reached yet: a few cells disagree from run to
	// run at the edges (a client applying an RA that arrived in the last
	// 100 ms; dhcpcd keeping RDNSS that a second router withdrew, F15).
	// They are logged, and must stay rare.
	d := m.Disagreements()
	for _, c := range d {
		t.Logf("disagreement: %s × %s: observer %s, client %s (%s)", c.Scenario, c.Client, c.Verdict, c.Actual, c.Reason)
	}
	if limit := len(m.Cells) / 10; len(d) > limit {
		t.Errorf("%d of %d cells disagree, want at most %d", len(d), len(m.Cells), limit)
	}
	if len(m.Cells) != len(rest)*len(m.Clients) {
		t.Errorf("%d cells, want %d scenarios × %d clients", len(m.Cells), len(rest), len(m.Clients))
	}
	// A client that never re-solicits loses RDNSS once throttling
	// outlasts the lifetime (F1).
	wantVerdict(t, m, "F1-ra-throttle", "rdnssd", "dns-lost")
}

// BenchmarkDefaultMatrix measures the wall time of the whole default
// matrix (every scenario, every client, DefaultParallel labs at once);
// run it with -benchtime 1x.
func BenchmarkDefaultMatrix(b *testing.B) {
	for b.Loop() {
		m := runMatrix(b, nil)
		b.ReportMetric(m.ElapsedSeconds, "s/matrix")
		b.ReportMetric(float64(m.Disagree), "disagreements")
	}
}
