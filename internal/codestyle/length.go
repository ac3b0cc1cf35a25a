package codestyle

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MaxFuncLines is the longest a function may be, counted from its func
// keyword to its closing brace, unless its doc comment gives a reason.
const MaxFuncLines = 80

// ReasonMarker starts the doc-comment sentence that explains why a function
// is longer than MaxFuncLines, e.g. "Long because the cases are one table."
const ReasonMarker = "Long because"

// LongFunc is a function over MaxFuncLines without a documented reason.
type LongFunc struct {
	Pos   string // file:line, relative to the walked root
	Name  string // Func or Type.Method
	Lines int
}

func (f LongFunc) String() string { return fmt.Sprintf("%s: %s is %d lines", f.Pos, f.Name, f.Lines) }

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

// longFuncsIn returns the long functions of one parsed file.
func longFuncsIn(fset *token.FileSet, f *ast.File, rel string) []LongFunc {
	var found []LongFunc
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		start := fset.Position(fd.Pos())
		lines := fset.Position(fd.End()).Line - start.Line + 1
		if lines <= MaxFuncLines || strings.Contains(fd.Doc.Text(), ReasonMarker) {
			continue
		}
		found = append(found, LongFunc{Pos: fmt.Sprintf("%s:%d", rel, start.Line), Name: funcName(fd), Lines: lines})
	}
	return found
}

// funcName is "Name" for a function and "Type.Name" for a method.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if idx, ok := t.(*ast.IndexExpr); ok { // a generic receiver
		t = idx.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}
