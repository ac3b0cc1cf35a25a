package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
)

// unknownKeys returns a document of n top-level unknown keys, one a line.
func unknownKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%x=1\n", i+0x100000)
	}
	return b.String()
}

// BadFile is one input a user can hand to Load that must fail fast.
type badFile struct {
	name string
	// make creates the file in dir and returns its path.
	make func(t testing.TB, dir string) string
	// want is the first line of the error, with the path as %s.
	want string
	err  error
	// lines is how many lines the whole error has.
	lines int
}

func badFiles() []badFile {
	write := func(t testing.TB, dir, doc string) string {
		p := filepath.Join(dir, "f.toml")
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(target string) func(t testing.TB, dir string) string {
		return func(t testing.TB, dir string) string {
			p := filepath.Join(dir, "f.toml")
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	return []badFile{
		{
			name: "dev zero", make: link("/dev/zero"), lines: 1, err: config.ErrNotRegular,
			want: "%s: is a character device, not a regular file; ralab reads its files whole, so give it a regular file",
		},
		{
			name: "dev urandom", make: link("/dev/urandom"), lines: 1, err: config.ErrNotRegular,
			want: "%s: is a character device, not a regular file; ralab reads its files whole, so give it a regular file",
		},
		{
			name: "FIFO", lines: 1, err: config.ErrNotRegular,
			make: func(t testing.TB, dir string) string {
				p := filepath.Join(dir, "f.toml")
				if err := syscall.Mkfifo(p, 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			},
			want: "%s: is a FIFO, not a regular file; ralab reads its files whole, so give it a regular file",
		},
		{
			name: "directory", lines: 1, err: config.ErrNotRegular,
			make: func(t testing.TB, dir string) string { return dir },
			want: "%s: is a directory, not a regular file; ralab reads its files whole, so give it a regular file",
		},
		{
			name: "over the limit", lines: 1, err: config.ErrTooLarge,
			make: func(t testing.TB, dir string) string {
				return write(t, dir, "#"+strings.Repeat("x", config.MaxFileBytes)+"\n")
			},
			want: "%s: is 1048578 bytes; ralab reads files of at most 1048576 bytes (1 MiB)",
		},
		{
			name: "100000 unknown keys", lines: config.MaxReportedErrors + 1, err: config.ErrUnknownKey,
			make: func(t testing.TB, dir string) string { return write(t, dir, unknownKeys(100000)) },
			want: "%s: no [[interface]] table: configure at least one interface",
		},
	}
}

// TestLoadBadFiles checks that every file Load must refuse fails at once
// with one clear message, or a bounded list of them.
func TestLoadBadFiles(t *testing.T) {
	t.Parallel()
	for _, tt := range badFiles() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := tt.make(t, t.TempDir())
			_, err := config.Load(path)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			lines := strings.Split(err.Error(), "\n")
			if diff := cmp.Diff(fmt.Sprintf(tt.want, path), lines[0]); diff != "" {
				t.Errorf("first line mismatch (-want +got):\n%s", diff)
			}
			if len(lines) != tt.lines {
				t.Errorf("%d lines, want %d; last: %s", len(lines), tt.lines, lines[len(lines)-1])
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("errors.Is(%v, %v) = false", lines[0], tt.err)
			}
		})
	}
}

// TestParseErrorLimit checks that a file with more problems than
// MaxReportedErrors reports the first ones in line order and counts the
// rest.
func TestParseErrorLimit(t *testing.T) {
	t.Parallel()
	_, err := config.Parse("k.toml", []byte(unknownKeys(100000)))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		"k.toml: no [[interface]] table: configure at least one interface",
		"k.toml:1: 100000: unknown key; allowed here: http, interface",
		"k.toml:2: 100001: unknown key; allowed here: http, interface",
	}
	if diff := cmp.Diff(want, lines[:3]); diff != "" {
		t.Errorf("first lines mismatch (-want +got):\n%s", diff)
	}
	last := fmt.Sprintf("k.toml: and %d more problems (ralab reports the first %d)", 100001-config.MaxReportedErrors, config.MaxReportedErrors)
	if diff := cmp.Diff(last, lines[len(lines)-1]); diff != "" {
		t.Errorf("last line mismatch (-want +got):\n%s", diff)
	}
	if !errors.Is(err, config.ErrMoreProblems) {
		t.Error("errors.Is(err, ErrMoreProblems) = false")
	}
}

// BenchmarkLoadBadFiles measures how long refusing each bad file takes
// and what it allocates: each must cost little whatever the file holds.
func BenchmarkLoadBadFiles(b *testing.B) {
	for _, tt := range badFiles() {
		b.Run(tt.name, func(b *testing.B) {
			path := tt.make(b, b.TempDir())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := config.Load(path); err == nil {
					b.Fatal("Load succeeded")
				}
			}
		})
	}
}
