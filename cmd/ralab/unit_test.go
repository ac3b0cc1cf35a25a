package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ralab/ralab/internal/netlab/netlabtest"
)

// TestSystemdUnit checks that the README shows contrib/ralab.service
// verbatim and that systemd-analyze verify accepts it without a warning,
// with the ralab binary's path pointing at an executable (this test's).
// systemd-analyze verify needs no running systemd.
func TestSystemdUnit(t *testing.T) {
	netlabtest.RequireTool(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile("../../contrib/ralab.service")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```ini\n"+string(unit)+"```\n") {
		t.Error("README.md does not show contrib/ralab.service verbatim in an ini block")
	}
	for _, want := range []string{"StateDirectory=ralab", "DynamicUser=yes", "Restart=on-failure"} {
		if !strings.Contains(string(unit), "\n"+want+"\n") {
			t.Errorf("unit lacks %s", want)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ralab.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/ralab", exe)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), "systemd-analyze", "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
