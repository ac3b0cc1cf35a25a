package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ralab/ralab/internal/labclient"
)

func TestLabFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"extra argument", []string{"lab", "extra"}, 2},
		{"zero duration", []string{"lab", "--once", "--duration", "0s"}, 2},
		{"negative parallel", []string{"lab", "--parallel", "-1"}, 2},
		{"once with a scenario", []string{"lab", "--once", "--scenario", "baseline"}, 2},
		{"once with a client", []string{"lab", "--once", "--client", "connman"}, 2},
		{"unknown client", []string{"lab", "--client", "nm"}, 2},
		{"bad flag", []string{"lab", "--nope"}, 2},
		{"missing config", []string{"lab", "-c", filepath.Join(t.TempDir(), "none.toml")}, 1},
		{"unknown scenario", []string{"lab", "-o", t.TempDir(), "--scenario", "F99-nothing"}, 2},
	}
	for _, tt := range tests {
		if got := runMain(tt.args); got != tt.want {
			t.Errorf("%s: runMain(%q) = %d, want %d", tt.name, tt.args, got, tt.want)
		}
	}
}

func TestScenarioFlags(t *testing.T) {
	var s scenarioFlags
	for _, v := range []string{"baseline", "F1-ra-throttle"} {
		if err := s.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := s.String(), "baseline,F1-ra-throttle"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestLoadScenario(t *testing.T) {
	s, err := loadScenario("F5-rdnss-lifetime")
	if err != nil || s.Name != "F5-rdnss-lifetime" {
		t.Errorf("built-in name: %v, %v", s, err)
	}
	if s, err = loadScenario("../../configs/scenarios/F6-rdnss-omit.toml"); err != nil || s.Name != "F6-rdnss-omit" {
		t.Errorf("file: %v, %v", s, err)
	}
	_, err = loadScenario("F5")
	if !errors.Is(err, errScenarioName) || !strings.Contains(err.Error(), "F5-rdnss-lifetime") {
		t.Errorf("unknown name: %v, want errScenarioName listing the names", err)
	}
	if _, err = loadScenario("missing.toml"); err == nil || errors.Is(err, errScenarioName) {
		t.Errorf("missing file: %v, want a file error", err)
	}
}

func TestCheckClientNames(t *testing.T) {
	if err := checkClientNames([]string{"connman", "networkmanager", "connman", "rdnssd"}); err != nil {
		t.Errorf("checkClientNames(known names) = %v, want nil", err)
	}
	if err := checkClientNames([]string{"nm"}); !errors.Is(err, labclient.ErrUnknown) {
		t.Errorf("checkClientNames(nm) = %v, want labclient.ErrUnknown", err)
	}
}
