package scenario

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKeyLines(t *testing.T) {
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
		"name": 1, "fids": 2, "description": 6, "override": 10, "override.max_interval": 11,
		"impairment.a": 13, "impairment.a.type": 14, "impairment.a.quoted.key": 15,
		"phase[0]": 17, "phase[0].start": 18, "phase[1]": 20, "phase[1].start": 21,
		"phase[1].override": 22, "phase[1].override.dhcpv6": 23,
	}
	if diff := cmp.Diff(want, keyLines(doc)); diff != "" {
		t.Errorf("keyLines (-want +got):\n%s", diff)
	}
}

func FuzzKeyLines(f *testing.F) {
	f.Add("[[phase]]\nstart = \"0s\"\n[phase.override]\nx = [\n1]\n")
	f.Add("a = '''\n]\n'''\n")
	f.Fuzz(func(t *testing.T, doc string) {
		for k, n := range keyLines(doc) {
			if n < 1 {
				t.Fatalf("key %q at line %d", k, n)
			}
		}
	})
}
