package matrix

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// at returns t0 plus s seconds.
func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// ptr returns a pointer to t.
func ptr(t time.Time) *time.Time { return &t }

func TestActualFrom(t *testing.T) {
	held := []string{"2001:db8:1::53"}
	tests := []struct {
		name    string
		samples []Sample
		want    Actual
		lostAt  *time.Time
	}{
		{"no samples", nil, ActualUnknown, nil},
		{"all unreadable", []Sample{{At: at(0), Error: "boom"}}, ActualUnknown, nil},
		{"never held", []Sample{{At: at(0)}, {At: at(1)}}, ActualNoDNS, nil},
		{"held at the end", []Sample{{At: at(0)}, {At: at(1), Servers: held}}, ActualDNSOK, nil},
		{"held, lost, held again", []Sample{{At: at(0), Servers: held}, {At: at(1)}, {At: at(2), Servers: held}}, ActualDNSOK, nil},
		{"held then lost", []Sample{{At: at(0), Servers: held}, {At: at(1), Servers: held}, {At: at(2)}, {At: at(3)}}, ActualDNSLost, ptr(at(2))},
		{"unreadable last sample ignored", []Sample{{At: at(0), Servers: held}, {At: at(1), Error: "gone"}}, ActualDNSOK, nil},
		{"lost after an unreadable sample", []Sample{{At: at(0), Servers: held}, {At: at(1), Error: "gone"}, {At: at(2)}}, ActualDNSLost, ptr(at(2))},
	}
	for _, tt := range tests {
		got, lost := ActualFrom(tt.samples)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: actual (-want +got):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.lostAt, lost); diff != "" {
			t.Errorf("%s: lost at (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestCompare(t *testing.T) {
	held := []string{"2001:db8:1::53"}
	// The client held DNS from 0 s and lost it at 10 s.
	lost := []Sample{{At: at(0), Servers: held}, {At: at(10)}, {At: at(14)}}
	tests := []struct {
		name    string
		verdict string
		samples []Sample
		at      time.Time
		want    Comparison
	}{
		{"same state at the evaluation time", "dns-lost", lost, at(12),
			Comparison{Actual: ActualDNSLost, LostAt: ptr(at(10)), Agree: true}},
		{"client applied the loss 1 s after the observer's moment", "dns-lost", lost, at(9),
			Comparison{Actual: ActualDNSLost, LostAt: ptr(at(10)), Agree: true, SettledAt: ptr(at(10))}},
		{"client lost it under 1 s before the observer's moment", "dns-ok", lost, at(10).Add(500 * time.Millisecond),
			Comparison{Actual: ActualDNSOK, Agree: true, SettledAt: ptr(at(9).Add(500 * time.Millisecond))}},
		{"loss 3 s after the observer's moment is a disagreement", "dns-lost", lost, at(7),
			Comparison{Actual: ActualDNSOK}},
		{"lasting difference", "dns-ok", lost, at(14),
			Comparison{Actual: ActualDNSLost, LostAt: ptr(at(10))}},
		{"never held", "dns-ok", []Sample{{At: at(0)}, {At: at(14)}}, at(12),
			Comparison{Actual: ActualNoDNS}},
		{"inconclusive never agrees", "inconclusive", lost, at(10),
			Comparison{Actual: ActualDNSLost, LostAt: ptr(at(10))}},
	}
	for _, tt := range tests {
		got := Compare(tt.verdict, tt.samples, tt.at, DefaultWindow)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.name, diff)
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
		if got := Agrees(tt.verdict, tt.actual); got != tt.want {
			t.Errorf("Agrees(%q, %q) = %v, want %v", tt.verdict, tt.actual, got, tt.want)
		}
	}
}

// sample returns a small matrix: one agreeing cell with DNS, one
// agreeing loss with a failure id, one disagreement.
func sample() *Matrix {
	m := &Matrix{
		Schema: Schema, GeneratedAt: t0, Config: "lab.toml", ElapsedSeconds: 75,
		Clients: []string{"rdnssd", "dhclient"},
		Missing: []Missing{{Name: "dibbler", Package: "dibbler-client"}},
		Scenarios: []Scenario{
			{Name: "F1-ra-throttle", FIDs: []string{"F1"}, Description: "throttled <RAs>", DurationSeconds: 75, Pcapng: "F1-ra-throttle.pcapng"},
		},
		Cells: []Cell{
			{Client: "rdnssd", Class: "rdnssd", Scenario: "F1-ra-throttle", Verdict: "dns-lost", Actual: ActualDNSLost, Agree: true,
				Reason: "RDNSS expired", LostAt: ptr(at(40)), Findings: []string{"C5", "F1"}, FIDs: []string{"F1"}, Evidence: []int{12, 40},
				Pcapng: "F1-ra-throttle.pcapng", Expected: "dns-lost", HeldAtEnd: []string{}},
			{Client: "dhclient", Class: "dhclient", Scenario: "F1-ra-throttle", Verdict: "dns-ok", Actual: ActualNoDNS, Agree: false,
				Reason: "a | pipe", Findings: []string{}, Evidence: []int{}, Pcapng: "F1-ra-throttle.pcapng", Expected: "no-dns",
				HeldAtEnd: []string{}},
		},
	}
	m.Count()
	return m
}

func TestCount(t *testing.T) {
	m := sample()
	if diff := cmp.Diff([2]int{1, 1}, [2]int{m.Agree, m.Disagree}); diff != "" {
		t.Errorf("agree, disagree (-want +got):\n%s", diff)
	}
	if got := m.Disagreements(); len(got) != 1 || got[0].Client != "dhclient" {
		t.Errorf("Disagreements = %+v, want the dhclient cell", got)
	}
	if m.Cell("F1-ra-throttle", "nobody") != nil {
		t.Error("Cell found a client that is not there")
	}
}

func TestWriteMarkdown(t *testing.T) {
	var b strings.Builder
	if err := sample().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	want := "# ralab compatibility matrix\n\n" +
		"Configuration lab.toml, 1 scenarios × 2 clients, 2026-01-02T03:04:05Z. Observer and client agree in 1 of 2 cells; **1 disagreements**.\n\n" +
		"Each cell is the observer's verdict from the wire, with the failure ids it names; `≠ client X` marks a disagreement with the client's real resolver state, `[expected X]` a cell that contradicts the scenario file's expectation for that client.\n\n" +
		"| scenario | rdnssd | dhclient |\n" +
		"|---|---|---|\n" +
		"| F1-ra-throttle | ❌ dns-lost (F1) | ⚠️ dns-ok ≠ client no-dns [expected no-dns] |\n" +
		"\nNot installed: dibbler (Debian package dibbler-client);\n" +
		"\n## Disagreements\n\n| scenario | client | observer | client held | reason |\n|---|---|---|---|---|\n" +
		"| F1-ra-throttle | dhclient | dns-ok | no-dns | a \\| pipe |\n" +
		"\n## Cells without DNS\n\n| scenario | client | verdict | lost at | findings | packets | reason |\n|---|---|---|---|---|---|---|\n" +
		"| F1-ra-throttle | rdnssd | dns-lost | 03:04:45.000 | C5, F1 | F1-ra-throttle.pcapng #12, #40 | RDNSS expired |\n"
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
		{"red cell", `<td class="bad" title="RDNSS expired"><strong>dns-lost</strong>`},
		{"failure id", "F1 "},
		{"packet link", `<a class="small" href="F1-ra-throttle.pcapng">F1-ra-throttle.pcapng</a> <span class="small" title="Wireshark display filter: frame.number in {12 40}">#12, #40</span>`},
		{"disagreement", `<td class="disagree" title="a | pipe"><strong>dns-ok</strong> ≠ client no-dns`},
		{"escaped description", `title="throttled &lt;RAs&gt;"`},
		{"count", "<strong>1 disagreements</strong>"},
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
	for _, key := range []string{`"client"`, `"scenario"`, `"verdict"`, `"actual"`, `"agree"`, `"schema": "ralab.matrix/v1"`} {
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
	f.Add([]byte(`{"schema":"ralab.matrix/v1","cells":[{"client":"x","scenario":"y"}]}`))
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

func TestFlapped(t *testing.T) {
	held, none := []string{"2001:db8:1::53"}, []string{}
	tl := func(states ...[]string) []Sample {
		var out []Sample
		for i, s := range states {
			out = append(out, Sample{At: at(i), Servers: s})
		}
		return out
	}
	tests := []struct {
		name string
		tl   []Sample
		want bool
	}{
		{"held throughout", tl(none, held, held), false},
		{"lost for good", tl(held, none, none), false},
		{"lost and regained", tl(none, held, none, held), true},
		{"never held", tl(none, none), false},
		{"unreadable sample is no loss", []Sample{{At: at(0), Servers: held}, {At: at(1), Error: "x"}, {At: at(2), Servers: held}}, false},
	}
	for _, tt := range tests {
		if got := Flapped(tt.tl); got != tt.want {
			t.Errorf("%s: Flapped = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestExpectationMissed(t *testing.T) {
	held := []string{"2001:db8:1::53"}
	flaps := []Sample{{At: at(0), Servers: held}, {At: at(1)}, {At: at(2), Servers: held}}
	tests := []struct {
		name string
		c    Cell
		want bool
	}{
		{"no expectation", Cell{Verdict: "no-dns"}, false},
		{"met", Cell{Verdict: "dns-lost", Expected: "dns-lost"}, false},
		{"missed", Cell{Verdict: "dns-ok", Expected: "dns-lost"}, true},
		{"flapped, either end state", Cell{Verdict: "dns-lost", Expected: ExpectedFlaps, Timeline: flaps}, false},
		{"expected flaps, never lost", Cell{Verdict: "dns-ok", Expected: ExpectedFlaps, Timeline: flaps[:1]}, true},
	}
	for _, tt := range tests {
		if got := tt.c.ExpectationMissed(); got != tt.want {
			t.Errorf("%s: ExpectationMissed = %v, want %v", tt.name, got, tt.want)
		}
	}
}
