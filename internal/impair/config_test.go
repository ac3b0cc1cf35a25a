package impair_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/impair"
)

// labIfc is a configuration like configs/lab.toml with 4 s RAs.
func labIfc() config.Interface {
	a := netip.MustParseAddr
	return config.Interface{
		Name: "lab0", OtherConfig: true, HopLimit: 64, RouterLifetime: 1800 * time.Second,
		MinInterval: 3 * time.Second, MaxInterval: 4 * time.Second, SourceLLA: true,
		Prefixes: []config.Prefix{{Prefix: netip.MustParsePrefix("2001:db8:1::/64"), OnLink: true, Autonomous: true,
			ValidLifetime: time.Hour, PreferredLifetime: time.Hour}},
		RDNSS:  []config.RDNSS{{Servers: []netip.Addr{a("2001:db8:1::53"), a("2001:db8:1::54")}, Lifetime: 12 * time.Second}},
		DNSSL:  []config.DNSSL{{Domains: []string{"lab.example"}, Lifetime: 12 * time.Second}},
		PREF64: []config.PREF64{{Prefix: netip.MustParsePrefix("64:ff9b::/96"), Lifetime: 16 * time.Second}},
		DHCPv6: config.DHCPv6{Enabled: true, DNSServers: []netip.Addr{a("2001:db8:1::53"), a("2001:db8:1::54")},
			Domains: []string{"lab.example"}},
	}
}

// view is the part of a configuration impairments change.
type view struct {
	O, DHCPv6      bool
	RouterLifetime time.Duration
	RDNSS          []config.RDNSS
	DNSSL          []config.DNSSL
	PREF64         []config.PREF64
	DHCPv6DNS      []netip.Addr
	DHCPv6Domains  []string
}

func viewOf(ifc config.Interface, d config.DHCPv6) view {
	return view{O: ifc.OtherConfig, DHCPv6: d.Enabled, RouterLifetime: ifc.RouterLifetime, RDNSS: ifc.RDNSS,
		DNSSL: ifc.DNSSL, PREF64: ifc.PREF64, DHCPv6DNS: d.DNSServers, DHCPv6Domains: d.Domains}
}

func TestConfigFor(t *testing.T) {
	a := netip.MustParseAddr
	base := labIfc()
	normal := viewOf(base, base.DHCPv6)
	with := func(f func(v *view)) view {
		v := viewOf(labIfc(), labIfc().DHCPv6)
		f(&v)
		return v
	}
	tests := []struct {
		name  string
		table map[string]any
		// at are the offsets of successive RAs; want is the view of each.
		at   []time.Duration
		want []view
	}{
		{
			name:  "rdnss lifetime",
			table: map[string]any{"type": "rdnss-lifetime", "lifetime": "3s"},
			at:    []time.Duration{0},
			want: []view{with(func(v *view) {
				v.RDNSS = []config.RDNSS{{Servers: base.RDNSS[0].Servers, Lifetime: 3 * time.Second}}
			})},
		},
		{
			name:  "rdnss omitted every 2nd RA",
			table: map[string]any{"type": "rdnss-omit", "mode": "every", "every": int64(2)},
			at:    []time.Duration{0, 4 * time.Second, 8 * time.Second, 12 * time.Second},
			want:  []view{normal, with(func(v *view) { v.RDNSS = nil }), normal, with(func(v *view) { v.RDNSS = nil })},
		},
		{
			name:  "rdnss and dnssl omitted after 10s",
			table: map[string]any{"type": "rdnss-omit", "mode": "after", "after": "10s", "dnssl": true},
			at:    []time.Duration{0, 8 * time.Second, 10 * time.Second},
			want:  []view{normal, normal, with(func(v *view) { v.RDNSS, v.DNSSL = nil, nil })},
		},
		{
			name:  "rdnss always omitted",
			table: map[string]any{"type": "rdnss-omit"},
			at:    []time.Duration{0},
			want:  []view{with(func(v *view) { v.RDNSS = nil })},
		},
		{
			name:  "router lifetime zero",
			table: map[string]any{"type": "router-lifetime-zero"},
			at:    []time.Duration{0},
			want:  []view{with(func(v *view) { v.RouterLifetime = 0 })},
		},
		{
			name:  "router lifetime short",
			table: map[string]any{"type": "router-lifetime-short", "lifetime": "150s"},
			at:    []time.Duration{0},
			want:  []view{with(func(v *view) { v.RouterLifetime = 150 * time.Second })},
		},
		{
			name:  "dhcpv6 absent",
			table: map[string]any{"type": "dhcpv6-absent"},
			at:    []time.Duration{0},
			want:  []view{with(func(v *view) { v.DHCPv6 = false })},
		},
		{
			name:  "dns only via dhcpv6",
			table: map[string]any{"type": "dns-only-dhcpv6"},
			at:    []time.Duration{0},
			want:  []view{with(func(v *view) { v.RDNSS, v.DNSSL = nil, nil })},
		},
		{
			name:  "dns only via rdnss",
			table: map[string]any{"type": "dns-only-rdnss"},
			at:    []time.Duration{0},
			want:  []view{with(func(v *view) { v.DHCPv6DNS, v.DHCPv6Domains = nil, nil })},
		},
		{
			name:  "link-local rdnss",
			table: map[string]any{"type": "rdnss-link-local"},
			at:    []time.Duration{0},
			want: []view{with(func(v *view) {
				v.RDNSS = []config.RDNSS{{Servers: []netip.Addr{a("fe80::53")}, Lifetime: 12 * time.Second}}
			})},
		},
		{
			name:  "link-local rdnss first",
			table: map[string]any{"type": "rdnss-link-local", "address": "fe80::1", "replace": false},
			at:    []time.Duration{0},
			want: []view{with(func(v *view) {
				v.RDNSS = []config.RDNSS{{Servers: []netip.Addr{a("fe80::1"), a("2001:db8:1::53"), a("2001:db8:1::54")}, Lifetime: 12 * time.Second}}
			})},
		},
		{
			name:  "many servers",
			table: map[string]any{"type": "dns-servers-many", "count": int64(5), "servers": []any{"2001:db8:2::53"}},
			at:    []time.Duration{0},
			want: []view{with(func(v *view) {
				five := []netip.Addr{a("2001:db8:1::53"), a("2001:db8:1::54"), a("2001:db8:2::53"), a("2001:db8:2::54"), a("2001:db8:2::55")}
				v.RDNSS = []config.RDNSS{{Servers: five, Lifetime: 12 * time.Second}}
				v.DHCPv6DNS = five
			})},
		},
		{
			name:  "pref64 short",
			table: map[string]any{"type": "pref64", "lifetime": "8s"},
			at:    []time.Duration{0},
			want: []view{with(func(v *view) {
				v.PREF64 = []config.PREF64{{Prefix: base.PREF64[0].Prefix, Lifetime: 8 * time.Second}}
			})},
		},
		{
			name:  "pref64 withdrawn",
			table: map[string]any{"type": "pref64", "mode": "withdraw"},
			at:    []time.Duration{0},
			want: []view{with(func(v *view) {
				v.PREF64 = []config.PREF64{{Prefix: base.PREF64[0].Prefix, Lifetime: 0}}
			})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := impair.NewSet(t0, nil, spec(t, "x", tt.table))
			in := labIfc()
			var got []view
			for _, at := range tt.at {
				ifc, _ := set.ConfigFor(t0.Add(at), in)
				d, _ := set.DHCPv6ConfigFor(t0.Add(at), in)
				got = append(got, viewOf(ifc, d))
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y }),
				cmp.Comparer(func(x, y netip.Prefix) bool { return x == y })); diff != "" {
				t.Errorf("configurations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(viewOf(labIfc(), labIfc().DHCPv6), viewOf(in, in.DHCPv6),
				cmp.Comparer(func(x, y netip.Addr) bool { return x == y }),
				cmp.Comparer(func(x, y netip.Prefix) bool { return x == y })); diff != "" {
				t.Errorf("input changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDHCPv6(t *testing.T) {
	peer := netip.MustParseAddr("fe80::2")
	tests := []struct {
		name  string
		table map[string]any
		// requests and replies count the decisions of 100 of each.
		wantReqDrop, wantRepDrop, wantRepDelay int
		delay                                  time.Duration
	}{
		{name: "reply drop", table: map[string]any{"type": "dhcpv6-drop"}, wantRepDrop: 100},
		{name: "request drop", table: map[string]any{"type": "dhcpv6-drop", "direction": "request"}, wantReqDrop: 100},
		{name: "both", table: map[string]any{"type": "dhcpv6-drop", "direction": "both"}, wantReqDrop: 100, wantRepDrop: 100},
		{name: "none", table: map[string]any{"type": "dhcpv6-drop", "probability": 0.0}},
		// The seeded source (PCG 1, 1) drops this many of 100 Replies at
		// p = 0.3; the number only changes if math/rand/v2's PCG does.
		{name: "fraction", table: map[string]any{"type": "dhcpv6-drop", "probability": 0.3}, wantRepDrop: 31},
		{name: "delay", table: map[string]any{"type": "dhcpv6-drop", "action": "delay", "delay": "3s"},
			wantRepDelay: 100, delay: 3 * time.Second},
		{name: "absent", table: map[string]any{"type": "dhcpv6-absent"}, wantReqDrop: 100, wantRepDrop: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := impair.NewSet(t0, nil, spec(t, "x", tt.table))
			var req, rep, delayed int
			for i := range 100 {
				now := t0.Add(time.Duration(i) * time.Second)
				if d := set.DHCPv6Request(now, peer); d.Drop {
					req++
				}
				d := set.DHCPv6Reply(now, peer)
				if d.Drop {
					rep++
				}
				if d.Delay > 0 {
					delayed++
					if d.Delay != tt.delay {
						t.Fatalf("delay %v, want %v", d.Delay, tt.delay)
					}
				}
				if (d.Drop || d.Delay > 0) != (len(d.Effects) > 0) {
					t.Fatalf("decision %+v has effects %v", d, d.Effects)
				}
			}
			if diff := cmp.Diff([]int{tt.wantReqDrop, tt.wantRepDrop, tt.wantRepDelay}, []int{req, rep, delayed}); diff != "" {
				t.Errorf("requests dropped, replies dropped, replies delayed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecondRouter(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		name      string
		table     map[string]any
		wantRDNSS []config.RDNSS
		wantRL    time.Duration
	}{
		{
			name:      "conflicting",
			table:     map[string]any{"type": "second-router"},
			wantRDNSS: []config.RDNSS{{Servers: []netip.Addr{a("2001:db8:ffff::53")}, Lifetime: 12 * time.Second}},
			wantRL:    1800 * time.Second,
		},
		{
			name:  "withdraw",
			table: map[string]any{"type": "second-router", "mode": "withdraw", "router_lifetime": "0s"},
			wantRDNSS: []config.RDNSS{{Servers: []netip.Addr{a("2001:db8:1::53"), a("2001:db8:1::54")},
				Lifetime: 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := impair.NewSet(t0, nil, spec(t, "x", tt.table))
			r, ok := set.SecondRouter(labIfc())
			if !ok {
				t.Fatal("no second router")
			}
			if diff := cmp.Diff(tt.wantRDNSS, r.Config.RDNSS, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
				t.Errorf("RDNSS (-want +got):\n%s", diff)
			}
			if r.Config.RouterLifetime != tt.wantRL || r.Config.DHCPv6.Enabled {
				t.Errorf("router lifetime %v, DHCPv6 %v", r.Config.RouterLifetime, r.Config.DHCPv6.Enabled)
			}
			if diff := cmp.Diff("fe80::ff:fe00:5302", r.LinkLocal.String()); diff != "" {
				t.Errorf("link-local (-want +got):\n%s", diff)
			}
		})
	}
	if _, ok := impair.NewSet(t0, nil).SecondRouter(labIfc()); ok {
		t.Error("empty set has a second router")
	}
	if got := impair.LinkLocal(net.HardwareAddr{0, 0x11, 0x22, 0x33, 0x44, 0x55}).String(); got != "fe80::211:22ff:fe33:4455" {
		t.Errorf("LinkLocal = %s", got)
	}
}
