package scenarios_test

import (
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/configs/scenarios"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
	"github.com/ralab/ralab/internal/ra"
	"github.com/ralab/ralab/internal/scenario"
)

// TestShipped parses every shipped scenario and checks the conventions of
// the set: named after its file, one per F-id, at most 90 s, and every
// phase's override applies to the lab configuration and builds an RA.
func TestShipped(t *testing.T) {
	names, err := fs.Glob(scenarios.Files, "*.toml")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := config.Parse(configs.LabName, configs.Lab)
	if err != nil {
		t.Fatalf("lab config: %v", err)
	}
	base := lab.Interfaces[0]
	covered := map[string]bool{}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			b, err := fs.ReadFile(scenarios.Files, n)
			if err != nil {
				t.Fatal(err)
			}
			s, err := scenario.Parse(n, b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if want := strings.TrimSuffix(n, ".toml"); s.Name != want {
				t.Errorf("name = %q, want the file name %q", s.Name, want)
			}
			if s.Duration > 90*time.Second {
				t.Errorf("duration %v is over 90s", s.Duration)
			}
			if s.Realistic == "" || len(s.Expect) == 0 {
				t.Error("missing realistic note or expectations")
			}
			for _, f := range s.FIDs {
				covered[f] = true
				if !strings.HasPrefix(s.Name, f+"-") {
					t.Errorf("F-id %s not in the name %q", f, s.Name)
				}
			}
			for _, p := range s.Phases {
				ifc, err := p.Override.Apply(base)
				if err != nil {
					t.Fatalf("phase %q: override: %v", p.Name, err)
				}
				if ifc.MaxInterval < 4*time.Second || ifc.MaxInterval > 10*time.Second {
					t.Errorf("phase %q: max_interval %v, want 4s to 10s for a virtual lab", p.Name, ifc.MaxInterval)
				}
				set := p.Set(time.Unix(0, 0), s.Seed)
				now := time.Unix(0, 0)
				for i := range 4 {
					got, _ := set.ConfigFor(now.Add(time.Duration(i)*ifc.MaxInterval), ifc)
					if _, _, err := ra.Build(got, net.HardwareAddr{0x02, 0, 0, 0, 0, 1}); err != nil {
						t.Fatalf("phase %q: RA %d does not build: %v", p.Name, i, err)
					}
				}
				if r, ok := set.SecondRouter(ifc); ok {
					if _, _, err := ra.Build(r.Config, r.MAC); err != nil {
						t.Fatalf("phase %q: second router RA does not build: %v", p.Name, err)
					}
					if !r.LinkLocal.IsLinkLocalUnicast() {
						t.Errorf("second router address %v", r.LinkLocal)
					}
				}
				set.DHCPv6Request(now, netip.MustParseAddr("fe80::1"))
			}
		})
	}
	for i := 1; i <= 17; i++ {
		if f := fmt.Sprintf("F%d", i); !covered[f] {
			t.Errorf("no scenario for %s", f)
		}
	}
	if _, err := fs.Stat(scenarios.Files, "baseline.toml"); err != nil {
		t.Error("no baseline.toml")
	}
	// Every impairment type is used by some shipped scenario.
	used := map[string]bool{}
	for _, n := range names {
		b, _ := fs.ReadFile(scenarios.Files, n)
		s, _ := scenario.Parse(n, b)
		for _, sp := range s.Impairments {
			used[sp.Type.Name] = true
		}
	}
	for _, name := range impair.TypeNames() {
		if !used[name] {
			t.Errorf("impairment type %s is in no shipped scenario", name)
		}
	}
}
