package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/internal/config"
)

// FuzzParse checks that Parse never panics, that every problem it reports
// is an *Error wrapping a sentinel, and that every configuration it
// accepts keeps the invariants the rest of ralab relies on.
func FuzzParse(f *testing.F) {
	f.Add(configs.Lab)
	f.Add(configs.Reference)
	for _, tt := range badCases {
		doc := tt.doc
		if tt.iface {
			doc = ifaceHeader + doc
		}
		f.Add([]byte(doc))
	}
	// Shapes that once took Parse time quadratic in their size.
	for _, n := range []int{20, 200} {
		f.Add([]byte("a = " + strings.Repeat("[", n) + "1" + strings.Repeat("]", n)))
		f.Add([]byte(ifaceHeader + "dhcpv6 = " + strings.Repeat("{b = ", n) + "1" + strings.Repeat("}", n)))
		f.Add([]byte(strings.Repeat("a.", n) + "a = 1"))
		f.Add([]byte(`"` + strings.Repeat("k", n) + `" = [` + strings.Repeat("1,", n) + "]"))
	}
	sentinels := []error{config.ErrSyntax, config.ErrUnknownKey, config.ErrWrongType, config.ErrMissingKey,
		config.ErrInvalidValue, config.ErrOutOfRange, config.ErrDuplicate}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("fuzz.toml", data)
		if err != nil {
			if c != nil {
				t.Fatal("Parse returned both a config and an error")
			}
			errs := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			}
			for _, e := range errs {
				var ce *config.Error
				if !errors.As(e, &ce) || ce.File != "fuzz.toml" || ce.Reason == "" {
					t.Fatalf("problem %q is not a complete *config.Error", e)
				}
				// Only a file without interfaces has no line to point at.
				if ce.Line == 0 && !(ce.Key == "" && errors.Is(e, config.ErrMissingKey)) {
					t.Fatalf("problem %q has no line", e)
				}
				if n := len(e.Error()); n > 1000 {
					t.Fatalf("problem %q has %d bytes", e, n)
				}
				found := false
				for _, s := range sentinels {
					found = found || errors.Is(e, s)
				}
				if !found {
					t.Fatalf("problem %q wraps no sentinel", e)
				}
			}
			return
		}
		if len(c.Interfaces) == 0 {
			t.Fatal("Parse accepted a configuration without interfaces")
		}
		checkInvariants(t, c)
	})
}

// BenchmarkParse measures parsing the lab and reference configurations.
func BenchmarkParse(b *testing.B) {
	for _, f := range []struct {
		name string
		data []byte
	}{{configs.LabName, configs.Lab}, {configs.ReferenceName, configs.Reference}} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(f.data)))
			for b.Loop() {
				if _, err := config.Parse(f.name, f.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
