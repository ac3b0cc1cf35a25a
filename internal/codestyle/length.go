package codestyle

import (
	"fmt"
	"go/ast"
	"go/token"
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
