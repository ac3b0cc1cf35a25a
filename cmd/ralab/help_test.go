package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestGeneratedDocs checks that the checked-in manual page and shell
// completions are what the help generates ("go generate ./cmd/ralab"
// rewrites them).
func TestGeneratedDocs(t *testing.T) {
	tests := []struct {
		path  string
		write func(*bytes.Buffer) error
	}{
		{"../../docs/ralab.1", func(b *bytes.Buffer) error { return writeMan(b) }},
		{"../../docs/completion/ralab.bash", func(b *bytes.Buffer) error { return writeBashCompletion(b) }},
		{"../../docs/completion/_ralab", func(b *bytes.Buffer) error { return writeZshCompletion(b) }},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			var want bytes.Buffer
			if err := tt.write(&want); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatalf("%v (run go generate ./cmd/ralab)", err)
			}
			if diff := cmp.Diff(want.String(), string(got)); diff != "" {
				t.Errorf("%s is stale; run go generate ./cmd/ralab (-generated +file):\n%s", tt.path, diff)
			}
		})
	}
}

// TestReadmeCommandTable checks that the README's command table is the one
// the help generates ("ralab help --markdown").
func TestReadmeCommandTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := writeCommandTable(&table); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, table.Bytes()) {
		t.Errorf("README.md does not contain the command table of \"ralab help --markdown\":\n%s", table.String())
	}
}

// TestCommandHelp checks that every command has a summary, a synopsis or
// no flags, an example, and GNU-style flags in its help.
func TestCommandHelp(t *testing.T) {
	for _, n := range commandNames() {
		t.Run(n, func(t *testing.T) {
			c := commands[n]
			if c.summary == "" || len(c.examples) == 0 {
				t.Errorf("summary %q, %d examples: want both", c.summary, len(c.examples))
			}
			var b bytes.Buffer
			writeCommandHelp(&b, n, commandFlags(n))
			for _, f := range flagList(commandFlags(n)) {
				if len(f.name) > 1 && !strings.Contains(b.String(), "  --"+f.name) {
					t.Errorf("help does not show --%s", f.name)
				}
			}
			if m := regexp.MustCompile(`(?m)^  -[a-z][a-z-]+`).FindString(b.String()); m != "" {
				t.Errorf("long flag %q with one dash in:\n%s", m, b.String())
			}
		})
	}
}

// TestHelpExit checks the exit statuses of help and version.
func TestHelpExit(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"--version"}, 0},
		{[]string{"version"}, 0},
		{[]string{"version", "x"}, 2},
		{[]string{"--help"}, 0},
		{[]string{"help", "analyze"}, 0},
		{[]string{"help", "nope"}, 2},
		{[]string{"analyze", "--help"}, 0},
		{[]string{"impairments", "-h"}, 0},
		{[]string{"help", "--completion", "fish"}, 2},
		{nil, 2},
	}
	for _, tt := range tests {
		if got := runMain(tt.args); got != tt.want {
			t.Errorf("runMain(%q) = %d, want %d", tt.args, got, tt.want)
		}
	}
}

func TestParseFailOn(t *testing.T) {
	tests := []struct {
		in   string
		want verdictGate
		err  bool
	}{
		{"", nil, false},
		{"dns-lost", verdictGate{conformance.VerdictDNSLost}, false},
		{"dns-lost, no-dns,dns-lost", verdictGate{conformance.VerdictDNSLost, conformance.VerdictNoDNS}, false},
		{"inconclusive", verdictGate{conformance.VerdictInconclusive}, false},
		{"dns-ok", nil, true},
		{"lost", nil, true},
	}
	for _, tt := range tests {
		got, err := parseFailOn(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("parseFailOn(%q) error %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseFailOn(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestVerdictGate(t *testing.T) {
	r := &conformance.Report{Clients: []conformance.Client{
		{MAC: "02:00:00:00:00:01", Verdict: conformance.VerdictDNSOK},
		{MAC: "02:00:00:00:00:02", Verdict: conformance.VerdictInconclusive},
	}}
	if err := (verdictGate{conformance.VerdictDNSLost}).check(r); err != nil {
		t.Errorf("dns-lost gate on dns-ok and inconclusive: %v, want nil", err)
	}
	if err := (verdictGate{conformance.VerdictInconclusive}).check(r); !errors.Is(err, errFailOn) {
		t.Errorf("inconclusive gate: %v, want errFailOn", err)
	}
	if err := verdictGate(nil).check(r); err != nil {
		t.Errorf("no gate: %v", err)
	}
}

// TestResolveAt writes a capture whose first packet is at 10:00:00.25 UTC
// and resolves each form of --at against it.
func TestResolveAt(t *testing.T) {
	netlabtest.RequireTool(t, "text2pcap", "tshark")
	dir := t.TempDir()
	hex := filepath.Join(dir, "in.txt")
	// One Ethernet frame (an IPv6 header is not needed to have a time).
	if err := os.WriteFile(hex, []byte("10:00:00.250000\n0000 33 33 00 00 00 01 02 00 00 00 00 01 86 dd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ng := range []bool{true, false} {
		capPath := filepath.Join(dir, "c.pcap")
		args := []string{"-q", "-t", "%H:%M:%S.", hex, capPath}
		if ng {
			capPath = filepath.Join(dir, "c.pcapng")
			args = []string{"-q", "-n", "-t", "%H:%M:%S.", hex, capPath}
		}
		if out, err := exec.Command("text2pcap", args...).CombinedOutput(); err != nil {
			t.Fatalf("text2pcap: %v\n%s", err, out)
		}
		start, err := captureStart(capPath)
		if err != nil {
			t.Fatal(err)
		}
		day := start.UTC().Truncate(24 * time.Hour)
		tests := []struct {
			in   string
			want time.Time
			err  bool
		}{
			{"", time.Time{}, false},
			{"2026-11-27T10:02:00Z", time.Date(2026, 11, 27, 10, 2, 0, 0, time.UTC), false},
			{"+75s", start.Add(75 * time.Second), false},
			{"10:02:00", day.Add(10*time.Hour + 2*time.Minute), false},
			{"10:02:00.500", day.Add(10*time.Hour + 2*time.Minute + 500*time.Millisecond), false},
			{"10:02", day.Add(10*time.Hour + 2*time.Minute), false},
			{"-5s", time.Time{}, true},
			{"yesterday", time.Time{}, true},
			{strings.Repeat("1", 100), time.Time{}, true},
		}
		for _, tt := range tests {
			got, err := resolveAt(tt.in, capPath)
			if (err != nil) != tt.err || !got.Equal(tt.want) {
				t.Errorf("pcapng %v: resolveAt(%q) = %v, %v; want %v, error %v", ng, tt.in, got, err, tt.want, tt.err)
			}
		}
	}
	if _, err := resolveAt("+1s", "-"); err == nil {
		t.Error("an offset with standard input: no error")
	}
}

// TestBashCompletion sources the generated bash completion and completes
// a few command lines with it.
func TestBashCompletion(t *testing.T) {
	netlabtest.RequireTool(t, "bash", "bash")
	var script bytes.Buffer
	if err := writeBashCompletion(&script); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"ralab", "ana"}, "analyze"},
		{[]string{"ralab", "analyze", "--f"}, "--fail-on --format"},
		{[]string{"ralab", "analyze", "--format", ""}, "json md html"},
		{[]string{"ralab", "analyze", "--fail-on", "no"}, "no-dns"},
		{[]string{"ralab", "lab", "--scenario", "F5"}, "F5-rdnss-lifetime"},
		{[]string{"ralab", "serve", "--log-level", "w"}, "warn"},
		{[]string{"ralab", "help", "ver"}, "version"},
	}
	for _, tt := range tests {
		quoted := make([]string, len(tt.words))
		for i, w := range tt.words {
			quoted[i] = "'" + w + "'"
		}
		prog := script.String() + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
			fmt.Sprint(len(tt.words)-1) + "\n_ralab\necho \"${COMPREPLY[*]}\"\n"
		out, err := exec.Command("bash", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != tt.want {
			t.Errorf("completing %q: %q, want %q", tt.words, got, tt.want)
		}
	}
}
