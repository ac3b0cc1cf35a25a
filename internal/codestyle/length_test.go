package codestyle

import (
	"fmt"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestModuleFunctionLength fails on every function of the module that is
// over MaxFuncLines without a documented reason.
func TestModuleFunctionLength(t *testing.T) {
	found, err := LongFuncs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%v (limit %d; split it, or say %q in its doc comment)", f, MaxFuncLines, ReasonMarker+" ...")
	}
}

// body returns a function body of n lines in total, braces included.
func body(n int) string {
	return "{\n" + strings.Repeat("\t_ = 0\n", n-2) + "}\n"
}

func TestLongFuncsIn(t *testing.T) {
	tests := []struct {
		name, src string
		want      []LongFunc
	}{
		{name: "at the limit", src: "func f() " + body(MaxFuncLines)},
		{
			name: "over the limit",
			src:  "func f() " + body(MaxFuncLines+1),
			want: []LongFunc{{Pos: "x.go:3", Name: "f", Lines: MaxFuncLines + 1}},
		},
		{
			name: "method",
			src:  "type T struct{}\n\nfunc (t *T) m() " + body(MaxFuncLines+5),
			want: []LongFunc{{Pos: "x.go:5", Name: "T.m", Lines: MaxFuncLines + 5}},
		},
		{
			name: "generic method",
			src:  "type T[E any] struct{}\n\nfunc (t T[E]) m() " + body(MaxFuncLines+1),
			want: []LongFunc{{Pos: "x.go:5", Name: "T.m", Lines: MaxFuncLines + 1}},
		},
		{
			name: "documented reason",
			src:  "// f does x.\n// Long because its cases are one table.\nfunc f() " + body(MaxFuncLines+20),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", fmt.Sprintf("package p\n\n%s", tt.src), parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, longFuncsIn(fset, f, "x.go")); diff != "" {
				t.Errorf("long functions (-want +got):\n%s", diff)
			}
		})
	}
}
