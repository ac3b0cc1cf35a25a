package ra

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/ralab/ralab/internal/config"
)

func TestRDNSSRoundTrip(t *testing.T) {
	two := config.RDNSS{Servers: []netip.Addr{addr("2001:db8::53"), addr("fe80::53")}, Lifetime: sec(1800)}
	infinite := config.RDNSS{Servers: []netip.Addr{addr("2001:db8::54")}, Lifetime: config.Infinite}
	testRoundTrip(t, rdnssOption{}, []optionTest{
		{name: "none", ifc: config.Interface{}},
		{
			name: "two options",
			ifc:  config.Interface{RDNSS: []config.RDNSS{two, infinite}},
			want: []Option{
				{Type: TypeRDNSS, Length: 5, RDNSS: &two},
				{Type: TypeRDNSS, Length: 3, RDNSS: &infinite},
			},
			wire: "19 05 0000 00000708 20010db8000000000000000000000053 fe800000000000000000000000000053" +
				"19 03 0000 ffffffff 20010db8000000000000000000000054",
			describe: []string{
				"2001:db8::53 fe80::53 lifetime 1800s (30m0s)",
				"2001:db8::54 lifetime infinite",
			},
		},
	})
}

func TestRDNSSErrors(t *testing.T) {
	sixteen := make([]netip.Addr, 16)
	for i := range sixteen {
		sixteen[i] = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)})
	}
	withRDNSS := func(r config.RDNSS) config.Interface { return config.Interface{RDNSS: []config.RDNSS{r}} }
	server := []netip.Addr{addr("2001:db8::53")}
	testBuildErrors(t, []buildErrorTest{
		{name: "RDNSS with 16 servers", ifc: withRDNSS(config.RDNSS{Servers: sixteen, Lifetime: sec(600)}), want: "16 servers"},
		{name: "RDNSS without servers", ifc: withRDNSS(config.RDNSS{Lifetime: sec(600)}), want: "no servers"},
		{name: "RDNSS IPv4 server", ifc: withRDNSS(config.RDNSS{Servers: []netip.Addr{addr("192.0.2.53")}}), want: "not an IPv6 address"},
		{name: "RDNSS IPv4-mapped server", ifc: withRDNSS(config.RDNSS{Servers: []netip.Addr{addr("::ffff:192.0.2.53")}}), want: "not an IPv6 address"},
		{name: "RDNSS zoned server", ifc: withRDNSS(config.RDNSS{Servers: []netip.Addr{addr("fe80::53%eth0")}}), want: "zone"},
		{name: "RDNSS multicast server", ifc: withRDNSS(config.RDNSS{Servers: []netip.Addr{addr("ff02::1")}}), want: "multicast"},
		{name: "RDNSS lifetime above 32 bits", ifc: withRDNSS(config.RDNSS{Servers: server, Lifetime: config.Infinite + time.Second}), want: "RDNSS 1 lifetime"},
	})
}

func TestRDNSSDecode(t *testing.T) {
	testDecode(t, []decodeTest{
		{
			name: "RDNSS",
			b:    hdr + "19 05 0000 ffffffff 20010db8000000000000000000000053 20010db8000000000000000000000054",
			want: withOptions(Option{Type: 25, Length: 5, RDNSS: &config.RDNSS{Servers: []netip.Addr{addr("2001:db8::53"), addr("2001:db8::54")}, Lifetime: config.Infinite}}),
		},
		{
			name: "RDNSS of even length",
			b:    hdr + "19 02 0000 00000708 20010db800000000",
			want: withOptions(Option{Type: 25, Length: 2, Err: ErrMalformed}),
		},
	})
}

func TestRDNSSBuild(t *testing.T) {
	var fifteen []netip.Addr
	fifteenHex := "19 1f 0000 00000708"
	for i := range 15 {
		fifteen = append(fifteen, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)}))
		fifteenHex += fmt.Sprintf(" 20010db8 00000000 00000000 000000%02x", i+1)
	}

	testBuildOptions(t, []buildOptionsTest{
		{
			name: "RDNSS",
			ifc:  config.Interface{RDNSS: []config.RDNSS{{Servers: []netip.Addr{addr("2001:db8::53")}, Lifetime: sec(1800)}}},
			want: "19 03 0000 00000708 20010db8000000000000000000000053",
		},
		{
			name: "RDNSS with 15 servers, the most ndp encodes",
			ifc:  config.Interface{RDNSS: []config.RDNSS{{Servers: fifteen, Lifetime: sec(1800)}}},
			want: fifteenHex,
		},
		{
			name: "RDNSS infinite lifetime",
			ifc:  config.Interface{RDNSS: []config.RDNSS{{Servers: []netip.Addr{addr("fe80::1")}, Lifetime: config.Infinite}}},
			want: "19 03 0000 ffffffff fe800000000000000000000000000001",
		},
	})
}
