package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hostileShapes build valid TOML documents, growing with n, on which a
// naive key scanner or message renderer does work quadratic in n.
var hostileShapes = []struct {
	name string
	doc  func(n int) string
}{
	{"nested arrays", func(n int) string {
		return "a = " + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + "\n"
	}},
	{"nested arrays in an interface", func(n int) string {
		return "[[interface]]\nname = \"eth0\"\nhop_limit = " + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + "\n"
	}},
	{"nested inline tables", func(n int) string {
		return "a = " + strings.Repeat("{b = ", n) + "1" + strings.Repeat("}", n) + "\n"
	}},
	{"nested arrays of inline tables", func(n int) string {
		return "a = " + strings.Repeat("[{b = ", n) + "1" + strings.Repeat("}]", n) + "\n"
	}},
	{"dotted header", func(n int) string { return "[" + strings.Repeat("a.", n) + "a]\n" }},
	{"dotted array header", func(n int) string { return "[[" + strings.Repeat("a.", n) + "a]]\n" }},
	{"dotted key", func(n int) string { return strings.Repeat("a.", n) + "a = 1\n" }},
	{"long key with many elements", func(n int) string {
		return `"` + strings.Repeat("k", n) + `" = [` + strings.Repeat("1,", n) + "]\n"
	}},
	{"long header with many keys", func(n int) string {
		return "[\"" + strings.Repeat("k", n) + "\"]\n" + strings.Repeat("a.b = {c = [1]}\n", n)
	}},
	{"long value", func(n int) string { return "[[interface]]\nname = \"" + strings.Repeat("n", n) + "\"\n" }},
	{"many servers", func(n int) string {
		return "[[interface]]\nname = \"eth0\"\n[[interface.rdnss]]\nservers = [" + strings.Repeat(`"::", `, n) + "]\n"
	}},
	{"many interfaces", func(n int) string { return strings.Repeat("[[interface]]\nname = \"eth0\"\n", n) }},
}

// TestScannerLinear checks by counting, not timing, that the key scanner
// builds key paths of a total length linear in the document's length.
func TestScannerLinear(t *testing.T) {
	t.Parallel()
	work := func(doc string) int {
		s := scan(doc)
		return s.work
	}
	for _, tt := range hostileShapes {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			small, large := tt.doc(1000), tt.doc(8000)
			ws, wl := work(small), work(large)
			// A linear scan does at most about 8 times the work on a
			// document 8 times as long; a quadratic one 64 times.
			if wl > 10*max(ws, len(small)) {
				t.Errorf("work grew from %d to %d bytes for documents of %d and %d bytes", ws, wl, len(small), len(large))
			}
			// Each path built costs at most maxRecordedPath plus its last
			// piece, and starts at a byte of its own.
			if wl > 2*maxRecordedPath*len(large) {
				t.Errorf("work of %d bytes for a document of %d bytes", wl, len(large))
			}
		})
	}
}

// TestParseNesting checks where Parse draws the line on nesting.
func TestParseNesting(t *testing.T) {
	t.Parallel()
	arrays := func(n int) string {
		return "a = " + strings.Repeat("[", n) + "1" + strings.Repeat("]", n) + "\n"
	}
	deepPath := "a" + strings.Repeat("[0]", maxNesting-1)
	tests := []struct {
		name string
		doc  string
		want string
		err  error
	}{
		{
			name: "at the limit",
			doc:  arrays(maxNesting - 1),
			want: "n.toml: no [[interface]] table: configure at least one interface\nn.toml:1: a: unknown key; allowed here: http, interface",
			err:  ErrUnknownKey,
		},
		{
			name: "over the limit",
			doc:  arrays(maxNesting),
			want: "n.toml:1: " + deepPath + ": keys, tables and arrays nest more than 32 levels deep here; ralab reads at most 32 (its own keys nest at most 6)",
			err:  ErrSyntax,
		},
		{
			name: "far over the limit",
			doc:  "\n" + arrays(100000),
			want: "n.toml:2: " + deepPath + ": keys, tables and arrays nest more than 32 levels deep here; ralab reads at most 32 (its own keys nest at most 6)",
			err:  ErrSyntax,
		},
		{
			name: "dotted key over the limit",
			doc:  strings.Repeat("a.", maxNesting) + "a = 1\n",
			want: "n.toml:1: " + strings.TrimSuffix(strings.Repeat("a.", maxNesting), ".") + ": keys, tables and arrays nest more than 32 levels deep here; ralab reads at most 32 (its own keys nest at most 6)",
			err:  ErrSyntax,
		},
		{
			name: "inline tables over the limit",
			doc:  "[[interface]]\nname = \"eth0\"\ndhcpv6 = " + strings.Repeat("{a = ", 40) + "1" + strings.Repeat("}", 40) + "\n",
			want: "n.toml:3: interface[0].dhcpv6" + strings.Repeat(".a", maxNesting-3) + ": keys, tables and arrays nest more than 32 levels deep here; ralab reads at most 32 (its own keys nest at most 6)",
			err:  ErrSyntax,
		},
		{
			name: "long key over the limit",
			doc:  `"` + strings.Repeat("k", 200) + `" = ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n",
			want: "n.toml:1: " + strings.Repeat("k", maxEchoKey-1) + "…: keys, tables and arrays nest more than 32 levels deep here; ralab reads at most 32 (its own keys nest at most 6)",
			err:  ErrSyntax,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("n.toml", []byte(tt.doc))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.err)
			}
		})
	}
}

// BenchmarkParseHostile measures Parse on documents that once took it
// time quadratic in their size; all should run at megabytes per second.
func BenchmarkParseHostile(b *testing.B) {
	for _, tt := range hostileShapes {
		b.Run(tt.name, func(b *testing.B) {
			data := []byte(tt.doc(5000))
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				Parse("hostile.toml", data)
			}
		})
	}
}
