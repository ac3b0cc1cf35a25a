package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/configs"
)

// schemaKeys lists every key path of the raw struct type t, without array
// indices, such as "interface.rdnss.lifetime".
func schemaKeys(prefix string, t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		k := f.Tag.Get("toml")
		if prefix != "" {
			k = prefix + "." + k
		}
		keys = append(keys, k)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			keys = append(keys, schemaKeys(k, ft)...)
		}
	}
	return keys
}

// TestReferenceComplete checks that reference.toml shows every key the
// decoder knows, so that the reference cannot fall behind the code.
func TestReferenceComplete(t *testing.T) {
	t.Parallel()
	present := make(map[string]bool)
	for k := range scan(string(configs.Reference)).lines {
		var b strings.Builder
		for piece := range strings.SplitSeq(strings.ReplaceAll(k, "[", ".["), ".") {
			if piece == "" || strings.HasPrefix(piece, "[") {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(piece)
		}
		present[b.String()] = true
	}
	keys := schemaKeys("", reflect.TypeFor[rawConfig]())
	if len(keys) < 50 {
		t.Fatalf("schema has only %d keys: %q", len(keys), keys)
	}
	for _, k := range keys {
		if !present[k] {
			t.Errorf("reference.toml does not show key %s", k)
		}
	}
}

func TestKeyLines(t *testing.T) {
	t.Parallel()
	doc := `# comment [[interface]]
[http] # trailing
address = "x" # a = 1
[[interface]]
name = """
[[interface]]
still = "in the string"
"""
'quoted key' = 1
dotted . key = { a = 1, "b" = [
  1,
  { c = 2 },
] }
[[interface.prefix]]
prefix = '''x'''
[[interface.prefix]]
[interface.dhcpv6]
duid.type = "ll"
[[interface]]
[[interface.prefix]]
prefix = "y"
`
	want := map[string]int{
		"http":                           2,
		"http.address":                   3,
		"interface":                      4,
		"interface[0]":                   4,
		"interface[0].name":              5,
		`interface[0]."quoted key"`:      9,
		"interface[0].dotted":            10,
		"interface[0].dotted.key":        10,
		"interface[0].dotted.key.a":      10,
		"interface[0].dotted.key.b":      10,
		"interface[0].dotted.key.b[0]":   11,
		"interface[0].dotted.key.b[1]":   12,
		"interface[0].dotted.key.b[1].c": 12,
		"interface[0].prefix":            14,
		"interface[0].prefix[0]":         14,
		"interface[0].prefix[0].prefix":  15,
		"interface[0].prefix[1]":         16,
		"interface[0].dhcpv6":            17,
		"interface[0].dhcpv6.duid":       18,
		"interface[0].dhcpv6.duid.type":  18,
		"interface[1]":                   19,
		"interface[1].prefix":            20,
		"interface[1].prefix[0]":         20,
		"interface[1].prefix[0].prefix":  21,
	}
	if diff := cmp.Diff(want, scan(doc).lines); diff != "" {
		t.Errorf("lines mismatch (-want +got):\n%s", diff)
	}
}

// TestDecodeDocumentLines checks the lines of a scenario-shaped document:
// comments with brackets, a multi-line array with comments, a multi-line
// string holding what looks like a table, a quoted dotted key, and arrays
// of tables with sub-tables.
func TestDecodeDocumentLines(t *testing.T) {
	doc := `name = "x" # comment with [brackets]
fids = [
  "F1",   # one
  "F2",
]
description = """
[not.a.table]
key = 1
"""
[override]
max_interval = "6s"

[impairment.a]
type = "ra-throttle"
"quoted.key" = 1

[[phase]]
start = "0s"

[[phase]]
start = "10s"
[phase.override]
dhcpv6 = true
`
	want := map[string]int{
		"name": 1, "fids": 2, "fids[0]": 3, "fids[1]": 4, "description": 6, "override": 10, "override.max_interval": 11,
		"impairment": 13, "impairment.a": 13, "impairment.a.type": 14, JoinKey("impairment.a", "quoted.key"): 15,
		"phase": 17, "phase[0]": 17, "phase[0].start": 18, "phase[1]": 20, "phase[1].start": 21,
		"phase[1].override": 22, "phase[1].override.dhcpv6": 23,
	}
	_, lines, err := DecodeDocument("s.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestParseCollectsAllErrors(t *testing.T) {
	t.Parallel()
	doc := `[[interface]]
name = "eth0"
mtu = 1
bogus = true
[[interface.rdnss]]
servers = ["::"]
[[interface]]
hop_limit = -1
`
	_, err := Parse("multi.toml", []byte(doc))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	want := []string{
		`multi.toml:3: interface "eth0": mtu = 1: must be 0 (no MTU option) or 1280 to 65535 (RFC 8200 §5 minimum link MTU)`,
		`multi.toml:4: interface "eth0": bogus: unknown key; allowed here: ` + strings.Join(tableKeys(reflect.TypeFor[rawInterface]()), ", "),
		`multi.toml:6: interface "eth0": rdnss[0].servers[0] = "::": must be a unicast address, not unspecified (::), loopback (::1) or multicast`,
		`multi.toml:7: interface[1].name: required key is missing; for example name = "eth0"`,
		`multi.toml:8: interface[1].hop_limit = -1: must be 0 (unspecified) to 255 (RFC 4861 §4.2)`,
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
	for _, s := range []error{ErrOutOfRange, ErrUnknownKey, ErrInvalidValue, ErrMissingKey} {
		if !errors.Is(err, s) {
			t.Errorf("errors.Is(err, %v) = false", s)
		}
	}
	for _, s := range []error{ErrSyntax, ErrDuplicate, ErrWrongType} {
		if errors.Is(err, s) {
			t.Errorf("errors.Is(err, %v) = true", s)
		}
	}
}

// FuzzKeyLines checks that the key scanner stops on any input, valid TOML
// or not, without panicking, and that its work stays linear.
func FuzzKeyLines(f *testing.F) {
	f.Add(string(configs.Reference))
	f.Add("a = [1, {b = '''x'''}, \"\"\"\n\"\"\"]\n[[c]]\n[c.d]\ne.f = 1")
	f.Add("[[")
	f.Add("a = \"\\")
	f.Add(`"\u0041\x42\e\U0001F600\q" = 1`)
	for _, tt := range hostileShapes {
		f.Add(tt.doc(maxNesting - 2))
		f.Add(tt.doc(200))
	}
	f.Fuzz(func(t *testing.T, doc string) {
		s := scan(doc)
		for k, line := range s.lines {
			if line < 1 || line > strings.Count(doc, "\n")+1 {
				t.Fatalf("key %s on line %d of a %d-line document", k, line, strings.Count(doc, "\n")+1)
			}
		}
		// Each path built starts at a byte of its own and costs at most
		// maxRecordedPath plus its last piece (see TestScannerLinear).
		if s.work > 2*maxRecordedPath*(len(doc)+1) {
			t.Fatalf("built %d bytes of key paths for a %d-byte document", s.work, len(doc))
		}
	})
}
