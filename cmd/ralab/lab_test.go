package main

import (
	"path/filepath"
	"testing"
)

func TestLabFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"extra argument", []string{"lab", "extra"}, 2},
		{"zero duration", []string{"lab", "--duration", "0s"}, 2},
		{"bad flag", []string{"lab", "--nope"}, 2},
		{"missing config", []string{"lab", "-c", filepath.Join(t.TempDir(), "none.toml")}, 1},
	}
	for _, tt := range tests {
		if got := runMain(tt.args); got != tt.want {
			t.Errorf("%s: runMain(%q) = %d, want %d", tt.name, tt.args, got, tt.want)
		}
	}
}
