package codestyle

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Findings are what Check found in a module.
type Findings struct {
	LongFuncs  []LongFunc
	BadLogKeys []BadLogKey
	LongLines  []LongLine
}

// Check walks root and returns the long functions, the log keys of LogKeys
// and the long lines in its non-test Go files. Tests are left out: a table test is
// long by nature and reads as a table. Hidden directories and testdata are
// skipped.
func Check(root string) (Findings, error) {
	var found Findings
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", rel, err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return fmt.Errorf("parsing %s: %w", rel, err)
		}
		found.LongFuncs = append(found.LongFuncs, longFuncsIn(fset, f, rel)...)
		found.BadLogKeys = append(found.BadLogKeys, badLogKeysIn(fset, f, rel)...)
		found.LongLines = append(found.LongLines, longLinesIn(src, rel)...)
		return nil
	})
	return found, err
}
