package ra

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
)

func TestFinal(t *testing.T) {
	tests := []struct {
		name string
		ifc  func() config.Interface
		want func() config.Interface
	}{
		{
			name: "router lifetime 0, routes withdrawn, DNS kept",
			ifc:  fullInterface,
			want: func() config.Interface {
				ifc := fullInterface()
				ifc.RouterLifetime = 0
				ifc.Preference = config.Medium
				ifc.Routes[0].Lifetime = 0
				return ifc
			},
		},
		{
			name: "withdraw on stop zeroes RDNSS, DNSSL and PREF64, keeps prefixes",
			ifc: func() config.Interface {
				ifc := fullInterface()
				ifc.WithdrawOnStop = true
				return ifc
			},
			want: func() config.Interface {
				ifc := fullInterface()
				ifc.WithdrawOnStop = true
				ifc.RouterLifetime = 0
				ifc.Preference = config.Medium
				ifc.Routes[0].Lifetime = 0
				ifc.RDNSS[0].Lifetime = 0
				ifc.DNSSL[0].Lifetime = 0
				ifc.PREF64[0].Lifetime = 0
				return ifc
			},
		},
		{
			name: "nothing advertised",
			ifc: func() config.Interface {
				return config.Interface{Name: "eth1", RouterLifetime: sec(600), WithdrawOnStop: true}
			},
			want: func() config.Interface { return config.Interface{Name: "eth1", WithdrawOnStop: true} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.ifc()
			got := Final(in)
			if diff := cmp.Diff(tt.want(), got, cmpOpts); diff != "" {
				t.Fatalf("unexpected final interface (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.ifc(), in, cmpOpts); diff != "" {
				t.Fatalf("Final changed its input (-want +got):\n%s", diff)
			}
			// The final RA must itself be sendable.
			if _, _, err := Build(got, testMAC); err != nil {
				t.Fatalf("Build(Final): %v", err)
			}
		})
	}
}

func TestWithdrawn(t *testing.T) {
	s1, s2, s3 := addr("2001:db8::1"), addr("2001:db8::2"), addr("2001:db8::3")
	p1 := config.Prefix{Prefix: pfx("2001:db8:1::/64"), OnLink: true, Autonomous: true, ValidLifetime: sec(86400), PreferredLifetime: sec(14400)}
	p2 := config.Prefix{Prefix: pfx("2001:db8:2::/64"), OnLink: true, Autonomous: true, ValidLifetime: sec(86400), PreferredLifetime: sec(14400)}
	r1 := config.Route{Prefix: pfx("2001:db8:f0::/44"), Preference: config.High, Lifetime: sec(1800)}
	r2 := config.Route{Prefix: pfx("::/0"), Lifetime: sec(1800)}
	n1 := config.PREF64{Prefix: pfx("64:ff9b::/96"), Lifetime: sec(1800)}
	n2 := config.PREF64{Prefix: pfx("2001:db8:64::/96"), Lifetime: sec(1800)}
	many := make([]netip.Addr, 20)
	for i := range many {
		many[i] = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 1, 15: byte(i)})
	}

	tests := []struct {
		name      string
		old, next config.Interface
		want      config.Interface
	}{
		{
			name: "nothing removed",
			old:  config.Interface{RDNSS: []config.RDNSS{{Servers: []netip.Addr{s1}, Lifetime: sec(60)}}},
			next: config.Interface{RDNSS: []config.RDNSS{{Servers: []netip.Addr{s1}, Lifetime: sec(600)}}},
			want: config.Interface{RDNSS: []config.RDNSS{{Servers: []netip.Addr{s1}, Lifetime: sec(600)}}},
		},
		{
			name: "removed RDNSS servers in one extra option at lifetime 0",
			old: config.Interface{RDNSS: []config.RDNSS{
				{Servers: []netip.Addr{s1, s2}, Lifetime: sec(600)},
				{Servers: []netip.Addr{s3}, Lifetime: sec(600)},
			}},
			next: config.Interface{RDNSS: []config.RDNSS{{Servers: []netip.Addr{s2}, Lifetime: sec(600)}}},
			want: config.Interface{RDNSS: []config.RDNSS{
				{Servers: []netip.Addr{s2}, Lifetime: sec(600)},
				{Servers: []netip.Addr{s1, s3}},
			}},
		},
		{
			name: "more than 15 removed servers are split",
			old:  config.Interface{RDNSS: []config.RDNSS{{Servers: many[:10], Lifetime: sec(600)}, {Servers: many[10:], Lifetime: sec(600)}}},
			want: config.Interface{RDNSS: []config.RDNSS{{Servers: many[:15]}, {Servers: many[15:]}}},
		},
		{
			name: "servers already at lifetime 0 are not repeated",
			old: config.Interface{RDNSS: []config.RDNSS{
				{Servers: []netip.Addr{s2}, Lifetime: sec(600)},
				{Servers: []netip.Addr{s1}},
			}},
			next: config.Interface{RDNSS: []config.RDNSS{{Servers: []netip.Addr{s2}, Lifetime: sec(600)}}},
			want: config.Interface{RDNSS: []config.RDNSS{{Servers: []netip.Addr{s2}, Lifetime: sec(600)}}},
		},
		{
			name: "removed DNSSL domains, case and trailing dot ignored",
			old:  config.Interface{DNSSL: []config.DNSSL{{Domains: []string{"a.example", "B.example.", "c.example"}, Lifetime: sec(600)}}},
			next: config.Interface{DNSSL: []config.DNSSL{{Domains: []string{"b.example"}, Lifetime: sec(600)}}},
			want: config.Interface{DNSSL: []config.DNSSL{
				{Domains: []string{"b.example"}, Lifetime: sec(600)},
				{Domains: []string{"a.example", "c.example"}},
			}},
		},
		{
			name: "removed prefix gets valid and preferred 0",
			old:  config.Interface{Prefixes: []config.Prefix{p1, p2}},
			next: config.Interface{Prefixes: []config.Prefix{p2}},
			want: config.Interface{Prefixes: []config.Prefix{p2, {Prefix: p1.Prefix, OnLink: true, Autonomous: true}}},
		},
		{
			name: "removed route and PREF64 get lifetime 0",
			old:  config.Interface{Routes: []config.Route{r1, r2}, PREF64: []config.PREF64{n1, n2}},
			next: config.Interface{Routes: []config.Route{r2}, PREF64: []config.PREF64{n2}},
			want: config.Interface{
				Routes: []config.Route{r2, {Prefix: r1.Prefix, Preference: config.High}},
				PREF64: []config.PREF64{n2, {Prefix: n1.Prefix}},
			},
		},
		{
			name: "captive portal cannot be withdrawn",
			old:  config.Interface{CaptivePortal: "https://portal.example/"},
			want: config.Interface{},
		},
		{
			name: "next's other settings are kept",
			old:  config.Interface{Prefixes: []config.Prefix{p1}},
			next: config.Interface{Name: "eth0", Managed: true, RouterLifetime: sec(1800), MTU: 1500},
			want: config.Interface{
				Name: "eth0", Managed: true, RouterLifetime: sec(1800), MTU: 1500,
				Prefixes: []config.Prefix{{Prefix: p1.Prefix, OnLink: true, Autonomous: true}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Withdrawn(tt.old, tt.next)
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Fatalf("unexpected interface (-want +got):\n%s", diff)
			}
			if _, _, err := Build(got, testMAC); err != nil {
				t.Fatalf("Build(Withdrawn): %v", err)
			}
			// Withdrawing again from the result repeats nothing.
			if diff := cmp.Diff(tt.next, Withdrawn(got, tt.next), cmpOpts); diff != "" {
				t.Fatalf("second reload repeats withdrawals (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithdrawnDoesNotAlias(t *testing.T) {
	next := fullInterface()
	got := Withdrawn(config.Interface{}, next)
	got.RDNSS[0].Servers[0] = addr("2001:db8::99")
	got.DNSSL[0].Domains[0] = "changed.example"
	if diff := cmp.Diff(fullInterface(), next, cmpOpts); diff != "" {
		t.Fatalf("Withdrawn's result aliases next (-want +got):\n%s", diff)
	}
}

func TestDNSSLChunks(t *testing.T) {
	long := make([]string, 0, 12)
	for i := range 12 {
		long = append(long, string(rune('a'+i))+"2345678901234567890.example")
	}
	got := dnsslChunks(long)
	if len(got) < 2 {
		t.Fatalf("got %d options, want the 12 names split", len(got))
	}
	var all []string
	for _, d := range got {
		all = append(all, d.Domains...)
	}
	if diff := cmp.Diff(long, all); diff != "" {
		t.Fatalf("names lost or reordered (-want +got):\n%s", diff)
	}
	if _, _, err := Build(config.Interface{DNSSL: got}, nil); err != nil {
		t.Fatalf("Build: %v", err)
	}
}
