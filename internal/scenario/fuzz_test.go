package scenario_test

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/ralab/ralab/configs/scenarios"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/scenario"
)

// FuzzParse checks that any input gives a scenario or *config.Error
// values, never a panic, and that a parsed scenario keeps its invariants.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	names, _ := fs.Glob(scenarios.Files, "*.toml")
	for _, n := range names {
		b, _ := fs.ReadFile(scenarios.Files, n)
		f.Add(b)
	}
	f.Add([]byte("phase = [{start = \"0s\"}]\nname = \"x\"\ndescription = \"\"\nduration = \"1s\""))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := scenario.Parse("fuzz.toml", data)
		if err != nil {
			for _, e := range unjoin(err) {
				var ce *config.Error
				if !errors.As(e, &ce) {
					t.Fatalf("%v is not a *config.Error", e)
				}
			}
			return
		}
		if len(s.Phases) == 0 || s.Phases[0].Start != 0 || s.Duration <= 0 {
			t.Fatalf("bad scenario: %+v", s)
		}
		for i, p := range s.Phases {
			if p.Start >= p.End || i > 0 && p.Start != s.Phases[i-1].End {
				t.Fatalf("phase %d spans %v to %v", i, p.Start, p.End)
			}
			if got, ok := s.At(p.Start); !ok || got.Index != i {
				t.Fatalf("At(%v) = %d, %v", p.Start, got.Index, ok)
			}
			p.Set(time.Unix(0, 0), s.Seed)
		}
	})
}
