package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/impair"
)

func TestWriteImpairments(t *testing.T) {
	var b bytes.Buffer
	if err := writeImpairments(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, typ := range impair.Types {
		if !strings.Contains(out, typ.Name+" ("+typ.FID+"): "+typ.Emulates) {
			t.Errorf("output lacks %s (%s)", typ.Name, typ.FID)
		}
		for _, p := range typ.Params {
			if !strings.Contains(out, p.Key+" = "+p.Default) {
				t.Errorf("output lacks %s parameter %s = %s", typ.Name, p.Key, p.Default)
			}
		}
	}
}

func TestWriteScenarios(t *testing.T) {
	var b bytes.Buffer
	if err := writeScenarios(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 19 { // header, baseline, F1..F17
		t.Errorf("%d lines, want 19:\n%s", len(lines), b.String())
	}
	var order []string
	for _, l := range lines[1:] {
		order = append(order, strings.Fields(l)[0])
	}
	want := []string{"baseline", "F1-ra-throttle", "F2-ra-replay", "F3-ra-mcast-to-unicast", "F4-ra-drop-multicast",
		"F5-rdnss-lifetime", "F6-rdnss-omit", "F7-router-lifetime-zero", "F8-router-lifetime-short", "F9-dhcpv6-reply-drop",
		"F10-dhcpv6-absent", "F11-dns-only-dhcpv6", "F12-dns-only-rdnss", "F13-ra-oversize", "F14-rdnss-link-local",
		"F15-second-router", "F16-dns-servers-many", "F17-pref64"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("scenario order (-want +got):\n%s", diff)
	}
}

func TestCheckScenarios(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(good, []byte(`name = "g"
fids = ["F9"]
description = "d"
duration = "60s"
[impairment.drop]
type = "dhcpv6-drop"
[[phase]]
start = "0s"
[[phase]]
name = "dropping"
start = "30s"
impairments = ["drop"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("name = \"b\"\ndescription = \"d\"\nduration = \"60s\"\n[[phase]]\nstart = \"1s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := checkScenarios(&b, []string{good}); err != nil {
		t.Fatal(err)
	}
	want := good + ": g (F9), 1m0s\n  0s–30s phase 0: no impairment\n  30s–1m0s dropping: drop (dhcpv6-drop, F9)\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("check output (-want +got):\n%s", diff)
	}
	b.Reset()
	if err := checkScenarios(&b, []string{bad}); !errors.Is(err, errInvalid) {
		t.Fatalf("error %v, want errInvalid", err)
	}
	if diff := cmp.Diff(bad+`:5: phase[0].start = "1s": the first phase must start at "0s"`+"\n", b.String()); diff != "" {
		t.Errorf("check output (-want +got):\n%s", diff)
	}
}
