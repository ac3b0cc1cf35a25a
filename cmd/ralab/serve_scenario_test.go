package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/configs/scenarios"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
	"github.com/ralab/ralab/internal/scenario"
)

func TestParseScenarioStart(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "now", want: now},
		{in: "2026-01-02T03:05:00Z", want: now.Add(55 * time.Second)},
		{in: "2026-01-02T04:04:05.5+01:00", want: now.Add(500 * time.Millisecond)},
		{in: "soon", wantErr: true},
		{in: "2026-01-02 03:04:05", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseScenarioStart(tt.in, now)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseScenarioStart(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("parseScenarioStart(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// testScenario has three phases: 0–10 s none, 10–30 s "omit" with a
// shorter RDNSS lifetime, 30–40 s "omit" again.
const testScenario = `name = "t"
description = "test"
duration = "40s"
[override]
max_interval = "4s"
rdnss_lifetime = "12s"
router_lifetime = "1800s"
[impairment.omit]
type = "rdnss-omit"
[[phase]]
start = "0s"
[[phase]]
name = "short"
start = "10s"
impairments = ["omit"]
override = { rdnss_lifetime = "20s" }
[[phase]]
start = "30s"
impairments = ["omit"]
`

func testServeConfig(t *testing.T, rdnssLifetime time.Duration) *config.Config {
	t.Helper()
	return &config.Config{Interfaces: []config.Interface{{
		Name: "eth0", RouterLifetime: 30 * time.Minute, MinInterval: 200 * time.Second, MaxInterval: 600 * time.Second,
		RDNSS: []config.RDNSS{{Lifetime: rdnssLifetime}},
	}}}
}

func TestScenarioRun(t *testing.T) {
	sc, err := scenario.Parse("t.toml", []byte(testScenario))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r, err := newScenarioRun(sc, t0, t0.Add(5*time.Second), testServeConfig(t, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at        time.Duration
		index     int
		next      time.Duration
		lifetime  time.Duration
		impaired  bool
		maxInt    time.Duration
		wantEnded bool
	}{
		{at: -time.Second, index: -1, next: 0, lifetime: time.Hour, maxInt: 600 * time.Second},
		{at: 0, index: 0, next: 10 * time.Second, lifetime: 12 * time.Second, maxInt: 4 * time.Second},
		{at: 15 * time.Second, index: 1, next: 30 * time.Second, lifetime: 20 * time.Second, impaired: true, maxInt: 4 * time.Second},
		{at: 39 * time.Second, index: 2, next: 40 * time.Second, lifetime: 12 * time.Second, impaired: true, maxInt: 4 * time.Second},
		{at: 40 * time.Second, index: 3, next: 40 * time.Second, lifetime: time.Hour, maxInt: 600 * time.Second, wantEnded: true},
	}
	for _, tt := range tests {
		now := t0.Add(tt.at)
		i := r.index(now)
		eff, err := r.effective(testServeConfig(t, time.Hour), i)
		if err != nil {
			t.Fatalf("at %v: %v", tt.at, err)
		}
		f := r.phaseImpairments(i)
		got := []any{i, r.next(now).Sub(t0), eff.Interfaces[0].RDNSS[0].Lifetime, f != nil, eff.Interfaces[0].MaxInterval, r.ended(now)}
		want := []any{tt.index, tt.next, tt.lifetime, tt.impaired, tt.maxInt, tt.wantEnded}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("at %v: index, next, RDNSS lifetime, impaired, max interval, ended (-want +got):\n%s", tt.at, diff)
		}
		if f != nil && f().Len() != 1 {
			t.Errorf("at %v: %d impairments, want 1", tt.at, f().Len())
		}
	}
}

func TestNewScenarioRunErrors(t *testing.T) {
	sc, err := scenario.Parse("t.toml", []byte(testScenario))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := newScenarioRun(sc, t0.Add(-time.Minute), t0, testServeConfig(t, time.Hour)); !errors.Is(err, errScenarioOver) {
		t.Errorf("scenario started a minute ago: %v, want errScenarioOver", err)
	}
	// The scenario overrides max_interval to 4s but not the DNSSL
	// lifetime, so a 2 s DNSSL lifetime no longer fits (RFC 8106 §5.2).
	cfg := testServeConfig(t, time.Hour)
	cfg.Interfaces[0].DNSSL = []config.DNSSL{{Domains: []string{"example.com"}, Lifetime: 2 * time.Second}}
	_, err = newScenarioRun(sc, t0, t0, cfg)
	if !errors.Is(err, scenario.ErrOverride) || !strings.Contains(err.Error(), "eth0") {
		t.Errorf("DNSSL lifetime below the overridden max_interval: %v, want ErrOverride naming eth0", err)
	}
}

func TestServeScenarioUsage(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "ralab.toml")
	for _, args := range [][]string{
		{"-c", cfg, "--scenario-hold"},
		{"-c", cfg, "--scenario-start", "2026-01-01T00:00:00Z"},
		{"-c", cfg, "--scenario", "x.toml", "--scenario-start", "tomorrow"},
	} {
		if err := runServe(context.Background(), args); !errors.Is(err, errUsage) {
			t.Errorf("runServe(%q) = %v, want errUsage", args, err)
		}
	}
}

// omitScenario is a short F6 scenario: normal for 6 s, then every second
// RA without RDNSS until 16 s, with RAs at most 4 s apart.
const omitScenario = `
name = "F6-short"
fids = ["F6"]
description = "every second RA without RDNSS"
duration = "16s"
seed = 1

[override]
max_interval = "4s"
router_lifetime = "1800s"
rdnss_lifetime = "12s"
dnssl_lifetime = "12s"
other_config = false
dhcpv6 = false

[impairment.omit]
type = "rdnss-omit"
mode = "every"
every = 2

[[phase]]
name = "normal"
start = "0s"
impairments = []

[[phase]]
name = "every 2nd RA without RDNSS"
start = "6s"
impairments = ["omit"]
`

// TestServeScenario runs "ralab serve --scenario" with omitScenario
// (normal for 6 s, then every second RA without RDNSS until 16 s) and checks from the capture that RAs carry
// RDNSS before the second phase and that after it they alternate, one
// with RDNSS and one without, and that ralab exits 0 after the scenario
// with final RAs.
func TestServeScenario(t *testing.T) {
	requireServeLab(t, "tcpdump")
	sc := omitScenario
	const phase2, duration = 6 * time.Second, 16 * time.Second

	l := newServeLab(t)
	pcap := l.pcap.Path()
	dir := t.TempDir()
	cfgPath, scPath := filepath.Join(dir, "ralab.toml"), filepath.Join(dir, "f6.toml")
	for p, s := range map[string]string{cfgPath: serveConfig("2001:db8::53", false, false), scPath: sc} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now().Add(2 * time.Second)
	srv := startServe(t, l.Router(), "serve", "-c", cfgPath, "--scenario", scPath, "--scenario-start", start.Format(time.RFC3339Nano))
	waitServeExit(t, srv, duration+60*time.Second, "the scenario")
	exited := time.Now()
	time.Sleep(300 * time.Millisecond)
	l.stopCapture(t)
	t.Logf("ralab exited %v after the scenario start (duration %v)", exited.Sub(start), duration)
	if exited.Before(start.Add(duration)) {
		t.Errorf("ralab exited %v before the scenario's end", start.Add(duration).Sub(exited))
	}
	out := serveOutput(srv)
	for _, want := range []string{`phase 1/2 \"normal\" started`, `phase 2/2 \"every 2nd RA without RDNSS\" started, 10s left`, "scenario ended; sending final RAs"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}

	// Judge from capture timestamps, ignoring RAs within 500 ms of the
	// phase change (timer and capture latency on a loaded machine).
	const slack = 500 * time.Millisecond
	var before, after, afterWithout, final int
	var omitPhase []bool // per RA of the omit phase: it carries RDNSS
	for _, r := range serveRAs(t, pcap) {
		off := r.At.Sub(start)
		has := len(serveRDNSS(r.Msg)) > 0
		switch {
		case r.Msg.RouterLifetime == 0:
			final++
		case off < phase2-slack:
			before++
			if !has {
				t.Errorf("RA at %v, before the omit phase, lacks RDNSS", off)
			}
		case off > phase2+slack:
			after++
			if !has {
				afterWithout++
			}
			omitPhase = append(omitPhase, has)
		}
	}
	t.Logf("%d RAs before the omit phase, %d after (%d without RDNSS), %d final", before, after, afterWithout, final)
	if before < 2 || after < 2 {
		t.Errorf("want at least 2 RAs in each phase")
	}
	for i := 1; i < len(omitPhase); i++ {
		if omitPhase[i] == omitPhase[i-1] {
			t.Errorf("RAs of the omit phase with RDNSS (in order): %v; want every second without", omitPhase)
			break
		}
	}
	if afterWithout == 0 || afterWithout == after {
		t.Errorf("%d of %d RAs in the omit phase lack RDNSS, want every second", afterWithout, after)
	}
	if final != 3 {
		t.Errorf("%d final RAs, want 3", final)
	}
}

// FuzzParseScenarioStart checks that any --scenario-start value gives a
// time or an error, never a panic.
func FuzzParseScenarioStart(f *testing.F) {
	for _, s := range []string{"now", "", "2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123456789+14:00", "9999-99-99T99:99:99Z"} {
		f.Add(s)
	}
	now := time.Unix(0, 0)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseScenarioStart(s, now)
		switch {
		case err != nil && !strings.Contains(err.Error(), "--scenario-start"):
			t.Errorf("parseScenarioStart(%q) error %q does not name the flag", s, err)
		case err == nil && (s == "now" || s == "") && !got.Equal(now):
			t.Errorf("parseScenarioStart(%q) = %v, want now", s, got)
		}
	})
}

// TestServeScenarioHold runs a 5 s scenario whose only phase omits RDNSS
// with --scenario-hold: ralab must keep serving afterwards, with the
// configuration file's RDNSS back and no impairment, until SIGTERM.
func TestServeScenarioHold(t *testing.T) {
	requireServeLab(t, "tcpdump")
	const sc = `name = "hold"
description = "RDNSS omitted for 5 s"
duration = "5s"
[override]
max_interval = "4s"
rdnss_lifetime = "12s"
[impairment.omit]
type = "rdnss-omit"
mode = "always"
[[phase]]
name = "no RDNSS"
start = "0s"
impairments = ["omit"]
`
	l := newServeLab(t)
	pcap := l.pcap.Path()
	dir := t.TempDir()
	cfgPath, scPath := filepath.Join(dir, "ralab.toml"), filepath.Join(dir, "hold.toml")
	for p, s := range map[string]string{cfgPath: serveConfig("2001:db8::53", false, false), scPath: sc} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	srv := startServe(t, l.Router(), "serve", "-c", cfgPath, "--scenario", scPath, "--scenario-hold")
	netlabtest.WaitFor(t, "the scenario to end", 60*time.Second, func() bool { return strings.Contains(serveOutput(srv), "holding") })
	ended := time.Now()
	var after *serveRA
	netlabtest.WaitFor(t, "an RA after the scenario", 30*time.Second, func() bool {
		for _, r := range serveRAs(t, pcap) {
			if r.At.After(ended) && r.Dst.IsMulticast() {
				after = &r
				return true
			}
		}
		return false
	})
	if diff := cmp.Diff(map[string]time.Duration{"2001:db8::53": 30 * time.Minute}, serveRDNSS(after.Msg)); diff != "" {
		t.Errorf("RDNSS after the scenario (-want +got):\n%s", diff)
	}
	for _, r := range serveRAs(t, pcap) {
		if r.At.After(start) && r.At.Before(start.Add(4*time.Second)) && len(serveRDNSS(r.Msg)) > 0 {
			t.Errorf("RA at %v, during the scenario, carries RDNSS", r.At.Sub(start))
		}
	}
	if strings.Contains(serveOutput(srv), "final router advertisements sent") {
		t.Error("ralab stopped advertising after the scenario despite --scenario-hold")
	}
	if err := srv.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitServeExit(t, srv, 30*time.Second, "SIGTERM")
	l.stopCapture(t)
}

// TestServeScenarioDHCPv6Config checks that the DHCPv6 configuration
// impairments start and stop the DHCPv6 server: dns-only-dhcpv6 (F11)
// turns it on for a configuration without DHCPv6, and removes RDNSS from
// RAs; dhcpv6-absent (F10) turns it off again.
func TestServeScenarioDHCPv6Config(t *testing.T) {
	requireServeLab(t, "ss", "tcpdump")
	const sc = `name = "dhcp"
description = "DHCPv6 on, then off"
duration = "10s"
[override]
max_interval = "4s"
rdnss_lifetime = "12s"
[impairment.only]
type = "dns-only-dhcpv6"
[impairment.absent]
type = "dhcpv6-absent"
[[phase]]
name = "DNS only via DHCPv6"
start = "0s"
impairments = ["only"]
[[phase]]
name = "no DHCPv6 server"
start = "5s"
impairments = ["absent"]
`
	l := newServeLab(t)
	rtr := l.Router()
	pcap := l.pcap.Path()
	dir := t.TempDir()
	cfgPath, scPath := filepath.Join(dir, "ralab.toml"), filepath.Join(dir, "dhcp.toml")
	for p, s := range map[string]string{cfgPath: serveConfig("2001:db8::53", false, false), scPath: sc} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	srv := startServe(t, rtr, "serve", "-c", cfgPath, "--scenario", scPath)
	listening := func() bool {
		out, err := rtr.Run(t.Context(), "ss", "-Hlun", "sport = :547")
		if err != nil {
			t.Fatalf("ss: %v", err)
		}
		return strings.Contains(string(out), ":547")
	}
	netlabtest.WaitFor(t, "DHCPv6 listening in the first phase", 30*time.Second, listening)
	netlabtest.WaitFor(t, "the second phase", 30*time.Second, func() bool { return strings.Contains(serveOutput(srv), `phase 2/2`) })
	netlabtest.WaitFor(t, "DHCPv6 to stop in the second phase", 30*time.Second, func() bool { return !listening() })
	waitServeExit(t, srv, 60*time.Second, "the scenario")
	l.stopCapture(t)
	for _, r := range serveRAs(t, pcap) {
		if off := r.At.Sub(start); off < 4*time.Second && r.Msg.RouterLifetime != 0 && (len(serveRDNSS(r.Msg)) > 0 || !r.Msg.OtherConfiguration) {
			t.Errorf("RA at %v in the DNS-only-via-DHCPv6 phase: RDNSS %v, O flag %v; want none and set", off, serveRDNSS(r.Msg), r.Msg.OtherConfiguration)
		}
	}
}

// TestShippedScenariosFitLab checks that "ralab serve -c configs/lab.toml
// --scenario configs/scenarios/X.toml" starts for every shipped scenario:
// each phase's overrides fit the lab configuration.
func TestShippedScenariosFitLab(t *testing.T) {
	cfg, err := config.Parse(configs.LabName, configs.Lab)
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(scenarios.Files, "*.toml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no shipped scenarios: %v", err)
	}
	now := time.Now()
	for _, n := range names {
		b, err := fs.ReadFile(scenarios.Files, n)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scenario.Parse(n, b)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if _, err := newScenarioRun(sc, now, now, cfg); err != nil {
			t.Errorf("%s with %s: %v", n, configs.LabName, err)
		}
	}
}
