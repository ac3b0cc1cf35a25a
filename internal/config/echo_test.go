package config

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `""`},
		{"short", "eth0", `"eth0"`},
		{"escapes", "a\"b\\c\n", `"a\"b\\c\n"`},
		{"exactly 80 characters", strings.Repeat("x", 78), `"` + strings.Repeat("x", 78) + `"`},
		{"81 characters", strings.Repeat("x", 79), `"` + strings.Repeat("x", 77) + `…"`},
		{"1 MB", strings.Repeat("x", 1<<20), `"` + strings.Repeat("x", 77) + `…"`},
		{"multi-byte characters that fit", strings.Repeat("é", 78), `"` + strings.Repeat("é", 78) + `"`},
		{"multi-byte characters cut", strings.Repeat("é", 200), `"` + strings.Repeat("é", 77) + `…"`},
		{"escapes are not split", strings.Repeat("x", 75) + "\x00\x00", `"` + strings.Repeat("x", 75) + `…"`},
		{"invalid UTF-8", strings.Repeat("\xff", 30), `"` + strings.Repeat(`\xff`, 19) + `…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, quote(tt.in)); diff != "" {
				t.Errorf("quote mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShorten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"fits", "interface[0].name", 120, "interface[0].name"},
		{"exactly", "abcdef", 6, "abcdef"},
		{"cut", "abcdefg", 6, "abcde…"},
		{"multi-byte fits", "éééééé", 6, "éééééé"},
		{"multi-byte cut", "ééééééé", 6, "ééééé…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, shorten(tt.in, tt.max)); diff != "" {
				t.Errorf("shorten mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShortenMiddle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"fits", "Key 'a' has already been defined.", 240, "Key 'a' has already been defined."},
		{"cut", "0123456789", 7, "012…789"},
		{"multi-byte cut", "ééééééé", 5, "éé…éé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, shortenMiddle(tt.in, tt.max)); diff != "" {
				t.Errorf("shortenMiddle mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzQuote checks that quote agrees with strconv.Quote on values that
// fit and never shows more than maxEcho characters.
func FuzzQuote(f *testing.F) {
	f.Add("eth0")
	f.Add(strings.Repeat("é", 100))
	f.Add("\xff\x00\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		got := quote(s)
		if n := utf8.RuneCountInString(got); n > maxEcho {
			t.Fatalf("quote(%q) = %s has %d characters", s, got, n)
		}
		if full := strconv.Quote(s); utf8.RuneCountInString(full) <= maxEcho {
			if got != full {
				t.Fatalf("quote(%q) = %s, want %s", s, got, full)
			}
			return
		}
		body, ok := strings.CutSuffix(got, `…"`)
		if !ok || !strings.HasPrefix(strconv.Quote(s), body) {
			t.Fatalf("quote(%q) = %s is not a prefix of %s ending in …", s, got, strconv.Quote(s))
		}
	})
}
