package scenario_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/scenario"
)

const good = `# F9 like the issue: normal, then Replies dropped, then normal.
name = "F9-example"
fids = ["F9"]
description = "normal, drop, normal"
realistic = "use minutes"
duration = "400s"
seed = 7

[override]
max_interval = "6s"
rdnss_lifetime = "18s"

[impairment.drop-replies]
type = "dhcpv6-drop"
direction = "reply"

[[phase]]
name = "normal"
start = "0s"

[[phase]]
start = "30s"
impairments = ["drop-replies"]
[phase.override]
other_config = true

[[phase]]
name = "recovered"
start = "330s"
impairments = []

[expect.dhclient]
outcome = "late-dns"
note = "after the drop"
`

func dur(d time.Duration) *time.Duration { return &d }
func yes() *bool                         { b := true; return &b }

func TestParseGood(t *testing.T) {
	s, err := scenario.Parse("good.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	base := scenario.Override{MaxInterval: dur(6 * time.Second), RDNSSLifetime: dur(18 * time.Second)}
	type phase struct {
		Index       int
		Name        string
		Start, End  time.Duration
		Impairments []string
		Override    scenario.Override
	}
	var got []phase
	for _, p := range s.Phases {
		var names []string
		for _, sp := range p.Impairments {
			names = append(names, sp.Name+":"+sp.Type.Name)
		}
		got = append(got, phase{p.Index, p.Name, p.Start, p.End, names, p.Override})
	}
	want := []phase{
		{0, "normal", 0, 30 * time.Second, nil, base},
		{1, "phase 1", 30 * time.Second, 330 * time.Second, []string{"drop-replies:dhcpv6-drop"},
			scenario.Override{MaxInterval: base.MaxInterval, RDNSSLifetime: base.RDNSSLifetime, OtherConfig: yes()}},
		{2, "recovered", 330 * time.Second, 400 * time.Second, nil, base},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	head := []string{s.Name, strings.Join(s.FIDs, ","), s.Description, s.Realistic, s.Duration.String()}
	if diff := cmp.Diff([]string{"F9-example", "F9", "normal, drop, normal", "use minutes", "6m40s"}, head); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if s.Seed != 7 {
		t.Errorf("seed %d", s.Seed)
	}
	if diff := cmp.Diff(map[string]scenario.Expectation{"dhclient": {Outcome: scenario.OutcomeLateDNS, Note: "after the drop"}}, s.Expect); diff != "" {
		t.Errorf("expect (-want +got):\n%s", diff)
	}
}

func TestAt(t *testing.T) {
	s, err := scenario.Parse("good.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Duration
		want int // phase index, -1 for none
	}{
		{-time.Nanosecond, -1}, {0, 0}, {29*time.Second + 999*time.Millisecond, 0}, {30 * time.Second, 1},
		{329 * time.Second, 1}, {330 * time.Second, 2}, {399 * time.Second, 2}, {400 * time.Second, -1}, {time.Hour, -1},
	}
	for _, tt := range tests {
		p, ok := s.At(tt.at)
		got := -1
		if ok {
			got = p.Index
		}
		if got != tt.want {
			t.Errorf("At(%v) = phase %d, want %d", tt.at, got, tt.want)
		}
	}
}

// TestPhaseSet runs the drop phase's impairments: the set drops Replies.
func TestPhaseSet(t *testing.T) {
	s, err := scenario.Parse("good.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.At(time.Minute)
	set := p.Set(time.Unix(0, 0), s.Seed)
	if d := set.DHCPv6Reply(time.Unix(60, 0), netip.MustParseAddr("fe80::2")); !d.Drop {
		t.Errorf("Reply not dropped in phase %q", p.Name)
	}
}

func TestParseBad(t *testing.T) {
	const head = "name = \"x\"\ndescription = \"d\"\nduration = \"60s\"\n"
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"syntax", "name = ", []string{"bad.toml:1: TOML syntax error: unexpected EOF; expected value"}},
		{"nesting too deep for the TOML parser", "a = " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", []string{
			"bad.toml:1: a" + strings.Repeat("[0]", 31) + ": keys, tables and arrays nest more than 32 levels deep here; ralab reads at most 32 (its own keys nest at most 6)"}},
		{"empty", "", []string{
			"bad.toml: name: missing; add name = \"...\"",
			"bad.toml: description: missing; add description = \"...\"",
			"bad.toml: duration: missing; add duration = \"...\"",
			"bad.toml: phase: no [[phase]] table: add at least one, with start = \"0s\"",
		}},
		{"unknown top key", head + "colour = 1\n[[phase]]\nstart = \"0s\"\n", []string{
			"bad.toml:4: colour: unknown key; allowed here: name, fids, description, realistic, duration, seed, override, impairment, phase, expect"}},
		{"bad fid", head + "fids = [\"F18\", \"F1\", \"F1\"]\n[[phase]]\nstart = \"0s\"\n", []string{
			`bad.toml:4: fids = ["F18", "F1", "F1"]: element 0: "F18" is not a field guide id F1 to F17`,
			`bad.toml:4: fids = ["F18", "F1", "F1"]: F1 is listed twice`}},
		{"first phase later", head + "[[phase]]\nstart = \"5s\"\n", []string{
			`bad.toml:5: phase[0].start = "5s": the first phase must start at "0s"`}},
		{"phases out of order", head + "[[phase]]\nstart = \"0s\"\n[[phase]]\nstart = \"20s\"\n[[phase]]\nstart = \"10s\"\n", []string{
			`bad.toml:9: phase[2].start = "10s": must be after the previous phase's start (20s): phases are in time order`}},
		{"phase after end", head + "[[phase]]\nstart = \"0s\"\n[[phase]]\nstart = \"60s\"\n", []string{
			`bad.toml:7: phase[1].start = "1m0s": must be before the scenario's end (duration 1m0s)`}},
		{"bad duration", "name = \"x\"\ndescription = \"d\"\nduration = \"long\"\n[[phase]]\nstart = \"0s\"\n", []string{
			`bad.toml:3: duration = "long": not a duration; write it like "30s" or "5m"`}},
		{"undefined impairment", head + "[impairment.a]\ntype = \"ra-throttle\"\n[[phase]]\nstart = \"0s\"\nimpairments = [\"a\", \"b\", \"a\"]\n", []string{
			`bad.toml:8: phase[0].impairments = ["a", "b", "a"]: "b" is not defined: add an [impairment.b] table; defined: a`,
			`bad.toml:8: phase[0].impairments = ["a", "b", "a"]: "a" is listed twice`}},
		{"unused impairment", head + "[impairment.a]\ntype = \"ra-throttle\"\n[[phase]]\nstart = \"0s\"\n", []string{
			"bad.toml:4: impairment.a: defined but used in no phase"}},
		{"impairment parameter", head + "[impairment.a]\ntype = \"ra-throttle\"\nperiod = \"0s\"\npace = 1\n[[phase]]\nstart = \"0s\"\nimpairments = [\"a\"]\n", []string{
			`bad.toml:6: impairment.a.period = "0s": must be a duration from 1s to 24h0m0s`,
			"bad.toml:7: impairment.a.pace: unknown parameter of ra-throttle; allowed: type, period, max_through, at_least, at_most"}},
		{"override", head + "[override]\nmax_interval = \"2s\"\nrdnss_lifetime = \"8s\"\nmtu = 1\n[[phase]]\nstart = \"0s\"\n[phase.override]\nmax_interval = \"10s\"\nmin_interval = \"9s\"\nrouter_lifetime = \"5s\"\ndhcpv6 = \"yes\"\n", []string{
			`bad.toml:5: override.max_interval = "2s": must be whole seconds from 4s to 18h12m15s`,
			"bad.toml:7: override.mtu: unknown key; allowed here: max_interval, min_interval, router_lifetime, managed, other_config, rdnss_lifetime, dnssl_lifetime, pref64_lifetime, dhcpv6",
			`bad.toml:12: phase[0].override.min_interval = "9s": must be at most 0.75 × max_interval (7.5s) (RFC 4861 §6.2.1)`,
			`bad.toml:13: phase[0].override.router_lifetime = "5s": must be 0 or at least max_interval (10s) (RFC 4861 §6.2.1)`,
			`bad.toml:14: phase[0].override.dhcpv6 = "yes": must be true or false`}},
		{"expect", head + "[[phase]]\nstart = \"0s\"\n[expect.toaster]\noutcome = \"dns\"\n[expect.rdnssd]\noutcome = \"fine\"\n", []string{
			"bad.toml:6: expect.toaster: unknown key; allowed here: android, apple, windows-legacy, windows, chromeos, systemd-networkd, networkmanager, connman, dhcpcd, rdnssd, odhcp6c, dhclient, udhcpc6, wide-dhcp6c",
			`bad.toml:9: expect.rdnssd.outcome = "fine": must be "dns", "no-dns", "loses-dns", "flaps" or "late-dns"`}},
		{"wrong types", "name = 1\ndescription = \"d\"\nduration = \"60s\"\nseed = -1\nphase = 3\n", []string{
			"bad.toml:1: name = 1: must be a string",
			"bad.toml:4: seed = -1: must be a non-negative integer",
			"bad.toml:5: phase = 3: must be an array of tables: [[phase]]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scenario.Parse("bad.toml", []byte(tt.doc))
			if err == nil {
				t.Fatal("no error")
			}
			var got []string
			for _, e := range unjoin(err) {
				var ce *config.Error
				if !errors.As(e, &ce) {
					t.Errorf("%v is not a *config.Error", e)
				}
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// unjoin returns the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.toml")
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := scenario.Load(path); err != nil {
		t.Errorf("Load: %v", err)
	}
	if _, err := scenario.Load(filepath.Join(t.TempDir(), "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
}
