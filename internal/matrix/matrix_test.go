package matrix

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/conformance"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// at returns t0 plus s seconds.
func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// ptr returns a pointer to t.
func ptr(t time.Time) *time.Time { return &t }

// timeline returns one sample a second from t0: H holds a server, _
// holds none, x could not be read.
func timeline(states string) []Sample {
	held := []string{"2001:db8:1::53"}
	var out []Sample
	for i, r := range states {
		s := Sample{At: at(i), Servers: []string{}}
		switch r {
		case 'H':
			s.Servers = held
		case 'x':
			s.Error = "unreadable"
		}
		out = append(out, s)
	}
	return out
}

// ms returns t0 plus s seconds, s fractional.
func ms(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func TestJudge(t *testing.T) {
	tests := []struct {
		name    string
		samples []Sample
		end     time.Time
		want    Judgement
	}{
		{"no samples", nil, at(5), Judgement{Actual: ActualUnknown, Outages: []Outage{}}},
		{"all unreadable", timeline("xx"), at(5), Judgement{Actual: ActualUnknown, Outages: []Outage{}}},
		{"never held", timeline("___"), at(2), Judgement{Actual: ActualNoDNS, Outages: []Outage{}}},
		{"held from 2 s", timeline("__HHHH"), at(5), Judgement{Actual: ActualDNSOK, FirstDNS: ptr(at(2)), Outages: []Outage{}}},
		{"one empty sample is a lapse", timeline("HH_HH"), at(4), Judgement{Actual: ActualDNSOK, FirstDNS: ptr(at(0)), Outages: []Outage{}, Lapses: 1}},
		{"two empty samples are an outage", timeline("HH__HH"), at(5), Judgement{Actual: ActualDNSLost, Recovered: true, FirstDNS: ptr(at(0)),
			Outages: []Outage{{Start: ms(1.5), End: ptr(ms(3.5)), Seconds: 2, MinSeconds: 1, MaxSeconds: 3}}, WithoutDNSSeconds: 2}},
		{"lost to the end", timeline("HHH___"), at(5), Judgement{Actual: ActualDNSLost, FirstDNS: ptr(at(0)),
			Outages: []Outage{{Start: ms(2.5), Seconds: 2.5, MinSeconds: 2, MaxSeconds: 3}}, WithoutDNSSeconds: 2.5}},
		{"flapping", timeline("HH___HH___HH"), at(11), Judgement{Actual: ActualDNSLost, Recovered: true, FirstDNS: ptr(at(0)),
			Outages: []Outage{
				{Start: ms(1.5), End: ptr(ms(4.5)), Seconds: 3, MinSeconds: 2, MaxSeconds: 4},
				{Start: ms(6.5), End: ptr(ms(9.5)), Seconds: 3, MinSeconds: 2, MaxSeconds: 4},
			}, WithoutDNSSeconds: 6}},
		{"unreadable samples are skipped", timeline("Hx_H"), at(3), Judgement{Actual: ActualDNSOK, FirstDNS: ptr(at(0)), Outages: []Outage{}, Lapses: 1}},
		{"samples after the end are not judged", timeline("HH____"), at(3), Judgement{Actual: ActualDNSOK, FirstDNS: ptr(at(0)), Outages: []Outage{}, Lapses: 1}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Judge(tt.samples, tt.end, DefaultGrace)); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestCompare(t *testing.T) {
	held := []string{"2001:db8:1::53"}
	// Only the changes were recorded: held from 0 s, empty from 10 s.
	sparse := []Sample{{At: at(0), Servers: held}, {At: at(10)}, {At: at(14)}}
	tests := []struct {
		name      string
		verdict   string
		recovered bool
		samples   []Sample
		end       time.Time
		agree     bool
		unsettled bool
	}{
		{"recovered loss", "dns-lost", true, timeline("HH__HH"), at(5), true, false},
		// Recovered 2 s before the end (beyond DefaultWindow.Before).
		{"recovered loss called unrecovered", "dns-lost", false, timeline("HH__HHH"), at(6), false, false},
		{"recovered 1 s before the end, called unrecovered", "dns-lost", false, timeline("HH__HH"), at(5), false, true},
		{"a 1-3 s stretch called no loss", "dns-ok", false, timeline("HH__HH"), at(5), false, true},
		{"a 3-5 s stretch called no loss", "dns-ok", false, timeline("HH____HH"), at(7), false, false},
		{"flapping client called dns-ok", "dns-ok", false, timeline("HHH___HHH___HHH"), at(14), false, false},
		{"flapping client called dns-lost, recovered", "dns-lost", true, timeline("HHH___HHH___HHH"), at(14), true, false},
		{"flapping client called dns-lost, not recovered", "dns-lost", false, timeline("HHH___HHH___HHH"), at(14), false, false},
		// The test that once accepted dns-ok: the client lost DNS 0.5 s
		// before the end and stayed without it.
		{"lost 0.5 s before the end, called dns-ok", "dns-ok", false, sparse, ms(10.5), false, true},
		{"lost 2.5 s before the end, called dns-ok", "dns-ok", false, timeline("HHHHHHHH___"), at(10), false, true},
		{"lost 2.5 s before the end, called dns-lost", "dns-lost", false, timeline("HHHHHHHH___"), at(10), true, false},
		{"lasting difference", "dns-ok", false, timeline("HH______"), at(7), false, false},
		{"loss after the end is not judged", "dns-ok", false, timeline("HHHHH_____"), at(4), true, false},
		{"never held", "dns-ok", false, timeline("_____"), at(4), false, false},
		{"no-dns", "no-dns", false, timeline("_____"), at(4), true, false},
		{"inconclusive never agrees", "inconclusive", false, timeline("HHHH"), at(3), false, false},
		{"unseen never agrees", "unseen", false, timeline("____"), at(3), false, false},
	}
	for _, tt := range tests {
		got := Compare(conformance.Verdict(tt.verdict), tt.recovered, tt.samples, tt.end, DefaultGrace, DefaultWindow)
		if got.Agree != tt.agree || (got.Unsettled != "") != tt.unsettled {
			t.Errorf("%s: agree %v, unsettled %q; want agree %v, unsettled %v (judged %+v)", tt.name, got.Agree, got.Unsettled, tt.agree, tt.unsettled, got.Judgement)
		}
		if got.Agree && got.Unsettled != "" {
			t.Errorf("%s: agrees and is unsettled", tt.name)
		}
	}
}

// TestCompareNeverBoth checks that, whatever the samples, dns-ok and
// dns-lost never both agree with them.
func TestCompareNeverBoth(t *testing.T) {
	for _, states := range []string{"HH_HH", "HH__HH", "HHH___HHH", "HHHHHH_", "HHHHH__", "HH_H_H_H_H", "___HH__HH"} {
		samples := timeline(states)
		for end := range len(states) {
			ok := Compare("dns-ok", false, samples, at(end), DefaultGrace, DefaultWindow).Agree
			for _, rec := range []bool{false, true} {
				if ok && Compare("dns-lost", rec, samples, at(end), DefaultGrace, DefaultWindow).Agree {
					t.Errorf("%s at %d s: dns-ok and dns-lost (recovered %v) both agree", states, end, rec)
				}
			}
		}
	}
}

func TestAgrees(t *testing.T) {
	tests := []struct {
		verdict string
		actual  Actual
		want    bool
	}{
		{"dns-ok", ActualDNSOK, true},
		{"dns-lost", ActualDNSLost, true},
		{"no-dns", ActualNoDNS, true},
		{"dns-ok", ActualDNSLost, false},
		{"dns-ok", ActualNoDNS, false},
		{"dns-lost", ActualDNSOK, false},
		{"no-dns", ActualDNSOK, false},
		{"inconclusive", ActualDNSOK, false},
		{"inconclusive", ActualNoDNS, false},
		{"unseen", ActualNoDNS, false},
		{"no-dns", ActualUnknown, false},
		{"unknown", ActualUnknown, false},
	}
	for _, tt := range tests {
		if got := Agrees(conformance.Verdict(tt.verdict), tt.actual); got != tt.want {
			t.Errorf("Agrees(%q, %q) = %v, want %v", tt.verdict, tt.actual, got, tt.want)
		}
	}
}

// sample returns a small matrix: an agreeing recovered loss with a
// failure id, a disagreement, and an unsettled cell whose verdict
// depends on client knowledge.
func sample() *Matrix {
	m := &Matrix{
		Schema: Schema, GeneratedAt: t0, Config: "lab.toml", ElapsedSeconds: 75,
		Clients: []string{"rdnssd", "dhclient", "dhcpcd"},
		Missing: []Missing{{Name: "dibbler", Package: "dibbler-client"}},
		Scenarios: []Scenario{
			{Name: "F5-rdnss-lifetime", FIDs: []string{"F5"}, Description: "short <RDNSS>", DurationSeconds: 60, Pcapng: "F5-rdnss-lifetime.pcapng",
				Report: "F5-rdnss-lifetime.report.json", ReportHTML: "F5-rdnss-lifetime.report.html"},
		},
		Cells: []Cell{
			{Client: "rdnssd", Class: "rdnssd", Scenario: "F5-rdnss-lifetime", Verdict: "dns-lost", Recovered: true, Outages: 2, WithoutDNSSeconds: 8.5,
				Actual: ActualDNSLost, ActualRecovered: true, ActualOutages: []Outage{{Start: at(25), End: ptr(at(29)), Seconds: 4}}, Agree: true,
				Reason: "RDNSS expired", LostAt: ptr(at(40)), Findings: []string{"C5", "F5"}, FIDs: []string{"F5"}, Evidence: []int{12, 40},
				Pcapng: "F5-rdnss-lifetime.pcapng", Report: "F5-rdnss-lifetime.report.html#client-1", Expected: "flaps", ImpairedFrom: ptr(at(20)), HeldAtEnd: []string{}},
			{Client: "dhclient", Class: "dhclient", Scenario: "F5-rdnss-lifetime", Verdict: "dns-ok", Actual: ActualNoDNS, Agree: false,
				Reason: "a | pipe", Findings: []string{}, Evidence: []int{}, Pcapng: "F5-rdnss-lifetime.pcapng", Expected: "no-dns",
				HeldAtEnd: []string{}},
			{Client: "dhcpcd", Class: "dhcpcd", Scenario: "F5-rdnss-lifetime", Verdict: "dns-ok", Actual: ActualDNSLost, ActualRecovered: true,
				Unsettled: "too close to call", Reason: "RDNSS valid", Findings: []string{}, Evidence: []int{3}, Pcapng: "F5-rdnss-lifetime.pcapng",
				WireVerdict: "inconclusive", DependsOnKnowledge: true, Knowledge: []string{"dhcpcd: keeps RDNSS"}, HeldAtEnd: []string{}},
		},
	}
	m.Count()
	return m
}

func TestCount(t *testing.T) {
	m := sample()
	if diff := cmp.Diff([4]int{1, 1, 1, 1}, [4]int{m.Agree, m.Unsettled, m.Disagree, m.KnowledgeDependent}); diff != "" {
		t.Errorf("agree, unsettled, disagree, knowledge (-want +got):\n%s", diff)
	}
	if got := m.UnsettledCells(); len(got) != 1 || got[0].Client != "dhcpcd" {
		t.Errorf("UnsettledCells = %+v, want the dhcpcd cell", got)
	}
	if got := m.Disagreements(); len(got) != 1 || got[0].Client != "dhclient" {
		t.Errorf("Disagreements = %+v, want the dhclient cell", got)
	}
	if m.Cell("F5-rdnss-lifetime", "nobody") != nil {
		t.Error("Cell found a client that is not there")
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b strings.Builder
	if err := sample().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	want := "# ralab compatibility matrix\n" +
		"\n" +
		"Configuration lab.toml, 1 scenarios × 3 clients, 2026-01-02T03:04:05Z. Observer and client agree in 1 of 3 cells; **1 disagreements**, 1 unsettled; 1 verdicts depend on client knowledge.\n" +
		"\n" +
		"Each cell is the observer's verdict over the whole capture (as `ralab analyze` of the scenario's pcapng gives it), with its outages and the failure ids it names. ✅ DNS throughout, 🟠 lost and recovered, ❌ lost, ⛔ never had DNS, ❔ inconclusive or unseen; ⚠️ `≠ client X` marks a disagreement with the client's real resolver state, 〰️ `≈ client X` an unsettled cell (a change at the very end, or a lapse too close to the grace to call), `[wire alone: X]` a verdict that depends on client knowledge, `[expected X]` a cell that contradicts the scenario file's expectation.\n" +
		"\n" +
		"| scenario | rdnssd | dhclient | dhcpcd |\n" +
		"|---|---|---|---|\n" +
		"| F5-rdnss-lifetime | 🟠 dns-lost, recovered (2 outages, 8.5 s without DNS) (F5) | ⛔⚠️ dns-ok ≠ client no-dns [expected no-dns] | 🟠〰️ dns-ok ≈ client dns-lost, recovered (unsettled) [wire alone: inconclusive] |\n" +
		"\n" +
		"Not installed: dibbler (Debian package dibbler-client);\n" +
		"\n" +
		"## Disagreements\n" +
		"\n" +
		"| scenario | client | observer | client held | reason |\n" +
		"|---|---|---|---|---|\n" +
		"| F5-rdnss-lifetime | dhclient | dns-ok | no-dns | a \\| pipe |\n" +
		"\n" +
		"## Unsettled cells\n" +
		"\n" +
		"| scenario | client | observer | client held | why unsettled |\n" +
		"|---|---|---|---|---|\n" +
		"| F5-rdnss-lifetime | dhcpcd | dns-ok | dns-lost, recovered | too close to call |\n" +
		"\n" +
		"## Missed expectations\n" +
		"\n" +
		"| scenario | client | observer | client held | expected |\n" +
		"|---|---|---|---|---|\n" +
		"| F5-rdnss-lifetime | dhclient | dns-ok | no-dns | no-dns: expected no-dns (no-dns), observer says dns-ok |\n" +
		"\n" +
		"## Verdicts that depend on client knowledge\n" +
		"\n" +
		"| scenario | client | observer | client held | wire alone; knowledge used |\n" +
		"|---|---|---|---|---|\n" +
		"| F5-rdnss-lifetime | dhcpcd | dns-ok | dns-lost, recovered | inconclusive; dhcpcd: keeps RDNSS |\n" +
		"\n" +
		"## Outage counts that differ\n" +
		"\n" +
		"| scenario | client | observer | client held | observer outages; client outages |\n" +
		"|---|---|---|---|---|\n" +
		"| F5-rdnss-lifetime | rdnssd | dns-lost, recovered | dns-lost, recovered | 2, 8.5 s without DNS; 1, 0 s without DNS |\n" +
		"\n" +
		"## Cells that lost DNS or never had it\n" +
		"\n" +
		"| scenario | client | verdict | outages | last lost at | findings | packets | reason |\n" +
		"|---|---|---|---|---|---|---|---|\n" +
		"| F5-rdnss-lifetime | rdnssd | dns-lost, recovered | 2, 8.5 s without DNS | 03:04:45.000 | C5, F5 | F5-rdnss-lifetime.pcapng #12, #40 | RDNSS expired |\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteMarkdown (-want +got):\n%s", diff)
	}
}

func TestWriteHTML(t *testing.T) {
	var b strings.Builder
	if err := sample().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	tests := []struct {
		name, want string
	}{
		{"amber recovered cell", `<td class="recovered " title="RDNSS expired"><strong>dns-lost, recovered</strong>`},
		{"outages", "2 outage(s), 8.5 s without DNS"},
		{"failure id", "F5 "},
		{"report link", `<a class="small" href="F5-rdnss-lifetime.report.html#client-1">report</a>`},
		{"packet link", `<a class="small" href="F5-rdnss-lifetime.pcapng">pcapng</a> <span class="small" title="Wireshark display filter: frame.number in {12 40}">#12, #40</span>`},
		{"disagreement", `<td class="nodns disagree" title="a | pipe"><strong>dns-ok</strong>`},
		{"unsettled", `<td class="recovered unsettled" title="RDNSS valid — unsettled: too close to call">`},
		{"wire alone", "wire alone: inconclusive"},
		{"missed expectation", "missed: expected no-dns (no-dns), observer says dns-ok"},
		{"escaped description", `title="short &lt;RDNSS&gt;"`},
		{"scenario report link", `<a href="F5-rdnss-lifetime.report.html">F5-rdnss-lifetime</a>`},
		{"count", "<strong>1 disagreements</strong>, 1 unsettled"},
		{"missing", "dibbler (Debian package dibbler-client)"},
	}
	for _, tt := range tests {
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: HTML lacks %q:\n%s", tt.name, tt.want, got)
		}
	}
}

func TestFailureIDs(t *testing.T) {
	tests := []struct {
		findings []string
		reason   string
		want     []string
	}{
		{nil, "", []string{}},
		{[]string{"C4", "N1"}, "no RDNSS (F12)", []string{"F12"}},
		{[]string{"F9", "C3", "F1"}, "as F1 and F10; not F18 or F1x", []string{"F1", "F9", "F10"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, FailureIDs(tt.findings, tt.reason)); diff != "" {
			t.Errorf("FailureIDs(%v, %q) (-want +got):\n%s", tt.findings, tt.reason, diff)
		}
	}
}

func TestPackets(t *testing.T) {
	tests := []struct {
		ev   []int
		want string
	}{
		{nil, ""},
		{[]int{7}, "#7"},
		{[]int{1, 2, 3, 4, 5, 6, 7}, "#1, #2, #3, #4, #5, +2"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, packets(tt.ev)); diff != "" {
			t.Errorf("packets(%v) (-want +got):\n%s", tt.ev, diff)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	m := sample()
	var b bytes.Buffer
	if err := m.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"client"`, `"scenario"`, `"verdict"`, `"actual"`, `"agree"`, `"schema": "ralab.matrix/v2"`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	got, err := Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"other schema", `{"schema":"ralab.report/v1"}`, ErrSchema},
		{"no schema", `{}`, ErrSchema},
	}
	for _, tt := range tests {
		if _, err := Decode(strings.NewReader(tt.in)); !errors.Is(err, tt.want) {
			t.Errorf("%s: Decode = %v, want %v", tt.name, err, tt.want)
		}
	}
	for _, in := range []string{"", "{", `{"schema":1}`, `[]`} {
		if _, err := Decode(strings.NewReader(in)); err == nil {
			t.Errorf("Decode(%q) accepted", in)
		}
	}
}

// FuzzDecode checks that Decode never panics and that what it accepts
// renders in every format.
func FuzzDecode(f *testing.F) {
	var b bytes.Buffer
	if err := sample().WriteJSON(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema":"ralab.matrix/v2","cells":[{"client":"x","scenario":"y"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := m.WriteMarkdown(&out); err != nil {
			t.Fatal(err)
		}
		if err := m.WriteHTML(&out); err != nil {
			t.Fatal(err)
		}
		if err := m.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
	})
}

func TestExpectationMissed(t *testing.T) {
	from, until := ptr(at(20)), ptr(at(40))
	lostEarly := []Outage{{Start: at(5), End: ptr(at(9))}}
	lostLate := []Outage{{Start: at(25), End: ptr(at(30))}}
	tests := []struct {
		name string
		c    Cell
		want bool
	}{
		{"no expectation", Cell{Verdict: "no-dns"}, false},
		{"dns met", Cell{Verdict: "dns-ok", Expected: ExpectDNS}, false},
		{"dns missed by a recovered loss", Cell{Verdict: "dns-lost", Recovered: true, Expected: ExpectDNS}, true},
		{"no-dns met", Cell{Verdict: "no-dns", Expected: ExpectNoDNS}, false},
		{"late-dns met", Cell{Verdict: "dns-ok", Expected: ExpectLateDNS, ImpairedUntil: until, ActualFirstDNS: ptr(at(42))}, false},
		{"late-dns too early", Cell{Verdict: "dns-ok", Expected: ExpectLateDNS, ImpairedUntil: until, ActualFirstDNS: ptr(at(3))}, true},
		{"late-dns never", Cell{Verdict: "no-dns", Expected: ExpectLateDNS, ImpairedUntil: until}, true},
		{"flaps met", Cell{Verdict: "dns-lost", Recovered: true, LostAt: ptr(at(25)), Expected: ExpectFlaps, ImpairedFrom: from, ActualOutages: lostLate}, false},
		{"flaps not recovered", Cell{Verdict: "dns-lost", LostAt: ptr(at(25)), Expected: ExpectFlaps, ImpairedFrom: from, ActualOutages: lostLate}, true},
		{"flaps shown green", Cell{Verdict: "dns-ok", Expected: ExpectFlaps, ImpairedFrom: from, ActualOutages: lostLate}, true},
		{"flaps before the impairment", Cell{Verdict: "dns-lost", Recovered: true, LostAt: ptr(at(5)), Expected: ExpectFlaps, ImpairedFrom: from, ActualOutages: lostEarly}, true},
		{"client lost nothing after the impairment", Cell{Verdict: "dns-lost", Recovered: true, LostAt: ptr(at(25)), Expected: ExpectFlaps, ImpairedFrom: from, ActualOutages: lostEarly}, true},
		{"loses-dns, recovered or not", Cell{Verdict: "dns-lost", Recovered: true, LostAt: ptr(at(25)), Expected: ExpectLosesDNS, ImpairedFrom: from, ActualOutages: lostLate}, false},
		{"unknown outcome", Cell{Verdict: "dns-ok", Expected: "sometimes"}, true},
	}
	for _, tt := range tests {
		if got := tt.c.ExpectationMissed(); (got != "") != tt.want {
			t.Errorf("%s: ExpectationMissed = %q, want missed %v", tt.name, got, tt.want)
		}
	}
}

func TestSettleShortOutages(t *testing.T) {
	tests := []struct {
		name      string
		cell      Cell
		unsettled bool
	}{
		{"3.1 s outage, client kept DNS", Cell{Verdict: "dns-lost", Actual: ActualDNSOK, LongestOutageSeconds: 3.1}, true},
		{"4 s outage, client kept DNS", Cell{Verdict: "dns-lost", Actual: ActualDNSOK, LongestOutageSeconds: 4}, false},
		{"agreeing cell", Cell{Verdict: "dns-lost", Actual: ActualDNSLost, Agree: true, LongestOutageSeconds: 3.1}, false},
		{"client without DNS", Cell{Verdict: "dns-lost", Actual: ActualNoDNS, LongestOutageSeconds: 3.1}, false},
	}
	for _, tt := range tests {
		c := tt.cell
		c.SettleShortOutages(DefaultGrace)
		if got := c.Unsettled != ""; got != tt.unsettled {
			t.Errorf("%s: unsettled %q, want %v", tt.name, c.Unsettled, tt.unsettled)
		}
	}
}

func TestExpectationLossJustAfterImpairment(t *testing.T) {
	from := at(20)
	c := Cell{Expected: ExpectLosesDNS, Verdict: "dns-lost", ImpairedFrom: &from}
	for _, tt := range []struct {
		start  time.Time
		missed bool
	}{
		// Placed 0.15 s before the impairment by the midpoint of two
		// samples a second apart: it may have begun after it.
		{ms(19.85), false},
		{ms(18.5), true},
	} {
		c.ActualOutages = []Outage{{Start: tt.start, Seconds: 5}}
		if got := c.ExpectationMissed() != ""; got != tt.missed {
			t.Errorf("loss from %v, impairment from %v: missed %v (%q), want %v", tt.start, from, got, c.ExpectationMissed(), tt.missed)
		}
	}
}
