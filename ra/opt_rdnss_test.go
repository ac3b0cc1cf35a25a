package ra

import (
	"net/netip"
	"testing"

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
