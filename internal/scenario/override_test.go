package scenario_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/scenario"
)

func base() config.Interface {
	return config.Interface{
		Name: "lab0", MaxInterval: 600 * time.Second, MinInterval: 198 * time.Second, RouterLifetime: 1800 * time.Second,
		RDNSS:  []config.RDNSS{{Servers: []netip.Addr{netip.MustParseAddr("2001:db8::53")}, Lifetime: 1800 * time.Second}},
		DNSSL:  []config.DNSSL{{Domains: []string{"lab.example"}, Lifetime: 1800 * time.Second}},
		PREF64: []config.PREF64{{Prefix: netip.MustParsePrefix("64:ff9b::/96"), Lifetime: 1800 * time.Second}},
	}
}

func TestOverrideApply(t *testing.T) {
	type view struct {
		Max, Min, RL, RDNSS, DNSSL, PREF64 time.Duration
		M, O, DHCPv6                       bool
	}
	viewOf := func(ifc config.Interface) view {
		return view{ifc.MaxInterval, ifc.MinInterval, ifc.RouterLifetime, ifc.RDNSS[0].Lifetime, ifc.DNSSL[0].Lifetime,
			ifc.PREF64[0].Lifetime, ifc.Managed, ifc.OtherConfig, ifc.DHCPv6.Enabled}
	}
	tests := []struct {
		name string
		o    scenario.Override
		want view
		err  string
	}{
		{name: "none", want: view{600 * time.Second, 198 * time.Second, 1800 * time.Second, 1800 * time.Second, 1800 * time.Second, 1800 * time.Second, false, false, false}},
		{
			name: "compressed",
			o: scenario.Override{MaxInterval: dur(4 * time.Second), RDNSSLifetime: dur(12 * time.Second),
				DNSSLLifetime: dur(12 * time.Second), PREF64Lifetime: dur(16 * time.Second), OtherConfig: yes(), Managed: yes(), DHCPv6: yes()},
			want: view{4 * time.Second, 3 * time.Second, 1800 * time.Second, 12 * time.Second, 12 * time.Second, 16 * time.Second, true, true, true},
		},
		{
			name: "min from 9s on is 0.33 max",
			o:    scenario.Override{MaxInterval: dur(30 * time.Second)},
			want: view{30 * time.Second, 9900 * time.Millisecond, 1800 * time.Second, 1800 * time.Second, 1800 * time.Second, 1800 * time.Second, false, false, false},
		},
		{
			name: "base lifetimes too short for a longer interval",
			o:    scenario.Override{MaxInterval: dur(3000 * time.Second), MinInterval: dur(1000 * time.Second)},
			err: "scenario: override does not fit the configuration: router lifetime 30m0s is neither 0 nor max_interval (50m0s) to 65535s (RFC 4861 §6.2.1); override router_lifetime\n" +
				"scenario: override does not fit the configuration: RDNSS [2001:db8::53] lifetime 30m0s is below max_interval 50m0s (RFC 8106 §5.1); override rdnss_lifetime\n" +
				"scenario: override does not fit the configuration: DNSSL [lab.example] lifetime 30m0s is below max_interval 50m0s (RFC 8106 §5.2); override dnssl_lifetime",
		},
		{
			name: "router lifetime",
			o:    scenario.Override{RouterLifetime: dur(100 * time.Second)},
			err:  "scenario: override does not fit the configuration: router lifetime 1m40s is neither 0 nor max_interval (10m0s) to 65535s (RFC 4861 §6.2.1); override router_lifetime",
		},
		{
			name: "min interval",
			o:    scenario.Override{MinInterval: dur(500 * time.Second)},
			err:  "scenario: override does not fit the configuration: min_interval 8m20s is outside 3s to 0.75 × max_interval (7m30s) (RFC 4861 §6.2.1); override min_interval",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			got, err := tt.o.Apply(in)
			if tt.err != "" {
				if err == nil || !errors.Is(err, scenario.ErrOverride) {
					t.Fatalf("error %v, want ErrOverride", err)
				}
				if diff := cmp.Diff(tt.err, err.Error()); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, viewOf(got)); diff != "" {
				t.Errorf("applied (-want +got):\n%s", diff)
			}
			if in.RDNSS[0].Lifetime != 1800*time.Second {
				t.Error("Apply changed its input")
			}
		})
	}
}

func TestOverrideMerge(t *testing.T) {
	a := scenario.Override{MaxInterval: dur(6 * time.Second), Managed: yes()}
	b := scenario.Override{MaxInterval: dur(8 * time.Second), OtherConfig: yes()}
	want := scenario.Override{MaxInterval: dur(8 * time.Second), Managed: yes(), OtherConfig: yes()}
	if diff := cmp.Diff(want, a.Merge(b)); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
	if !(scenario.Override{}).IsZero() || a.IsZero() {
		t.Error("IsZero")
	}
}
