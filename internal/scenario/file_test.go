package scenario_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/scenario"
)

// badScenarioFiles are inputs scenario.Load must refuse at once; each
// makes its file in dir and returns the path.
var badScenarioFiles = []struct {
	name  string
	make  func(t testing.TB, dir string) string
	err   error
	lines int
}{
	{"dev zero", func(t testing.TB, dir string) string { return symlink(t, "/dev/zero", dir) }, config.ErrNotRegular, 1},
	{"FIFO", func(t testing.TB, dir string) string {
		p := filepath.Join(dir, "s.toml")
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}, config.ErrNotRegular, 1},
	{"directory", func(t testing.TB, dir string) string { return dir }, config.ErrNotRegular, 1},
	{"over the limit", func(t testing.TB, dir string) string {
		return writeFile(t, dir, "#"+strings.Repeat("x", config.MaxFileBytes)+"\n")
	}, config.ErrTooLarge, 1},
	{"100000 unknown keys", func(t testing.TB, dir string) string {
		var b strings.Builder
		for i := range 100000 {
			fmt.Fprintf(&b, "%x=1\n", i+0x100000)
		}
		return writeFile(t, dir, b.String())
	}, config.ErrMoreProblems, config.MaxReportedErrors + 1},
}

func symlink(t testing.TB, target, dir string) string {
	p := filepath.Join(dir, "s.toml")
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t testing.TB, dir, doc string) string {
	p := filepath.Join(dir, "s.toml")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadBadFiles checks that scenario.Load refuses what config.Load
// refuses, with the file's name and a bounded message.
func TestLoadBadFiles(t *testing.T) {
	t.Parallel()
	for _, tt := range badScenarioFiles {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := tt.make(t, t.TempDir())
			_, err := scenario.Load(path)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != tt.lines {
				t.Errorf("%d lines, want %d", len(lines), tt.lines)
			}
			if !strings.HasPrefix(lines[0], path+":") {
				t.Errorf("first line %q does not start with the path", lines[0])
			}
		})
	}
}

// BenchmarkLoadBadFiles measures refusing each bad scenario file.
func BenchmarkLoadBadFiles(b *testing.B) {
	for _, tt := range badScenarioFiles {
		b.Run(tt.name, func(b *testing.B) {
			path := tt.make(b, b.TempDir())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := scenario.Load(path); err == nil {
					b.Fatal("Load succeeded")
				}
			}
		})
	}
}
