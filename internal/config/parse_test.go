package config_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/dnsresponder"
)

// equateNetip compares netip values with ==.
var equateNetip = cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})

// defaultDHCPv6 is the DHCPv6 configuration of an interface without DNS
// options or a [interface.dhcpv6] table.
var defaultDHCPv6 = config.DHCPv6{
	DUID:           config.DUID{Type: config.DUIDLL},
	OptionPolicy:   config.PolicyIncludeDNS,
	Solicit:        config.SolicitNoAddrsAvail,
	RatePerClient:  10,
	BurstPerClient: 20,
	RateTotal:      10000,
	BurstTotal:     10000,
}

// bare returns the configuration of an interface that sets only its name
// and max_interval.
func bare(name string, maxInt, minInt, routerLifetime time.Duration) config.Interface {
	return config.Interface{
		Name:             name,
		HopLimit:         64,
		RouterLifetime:   routerLifetime,
		MinInterval:      minInt,
		MaxInterval:      maxInt,
		UnicastSolicited: true,
		SourceLLA:        true,
		WithdrawOnStop:   true,
		DHCPv6:           defaultDHCPv6,
	}
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

func TestParseGood(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	tests := []struct {
		name string
		doc  string
		want []config.Interface
		http config.HTTP
	}{
		{
			name: "defaults",
			doc:  "[[interface]]\nname = \"eth0\"\n",
			// RFC 4861 §6.2.1: Max 600 s, Min 0.33 × 600 s, lifetime 3 × 600 s.
			want: []config.Interface{bare("eth0", 600*time.Second, 198*time.Second, 1800*time.Second)},
		},
		{
			name: "lab defaults computed from max_interval",
			doc: `
[[interface]]
name = "lab0"
other_config = true
max_interval = "10s"
min_interval = "auto"
router_lifetime = "auto"
[[interface.prefix]]
prefix = "2001:db8:1::/64"
[[interface.rdnss]]
servers = ["2001:db8:1::53", "2001:db8:1::54"]
[[interface.rdnss]]
servers = ["2001:db8:1::54", "2001:db8:1::55"]
lifetime = "auto"
[[interface.dnssl]]
domains = ["lab.example.", "corp.example"]
[[interface.pref64]]
prefix = "64:ff9b::/96"
[[interface.route]]
prefix = "2001:db8:2::/60"
[interface.dhcpv6]
enabled = true
information_refresh_time = "10m"
`,
			want: []config.Interface{func() config.Interface {
				ifc := bare("lab0", 10*time.Second, 3300*time.Millisecond, 30*time.Second)
				ifc.OtherConfig = true
				ifc.Prefixes = []config.Prefix{{
					Prefix: netip.MustParsePrefix("2001:db8:1::/64"), OnLink: true, Autonomous: true,
					ValidLifetime: 30 * day, PreferredLifetime: 7 * day,
				}}
				ifc.RDNSS = []config.RDNSS{
					{Servers: addrs("2001:db8:1::53", "2001:db8:1::54"), Lifetime: 30 * time.Second},
					{Servers: addrs("2001:db8:1::54", "2001:db8:1::55"), Lifetime: 30 * time.Second},
				}
				ifc.DNSSL = []config.DNSSL{{Domains: []string{"lab.example", "corp.example"}, Lifetime: 30 * time.Second}}
				// 3 × 10 s = 30 s, rounded up to the 8 s unit.
				ifc.PREF64 = []config.PREF64{{Prefix: netip.MustParsePrefix("64:ff9b::/96"), Lifetime: 32 * time.Second}}
				ifc.Routes = []config.Route{{Prefix: netip.MustParsePrefix("2001:db8:2::/60"), Lifetime: 30 * time.Second}}
				ifc.DHCPv6.Enabled = true
				ifc.DHCPv6.DNSServers = addrs("2001:db8:1::53", "2001:db8:1::54", "2001:db8:1::55")
				ifc.DHCPv6.Domains = []string{"lab.example", "corp.example"}
				ifc.DHCPv6.InformationRefreshTime = 10 * time.Minute
				return ifc
			}()},
		},
		{
			name: "short max_interval makes min_interval 0.75 × max",
			doc:  "[[interface]]\nname = \"eth0\"\nmax_interval = \"4s\"\n[[interface.pref64]]\nprefix = \"64:ff9b::/96\"\n",
			want: []config.Interface{func() config.Interface {
				ifc := bare("eth0", 4*time.Second, 3*time.Second, 12*time.Second)
				ifc.PREF64 = []config.PREF64{{Prefix: netip.MustParsePrefix("64:ff9b::/96"), Lifetime: 16 * time.Second}}
				return ifc
			}()},
		},
		{
			name: "router lifetime capped at 9000s, PREF64 at 65528s",
			doc: `
[[interface]]
name = "eth0"
max_interval = "3600s"
[[interface]]
name = "eth1"
max_interval = "20000s"
[[interface]]
name = "eth2"
max_interval = "65535s"
[[interface.pref64]]
prefix = "2001:db8:64::/64"
`,
			want: []config.Interface{
				bare("eth0", 3600*time.Second, 1188*time.Second, 9000*time.Second),
				bare("eth1", 20000*time.Second, 6600*time.Second, 20000*time.Second),
				func() config.Interface {
					ifc := bare("eth2", 65535*time.Second, 21626550*time.Millisecond, 65535*time.Second)
					ifc.PREF64 = []config.PREF64{{Prefix: netip.MustParsePrefix("2001:db8:64::/64"), Lifetime: 65528 * time.Second}}
					return ifc
				}(),
			},
		},
		{
			name: "every key explicit",
			doc: `
[http]
address = "[::1]:9430"

[[interface]]
name = "eth0"
managed = true
other_config = true
hop_limit = 0
reachable_time = "30s"
retransmit_timer = "1500ms"
router_lifetime = "0s"
preference = "medium"
min_interval = "3s"
max_interval = "4s"
unicast_solicited = false
source_lla = false
mtu = 1500
withdraw_on_stop = false
captive_portal = "https://portal.example/api"

  [[interface.prefix]]
  prefix = "2001:db8:1::/48"
  on_link = false
  autonomous = false
  valid_lifetime = "infinite"
  preferred_lifetime = "infinite"

  [[interface.route]]
  prefix = "::/0"
  preference = "low"
  lifetime = "infinite"

  [[interface.rdnss]]
  servers = ["2001:db8::53"]
  lifetime = "0s"

  [[interface.dnssl]]
  domains = ["Lab-1.example"]
  lifetime = "infinite"

  [[interface.pref64]]
  prefix = "2001:db8::/32"
  lifetime = "0s"

  [interface.dhcpv6]
  enabled = true
  dns_servers = []
  domains = ["other.example."]
  information_refresh_time = "5m"
  lab_override = true
  ntp_servers = ["2001:db8::123"]
  sol_max_rt = "30s"
  inf_max_rt = "90000s"
  captive_portal = ""
  duid = { type = "en", enterprise_number = 32473, identifier = "0a:1b:2c" }
  option_policy = "strict"
  solicit = "ignore"
  rate_per_client = 2.5
  burst_per_client = 5
  rate_total = 0
  burst_total = 1
`,
			http: config.HTTP{Address: "[::1]:9430"},
			want: []config.Interface{{
				Name:            "eth0",
				Managed:         true,
				OtherConfig:     true,
				ReachableTime:   30 * time.Second,
				RetransmitTimer: 1500 * time.Millisecond,
				MinInterval:     3 * time.Second,
				MaxInterval:     4 * time.Second,
				MTU:             1500,
				CaptivePortal:   "https://portal.example/api",
				Prefixes: []config.Prefix{{
					Prefix:        netip.MustParsePrefix("2001:db8:1::/48"),
					ValidLifetime: config.Infinite, PreferredLifetime: config.Infinite,
				}},
				Routes: []config.Route{{Prefix: netip.MustParsePrefix("::/0"), Preference: config.Low, Lifetime: config.Infinite}},
				RDNSS:  []config.RDNSS{{Servers: addrs("2001:db8::53")}},
				DNSSL:  []config.DNSSL{{Domains: []string{"Lab-1.example"}, Lifetime: config.Infinite}},
				PREF64: []config.PREF64{{Prefix: netip.MustParsePrefix("2001:db8::/32")}},
				DHCPv6: config.DHCPv6{
					Enabled:                true,
					Domains:                []string{"other.example"},
					InformationRefreshTime: 5 * time.Minute,
					NTPServers:             addrs("2001:db8::123"),
					SolMaxRT:               30 * time.Second,
					InfMaxRT:               90000 * time.Second,
					DUID:                   config.DUID{Type: config.DUIDEN, EnterpriseNumber: 32473, Identifier: []byte{0x0a, 0x1b, 0x2c}},
					OptionPolicy:           config.PolicyStrict,
					Solicit:                config.SolicitIgnore,
					RatePerClient:          2.5,
					BurstPerClient:         5,
					BurstTotal:             1,
				},
			}},
		},
		{
			name: "inline tables and other DUIDs",
			doc: `
[[interface]]
name = "eth0"
prefix = [{ prefix = "2001:db8:1::/64", valid_lifetime = "2h", preferred_lifetime = "1h" }]
dhcpv6 = { duid = { type = "uuid", uuid = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6" } }
[[interface]]
name = "eth1"
router_lifetime = "65535s"
preference = "high"
dhcpv6.duid = { type = "llt", time = 12345 }
`,
			want: []config.Interface{
				func() config.Interface {
					ifc := bare("eth0", 600*time.Second, 198*time.Second, 1800*time.Second)
					ifc.Prefixes = []config.Prefix{{
						Prefix: netip.MustParsePrefix("2001:db8:1::/64"), OnLink: true, Autonomous: true,
						ValidLifetime: 2 * time.Hour, PreferredLifetime: time.Hour,
					}}
					ifc.DHCPv6.DUID = config.DUID{Type: config.DUIDUUID, UUID: [16]byte{
						0xf8, 0x1d, 0x4f, 0xae, 0x7d, 0xec, 0x11, 0xd0, 0xa7, 0x65, 0x00, 0xa0, 0xc9, 0x1e, 0x6b, 0xf6}}
					return ifc
				}(),
				func() config.Interface {
					ifc := bare("eth1", 600*time.Second, 198*time.Second, 65535*time.Second)
					ifc.Preference = config.High
					ifc.DHCPv6.DUID = config.DUID{Type: config.DUIDLLT, Time: 12345}
					return ifc
				}(),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := config.Parse("test.toml", []byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := &config.Config{File: "test.toml", Interfaces: tt.want, HTTP: tt.http}
			if diff := cmp.Diff(want, got, equateNetip); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			checkInvariants(t, got)
		})
	}
}

func TestParseWarnings(t *testing.T) {
	t.Parallel()
	doc := `[[interface]]
name = "eth0"
max_interval = "10s"
[[interface.rdnss]]
servers = ["fe80::53"]
lifetime = "20s"
[interface.dhcpv6]
enabled = true
`
	got, err := config.Parse("w.toml", []byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []string{
		`w.toml:5: interface "eth0": rdnss[0].servers[0] = "fe80::53": link-local server: clients can reach it only on this link, and some resolvers ignore link-local RDNSS`,
		`w.toml:6: interface "eth0": rdnss[0].lifetime = "20s": shorter than RFC 8106 §5.1 recommends (3 × max_interval = 30s): one lost RA can let it expire`,
		`w.toml:8: interface "eth0": dhcpv6.enabled = true: other_config and managed are false, so clients are not told to ask DHCPv6 (RFC 4861 §4.2)`,
	}
	if diff := cmp.Diff(want, got.Warnings); diff != "" {
		t.Errorf("Warnings mismatch (-want +got):\n%s", diff)
	}
}

func TestInterface(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("t.toml", []byte("[[interface]]\nname = \"a\"\n[[interface]]\nname = \"b\"\nmtu = 1400\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got, ok := c.Interface("b")
	if !ok || got.MTU != 1400 {
		t.Errorf(`Interface("b") = %+v, %v; want MTU 1400, true`, got, ok)
	}
	if _, ok := c.Interface("c"); ok {
		t.Error(`Interface("c") found an interface that does not exist`)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.toml")
	if err := os.WriteFile(path, []byte("[[interface]]\nname = \"eth0\"\nmtu = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path)
	want := path + `:3: interface "eth0": mtu = 1: must be 0 (no MTU option) or 1280 to 65535 (RFC 8200 §5 minimum link MTU)`
	if err == nil || err.Error() != want || !errors.Is(err, config.ErrOutOfRange) {
		t.Errorf("Load error = %v; want %s", err, want)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "absent.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v; want os.ErrNotExist", err)
	}
}

// checkInvariants fails t if c breaks a rule that Parse promises.
func checkInvariants(t *testing.T, c *config.Config) {
	t.Helper()
	for _, ifc := range c.Interfaces {
		maxInt := ifc.MaxInterval
		if maxInt < config.MinMaxInterval || maxInt > config.MaxMaxInterval {
			t.Errorf("%s: max interval %v out of range", ifc.Name, maxInt)
		}
		if ifc.MinInterval < config.MinMinInterval || ifc.MinInterval > maxInt*3/4 && ifc.MinInterval != maxInt {
			t.Errorf("%s: min interval %v out of range for max %v", ifc.Name, ifc.MinInterval, maxInt)
		}
		if ifc.MinInterval == maxInt && maxInt >= 9*time.Second {
			t.Errorf("%s: min interval equals max %v", ifc.Name, maxInt)
		}
		if rl := ifc.RouterLifetime; rl != 0 && (rl < maxInt || rl > config.MaxRouterLifetime || rl%time.Second != 0) {
			t.Errorf("%s: router lifetime %v out of range", ifc.Name, rl)
		}
		if ifc.RouterLifetime == 0 && ifc.Preference != config.Medium {
			t.Errorf("%s: preference %v with router lifetime 0", ifc.Name, ifc.Preference)
		}
		if ifc.MTU != 0 && (ifc.MTU < 1280 || ifc.MTU > 65535) {
			t.Errorf("%s: MTU %d", ifc.Name, ifc.MTU)
		}
		for _, p := range ifc.Prefixes {
			if p.PreferredLifetime > p.ValidLifetime || p.ValidLifetime > config.Infinite || p.ValidLifetime%time.Second != 0 {
				t.Errorf("%s: prefix %v lifetimes %v/%v", ifc.Name, p.Prefix, p.ValidLifetime, p.PreferredLifetime)
			}
			if p.Autonomous && p.Prefix.Bits() != 64 || p.Prefix.Masked() != p.Prefix || !p.Prefix.Addr().Is6() {
				t.Errorf("%s: bad prefix %v", ifc.Name, p.Prefix)
			}
		}
		for _, r := range ifc.Routes {
			if r.Lifetime > config.Infinite || r.Lifetime%time.Second != 0 || r.Prefix.Masked() != r.Prefix {
				t.Errorf("%s: bad route %+v", ifc.Name, r)
			}
		}
		for _, r := range ifc.RDNSS {
			if len(r.Servers) == 0 || 8+16*len(r.Servers) >= 256 {
				t.Errorf("%s: RDNSS with %d servers", ifc.Name, len(r.Servers))
			}
			if r.Lifetime != 0 && r.Lifetime < maxInt || r.Lifetime > config.Infinite || r.Lifetime%time.Second != 0 {
				t.Errorf("%s: RDNSS lifetime %v", ifc.Name, r.Lifetime)
			}
			for _, a := range r.Servers {
				if !a.Is6() || a.Is4In6() || a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() || a.Zone() != "" {
					t.Errorf("%s: RDNSS server %v", ifc.Name, a)
				}
			}
		}
		for _, d := range ifc.DNSSL {
			n := 0
			for _, name := range d.Domains {
				n += len(name) + 2
				if name == "" || name[len(name)-1] == '.' || len(name) > 253 {
					t.Errorf("%s: DNSSL name %q", ifc.Name, name)
				}
			}
			if n == 0 || 8+(n+7)/8*8 >= 256 {
				t.Errorf("%s: DNSSL option of %d name bytes", ifc.Name, n)
			}
			if d.Lifetime != 0 && d.Lifetime < maxInt || d.Lifetime > config.Infinite || d.Lifetime%time.Second != 0 {
				t.Errorf("%s: DNSSL lifetime %v", ifc.Name, d.Lifetime)
			}
		}
		for _, p := range ifc.PREF64 {
			if p.Lifetime > config.MaxPREF64Lifetime || p.Lifetime%(8*time.Second) != 0 {
				t.Errorf("%s: PREF64 lifetime %v", ifc.Name, p.Lifetime)
			}
			switch p.Prefix.Bits() {
			case 96, 64, 56, 48, 40, 32:
			default:
				t.Errorf("%s: PREF64 prefix %v", ifc.Name, p.Prefix)
			}
		}
		if len(ifc.CaptivePortal) > 246 {
			t.Errorf("%s: captive portal of %d bytes", ifc.Name, len(ifc.CaptivePortal))
		}
		d := ifc.DHCPv6
		if d.RatePerClient <= 0 || d.BurstPerClient < 1 {
			t.Errorf("%s: DHCPv6 rate %v burst %d", ifc.Name, d.RatePerClient, d.BurstPerClient)
		}
		switch d.DUID.Type {
		case config.DUIDLL, config.DUIDLLT, config.DUIDEN, config.DUIDUUID:
		default:
			t.Errorf("%s: DUID type %q", ifc.Name, d.DUID.Type)
		}
		if r := ifc.DNSResponder; r.Enabled {
			if len(r.Addresses) == 0 || r.Port == 0 {
				t.Errorf("%s: DNS responder on %v port %d", ifc.Name, r.Addresses, r.Port)
			}
			for _, a := range r.Addresses {
				if !a.Is6() || a.Is4In6() || a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() || a.Zone() != "" {
					t.Errorf("%s: DNS responder address %v", ifc.Name, a)
				}
			}
			// The responder must load what the configuration accepted.
			if _, err := dnsresponder.NewHandler(r.HandlerConfig()); err != nil {
				t.Errorf("%s: DNS responder zone does not load: %v", ifc.Name, err)
			}
		}
	}
}
