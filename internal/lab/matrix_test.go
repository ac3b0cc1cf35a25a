package lab

import (
	"errors"
	"net"
	"os"
	"path/filepath"
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
	end := t0.Add(42 * time.Second)
	rep := &conformance.Report{End: end, Clients: []conformance.Client{{
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
			Verdict: "dns-lost", Actual: matrix.ActualDNSLost, Agree: true, EvaluatedAt: end, Reason: "RDNSS expired",
			LostAt: &lost, ActualLostAt: &timeline[1].At, HeldAtEnd: []string{}, Findings: []string{"C5", "F1"}, FIDs: []string{"F1"},
			Evidence: []int{12, 40}, Pcapng: "F1-ra-throttle.pcapng", Expected: "dns-lost", ExpectedNote: "passive listener",
			Timeline: timeline,
		}},
		{"unseen", "dibbler", net.HardwareAddr{2, 0, 0, 0, 2, 7}, matrix.Cell{
			Client: "dibbler", MAC: "02:00:00:00:02:07", Scenario: sc.Name,
			Verdict: verdictUnseen, Actual: matrix.ActualDNSLost, Agree: false, EvaluatedAt: end,
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

// TestDefaultMatrix runs the whole default matrix (every built-in
// scenario, every installed client) and requires that the observer's
// verdict agrees with the client's real state in every cell; that every
// cell without DNS names a failure id and the packets behind it; the
// known behaviours of the issue (rdnssd has no DNS when DNS is only in
// DHCPv6, dhclient none when it is only in RDNSS, a client that never
// re-solicits loses RDNSS once throttling outlasts the lifetime); and
// every outcome the scenario files expect of the lab's clients.
func TestDefaultMatrix(t *testing.T) {
	m := runMatrix(t, nil)
	scs, err := Scenarios()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cells) != len(scs)*len(m.Clients) {
		t.Errorf("%d cells, want %d scenarios × %d clients", len(m.Cells), len(scs), len(m.Clients))
	}
	for _, c := range m.Disagreements() {
		t.Errorf("%s × %s: observer %s, client %s (%s)", c.Scenario, c.Client, c.Verdict, c.Actual, c.Reason)
	}
	for _, c := range m.Cells {
		if c.Verdict != "dns-ok" && (len(c.FIDs) == 0 || len(c.Evidence) == 0) {
			t.Errorf("%s × %s: %s without a failure id (%v) or packets (%v): %s", c.Scenario, c.Client, c.Verdict, c.FIDs, c.Evidence, c.Reason)
		}
	}
	for _, name := range m.Clients {
		wantVerdict(t, m, "baseline", name, "dns-ok")
	}
	wantVerdict(t, m, "F11-dns-only-dhcpv6", "rdnssd", "no-dns")
	wantVerdict(t, m, "F11-dns-only-dhcpv6", "dhclient", "dns-ok")
	wantVerdict(t, m, "F12-dns-only-rdnss", "dhclient", "no-dns")
	wantVerdict(t, m, "F12-dns-only-rdnss", "rdnssd", "dns-ok")
	wantVerdict(t, m, "F1-ra-throttle", "rdnssd", "dns-lost")
	for _, sc := range scs {
		for _, name := range m.Clients {
			c := m.Cell(sc.Name, name)
			if c == nil || c.Class == "" {
				continue
			}
			if ex, ok := sc.Expect[c.Class]; ok {
				wantOutcome(t, c, ex)
			}
		}
	}
}

// wantOutcome checks that cell c shows the outcome the scenario expects
// of its client class: flaps is a loss and a regain in the client's
// timeline, the others its state at the end.
func wantOutcome(t *testing.T, c *matrix.Cell, ex scenario.Expectation) {
	t.Helper()
	want := expectedVerdicts[ex.Outcome]
	switch {
	case want == matrix.ExpectedFlaps && !matrix.Flapped(c.Timeline):
		t.Errorf("%s × %s: expected flaps (%s), but the client never lost and regained DNS: %+v", c.Scenario, c.Client, ex.Note, c.Timeline)
	case want != matrix.ExpectedFlaps && string(c.Actual) != want:
		t.Errorf("%s × %s: expected %s (%s: %s), client %s", c.Scenario, c.Client, want, ex.Outcome, ex.Note, c.Actual)
	}
}
