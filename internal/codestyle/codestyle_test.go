package codestyle

import (
	"fmt"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestModule fails on every function of the module that is over
// MaxFuncLines without a documented reason, on every log key of LogKeys and
// on every line over MaxLineColumns without a long string literal.
func TestModule(t *testing.T) {
	found, err := Check("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found.LongFuncs {
		t.Errorf("%v (limit %d; split it, or say %q in its doc comment)", f, MaxFuncLines, ReasonMarker+" ...")
	}
	for _, k := range found.BadLogKeys {
		t.Error(k)
	}
	for _, l := range found.LongLines {
		t.Errorf("%v; wrap it", l)
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

func TestBadLogKeysIn(t *testing.T) {
	tests := []struct {
		name, src string
		want      []BadLogKey
	}{
		{name: "good keys", src: `log.Info("msg", "err", err, "src", a, "addr", b)`},
		{name: "error key", src: `log.Warn("msg", "n", 1, "error", err)`, want: []BadLogKey{{Pos: "x.go:4", Key: "error", Use: "err"}}},
		{name: "a value is no key", src: `log.Info("msg", "kind", "error")`},
		{name: "the message is no key", src: `log.Error("error", "err", err)`},
		{name: "With", src: `log.With("source", a)`, want: []BadLogKey{{Pos: "x.go:4", Key: "source", Use: "src"}}},
		{name: "Context form", src: `log.InfoContext(ctx, "msg", "address", a)`, want: []BadLogKey{{Pos: "x.go:4", Key: "address", Use: "addr"}}},
		{name: "not a log call", src: `f("msg", "error", err)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package p\n\nfunc g() {\n\t"+tt.src+"\n}\n", 0)
			if err != nil {
				t.Fatal(err)
			}
			got := badLogKeysIn(fset, f, "x.go")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("bad log keys (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLongLinesIn(t *testing.T) {
	long := strings.Repeat("x", MinGreppableString)
	short := strings.Repeat("x", MinGreppableString-1)
	tests := []struct {
		name, line string
		want       []LongLine
	}{
		{name: "at the limit", line: strings.Repeat("a", MaxLineColumns)},
		{
			name: "over the limit",
			line: strings.Repeat("a", MaxLineColumns+1),
			want: []LongLine{{Pos: "x.go:2", Columns: MaxLineColumns + 1}},
		},
		{
			name: "tabs count to the next stop of four",
			line: "\t\t" + strings.Repeat("a", MaxLineColumns-7),
			want: []LongLine{{Pos: "x.go:2", Columns: MaxLineColumns + 1}},
		},
		{name: "a tab after two columns counts two", line: "ab\t" + strings.Repeat("a", MaxLineColumns-4)},
		{name: "runes, not bytes", line: strings.Repeat("µ", MaxLineColumns)},
		{name: "long interpreted string", line: "f(" + strings.Repeat("a", MaxLineColumns) + `, "` + long + `")`},
		{name: "long raw string", line: "f(" + strings.Repeat("a", MaxLineColumns) + ", `" + long + "`)"},
		{
			name: "string one short of greppable",
			line: `f("` + short + `", ` + strings.Repeat("a", MaxLineColumns) + ")",
			want: []LongLine{{Pos: "x.go:2", Columns: MaxLineColumns + len(short) + 7}},
		},
		{
			name: "long string in a comment is no string",
			line: "// \"" + long + "\" " + strings.Repeat("a", MaxLineColumns),
			want: []LongLine{{Pos: "x.go:2", Columns: MaxLineColumns + len(long) + 6}},
		},
		{name: "long URL in a comment", line: "// (https://" + long + ".html) " + strings.Repeat("a", MaxLineColumns)},
		{
			name: "long URL on the second line of a block comment",
			line: "/* a\n https://" + long + " " + strings.Repeat("a", MaxLineColumns) + " */",
		},
		{
			name: "short URL in a comment",
			line: "// https://" + short[:20] + " " + strings.Repeat("a", MaxLineColumns),
			want: []LongLine{{Pos: "x.go:2", Columns: MaxLineColumns + 32}},
		},
		{
			name: "every line of a long raw string",
			line: "x := `" + long + "\n" + strings.Repeat("a", MaxLineColumns+1) + "`",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "package p\n" + tt.line + "\n"
			if diff := cmp.Diff(tt.want, longLinesIn([]byte(src), "x.go")); diff != "" {
				t.Errorf("long lines (-want +got):\n%s", diff)
			}
		})
	}
}
