package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFieldGuideAnchors checks that docs/field-guide.md has an anchor for
// every id a report uses: F1–F17, R1–R11, C1–C12, N1–N3, the verdicts and
// CAPTURE, as docs/field-guide.md#<lower-case id>.
func TestFieldGuideAnchors(t *testing.T) {
	b, err := os.ReadFile("../../docs/field-guide.md")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for prefix, n := range map[string]int{"f": 17, "r": 11, "c": 12, "n": 3} {
		for i := 1; i <= n; i++ {
			ids = append(ids, fmt.Sprintf("%s%d", prefix, i))
		}
	}
	ids = append(ids, "dns-ok", "dns-lost", "no-dns", "inconclusive", "capture")
	for _, id := range ids {
		if !strings.Contains(string(b), `<a id="`+id+`"></a>`) {
			t.Errorf("docs/field-guide.md has no anchor %q", id)
		}
	}
	// Every link inside the guide points at an anchor it has.
	for _, m := range regexp.MustCompile(`\]\(#([a-z0-9-]+)\)`).FindAllStringSubmatch(string(b), -1) {
		if !strings.Contains(string(b), `<a id="`+m[1]+`"></a>`) {
			t.Errorf("docs/field-guide.md links to #%s, which it does not have", m[1])
		}
	}
}

// TestNoPathsOutsideRepository checks that no file of the repository
// refers to the machine it was written on.
func TestNoPathsOutsideRepository(t *testing.T) {
	bad := regexp.MustCompile(`/work/(main|wt|shared)|shared/docs/`)
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".git" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // a worktree's .git file names its main repository
		}
		if d.IsDir() || filepath.Base(path) == "docs_test.go" {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > 1<<20 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if loc := bad.FindIndex(b); loc != nil {
			t.Errorf("%s refers to %q, outside the repository", path, b[loc[0]:loc[1]])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
