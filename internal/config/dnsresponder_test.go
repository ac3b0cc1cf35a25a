package config_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/configs"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/dnsresponder"
)

// TestParseDNSResponder checks the [interface.dns_responder] table: its
// defaults, which come from the interface's RDNSS, DNSSL and PREF64, and
// explicit values.
func TestParseDNSResponder(t *testing.T) {
	t.Parallel()
	// dnsOptions gives the interface two RDNSS options (one server in
	// both), two DNSSL domains and a PREF64 to take defaults from.
	const dnsOptions = `
[[interface.rdnss]]
servers = ["2001:db8:1::53", "2001:db8:1::54"]
[[interface.rdnss]]
servers = ["2001:db8:1::54", "2001:db8:1::55"]
[[interface.dnssl]]
domains = ["lab.example", "corp.example"]
[[interface.pref64]]
prefix = "64:ff9b::/96"
`
	tests := []struct {
		name string
		doc  string
		want config.DNSResponder
		warn []string
	}{
		{
			name: "no table: disabled zero value",
			doc:  dnsOptions,
		},
		{
			name: "defaults from RDNSS, DNSSL and PREF64",
			doc:  dnsOptions + "[interface.dns_responder]\nenabled = true\n",
			want: config.DNSResponder{
				Enabled:   true,
				Addresses: addrs("2001:db8:1::53", "2001:db8:1::54", "2001:db8:1::55"),
				Port:      53,
				Zone:      "lab.example",
				TTL:       60 * time.Second,
				PREF64:    netip.MustParsePrefix("64:ff9b::/96"),
			},
		},
		{
			name: "disabled table without DNS options",
			doc:  "[interface.dns_responder]\n",
			want: config.DNSResponder{Port: 53, TTL: 60 * time.Second},
		},
		{
			name: "explicit values",
			doc: dnsOptions + `
[interface.dns_responder]
enabled = true
addresses = ["2001:db8:1::55", "fe80::53"]
port = 5353
zone = "Other.Example."
ttl = "1h"
pref64 = "2001:db8:64::/64"
[[interface.dns_responder.record]]
name = "www"
type = "aaaa"
value = "2001:db8:1::80"
[[interface.dns_responder.record]]
name = "@"
type = "TXT"
value = "ralab"
[[interface.dns_responder.record]]
name = "alias"
type = "CNAME"
value = "www"
`,
			want: config.DNSResponder{
				Enabled:   true,
				Addresses: addrs("2001:db8:1::55", "fe80::53"),
				Port:      5353,
				Zone:      "Other.Example",
				TTL:       time.Hour,
				PREF64:    netip.MustParsePrefix("2001:db8:64::/64"),
				Records: []config.DNSRecord{
					{Name: "www", Type: "AAAA", Value: "2001:db8:1::80"},
					{Name: "@", Type: "TXT", Value: "ralab"},
					{Name: "alias", Type: "CNAME", Value: "www"},
				},
			},
			warn: []string{`t.toml:16: interface "eth0": dns_responder.addresses[1] = "fe80::53": is not an [[interface.rdnss]] server or a dhcpv6 dns_servers address: clients are not told to query it`},
		},
		{
			name: "DNS64 off",
			doc:  dnsOptions + "[interface.dns_responder]\nenabled = true\npref64 = \"\"\n",
			want: config.DNSResponder{
				Enabled:   true,
				Addresses: addrs("2001:db8:1::53", "2001:db8:1::54", "2001:db8:1::55"),
				Port:      53,
				Zone:      "lab.example",
				TTL:       60 * time.Second,
			},
		},
		{
			name: "address told by DHCPv6 only",
			doc: `
other_config = true
[interface.dhcpv6]
enabled = true
dns_servers = ["2001:db8:1::53"]
[interface.dns_responder]
enabled = true
addresses = ["2001:db8:1::53"]
zone = "lab.example"
`,
			want: config.DNSResponder{
				Enabled:   true,
				Addresses: addrs("2001:db8:1::53"),
				Port:      53,
				Zone:      "lab.example",
				TTL:       60 * time.Second,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Parse("t.toml", []byte("[[interface]]\nname = \"eth0\"\nmax_interval = \"10s\"\n"+tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, c.Interfaces[0].DNSResponder, equateNetip); diff != "" {
				t.Errorf("DNSResponder (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warn, c.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			checkInvariants(t, c)
		})
	}
}

// TestHandlerConfig checks the conversion for package dnsresponder and
// that the result loads.
func TestHandlerConfig(t *testing.T) {
	t.Parallel()
	r := config.DNSResponder{
		Enabled:   true,
		Addresses: addrs("2001:db8:1::53"),
		Port:      53,
		Zone:      "lab.example",
		TTL:       30 * time.Second,
		PREF64:    netip.MustParsePrefix("64:ff9b::/96"),
		Records:   []config.DNSRecord{{Name: "v4only", Type: "A", Value: "192.0.2.1"}},
	}
	want := dnsresponder.Config{
		Zone:    "lab.example",
		Records: []dnsresponder.Record{{Name: "v4only", Type: "A", Value: "192.0.2.1"}},
		PREF64:  netip.MustParsePrefix("64:ff9b::/96"),
		TTL:     30 * time.Second,
	}
	got := r.HandlerConfig()
	if diff := cmp.Diff(want, got, equateNetip); diff != "" {
		t.Errorf("HandlerConfig (-want +got):\n%s", diff)
	}
	if _, err := dnsresponder.NewHandler(got); err != nil {
		t.Errorf("NewHandler: %v", err)
	}
}

// TestDNSServeConfig checks the configuration of dnsresponder.Serve built
// from the lab configuration: the on-link prefix is there so that answers
// reach the clients' SLAAC addresses.
func TestDNSServeConfig(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(configs.LabName, configs.Lab)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	ifc, _ := c.Interface("lab0")
	want := dnsresponder.ServeConfig{
		Interface: "lab0",
		Zone: dnsresponder.Config{
			Zone: "lab.example",
			Records: []dnsresponder.Record{
				{Name: "www", Type: "AAAA", Value: "2001:db8:1::80"},
				{Name: "v4only", Type: "A", Value: "192.0.2.1"},
			},
			PREF64: netip.MustParsePrefix("64:ff9b::/96"),
			TTL:    time.Minute,
		},
		Addrs:  addrs("2001:db8:1::53", "2001:db8:1::54"),
		Port:   53,
		OnLink: []netip.Prefix{netip.MustParsePrefix("2001:db8:1::/64")},
	}
	if diff := cmp.Diff(want, ifc.DNSServeConfig(), equateNetip); diff != "" {
		t.Errorf("DNSServeConfig (-want +got):\n%s", diff)
	}
}
