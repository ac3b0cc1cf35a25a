package configs_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/internal/config"
)

func TestFilesParse(t *testing.T) {
	t.Parallel()
	for _, f := range []struct {
		name string
		data []byte
	}{
		{configs.LabName, configs.Lab},
		{configs.ReferenceName, configs.Reference},
	} {
		c, err := config.Parse(f.name, f.data)
		if err != nil {
			t.Errorf("Parse(%s): %v", f.name, err)
			continue
		}
		if len(c.Warnings) > 0 {
			t.Errorf("Parse(%s) warns: %q", f.name, c.Warnings)
		}
	}
}

func TestLab(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(configs.LabName, configs.Lab)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	ifc, ok := c.Interface("lab0")
	if !ok || len(c.Interfaces) != 1 {
		t.Fatalf("lab.toml has interfaces %+v; want only lab0", c.Interfaces)
	}
	addrs := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, a := range s {
			out = append(out, netip.MustParseAddr(a))
		}
		return out
	}
	want := config.Interface{
		Name:             "lab0",
		OtherConfig:      true,
		HopLimit:         64,
		RouterLifetime:   30 * time.Second,
		MinInterval:      3300 * time.Millisecond,
		MaxInterval:      10 * time.Second,
		UnicastSolicited: true,
		SourceLLA:        true,
		WithdrawOnStop:   true,
		Prefixes: []config.Prefix{{
			Prefix: netip.MustParsePrefix("2001:db8:1::/64"), OnLink: true, Autonomous: true,
			ValidLifetime: 720 * time.Hour, PreferredLifetime: 168 * time.Hour,
		}},
		RDNSS:  []config.RDNSS{{Servers: addrs("2001:db8:1::53", "2001:db8:1::54"), Lifetime: 30 * time.Second}},
		DNSSL:  []config.DNSSL{{Domains: []string{"lab.example"}, Lifetime: 30 * time.Second}},
		PREF64: []config.PREF64{{Prefix: netip.MustParsePrefix("64:ff9b::/96"), Lifetime: 32 * time.Second}},
		DHCPv6: config.DHCPv6{
			Enabled:                true,
			DNSServers:             addrs("2001:db8:1::53", "2001:db8:1::54"),
			Domains:                []string{"lab.example"},
			InformationRefreshTime: 10 * time.Minute,
			DUID:                   config.DUID{Type: config.DUIDLL},
			OptionPolicy:           config.PolicyIncludeDNS,
			Solicit:                config.SolicitNoAddrsAvail,
			RatePerClient:          10,
			BurstPerClient:         20,
			RateTotal:              10000,
			BurstTotal:             10000,
		},
		DNSResponder: config.DNSResponder{
			Enabled:   true,
			Addresses: addrs("2001:db8:1::53", "2001:db8:1::54"),
			Port:      53,
			Zone:      "lab.example",
			TTL:       time.Minute,
			PREF64:    netip.MustParsePrefix("64:ff9b::/96"),
			Records: []config.DNSRecord{
				{Name: "www", Type: "AAAA", Value: "2001:db8:1::80"},
				{Name: "v4only", Type: "A", Value: "192.0.2.1"},
			},
		},
	}
	if diff := cmp.Diff(want, ifc, cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})); diff != "" {
		t.Errorf("lab0 mismatch (-want +got):\n%s", diff)
	}
	if c.HTTP.Address != "" {
		t.Errorf("lab.toml enables the HTTP listener at %q", c.HTTP.Address)
	}
}
