package ra

import (
	"testing"
	"time"

	"github.com/ralab/ralab/internal/config"
)

func TestPrefixRoundTrip(t *testing.T) {
	slaac := config.Prefix{Prefix: pfx("2001:db8:1::/64"), OnLink: true, Autonomous: true, ValidLifetime: sec(86400), PreferredLifetime: sec(14400)}
	onLink := config.Prefix{Prefix: pfx("2001:db8:2::/48"), OnLink: true, ValidLifetime: config.Infinite, PreferredLifetime: config.Infinite}
	withdrawn := config.Prefix{Prefix: pfx("2001:db8:3::/64"), Autonomous: true}
	testRoundTrip(t, prefixOption{}, []optionTest{
		{name: "none", ifc: config.Interface{}},
		{
			name: "SLAAC, on-link with infinite lifetimes, withdrawn",
			ifc:  config.Interface{Prefixes: []config.Prefix{slaac, onLink, withdrawn}},
			want: []Option{
				{Type: TypePrefixInformation, Length: 4, Prefix: &slaac},
				{Type: TypePrefixInformation, Length: 4, Prefix: &onLink},
				{Type: TypePrefixInformation, Length: 4, Prefix: &withdrawn},
			},
			wire: "03 04 40 c0 00015180 00003840 00000000 20010db8000100000000000000000000" +
				"03 04 30 80 ffffffff ffffffff 00000000 20010db8000200000000000000000000" +
				"03 04 40 40 00000000 00000000 00000000 20010db8000300000000000000000000",
			describe: []string{
				"2001:db8:1::/64 on-link yes autonomous yes valid 86400s (24h0m0s) preferred 14400s (4h0m0s)",
				"2001:db8:2::/48 on-link yes autonomous no valid infinite preferred infinite",
				"2001:db8:3::/64 on-link no autonomous yes valid 0 (withdrawn) preferred 0 (withdrawn)",
			},
		},
	})
}

func TestPrefixErrors(t *testing.T) {
	withPrefix := func(p config.Prefix) config.Interface { return config.Interface{Prefixes: []config.Prefix{p}} }
	testBuildErrors(t, []buildErrorTest{
		{name: "prefix with host bits", ifc: withPrefix(config.Prefix{Prefix: pfx("2001:db8::1/64")}), want: "did you mean 2001:db8::/64"},
		{name: "prefix IPv4", ifc: withPrefix(config.Prefix{Prefix: pfx("192.0.2.0/24")}), want: "not an IPv6 prefix"},
		{name: "prefix zero value", ifc: withPrefix(config.Prefix{}), want: "not an IPv6 prefix"},
		{name: "prefix preferred above valid", ifc: withPrefix(config.Prefix{Prefix: pfx("2001:db8::/64"), ValidLifetime: sec(60), PreferredLifetime: sec(61)}), want: "exceeds valid"},
		{name: "prefix lifetime above 32 bits", ifc: withPrefix(config.Prefix{Prefix: pfx("2001:db8::/64"), ValidLifetime: config.Infinite + time.Second}), want: "valid lifetime"},
	})
}

func TestPrefixDecode(t *testing.T) {
	testDecode(t, []decodeTest{
		{
			name: "prefix",
			b:    hdr + "03 04 40 c0 ffffffff 00003840 00000000 20010db8000100000000000000000000",
			want: withOptions(Option{Type: 3, Length: 4, Prefix: &config.Prefix{
				Prefix: pfx("2001:db8:1::/64"), OnLink: true, Autonomous: true,
				ValidLifetime: config.Infinite, PreferredLifetime: sec(14400),
			}}),
		},
		{
			name: "prefix of wrong length",
			b:    hdr + "03 03 40 c0 ffffffff 00003840 00000000 20010db800010000",
			want: withOptions(Option{Type: 3, Length: 3, Err: ErrMalformed}),
		},
		{
			name: "prefix length over 128",
			b:    hdr + "03 04 81 c0 ffffffff 00003840 00000000 20010db8000100000000000000000000",
			want: withOptions(Option{Type: 3, Length: 4, Err: ErrMalformed, Prefix: &config.Prefix{
				OnLink: true, Autonomous: true, ValidLifetime: config.Infinite, PreferredLifetime: sec(14400),
			}}),
		},
	})
}

func TestPrefixBuild(t *testing.T) {
	testBuildOptions(t, []buildOptionsTest{
		{
			name: "prefix",
			ifc: config.Interface{Prefixes: []config.Prefix{{
				Prefix: pfx("2001:db8:1::/64"), OnLink: true, Autonomous: true,
				ValidLifetime: sec(86400), PreferredLifetime: sec(14400),
			}}},
			want: "03 04 40 c0 00015180 00003840 00000000 20010db8000100000000000000000000",
		},
		{
			name: "prefix with infinite lifetimes encodes all ones",
			ifc: config.Interface{Prefixes: []config.Prefix{{
				Prefix: pfx("2001:db8:2::/64"), OnLink: true,
				ValidLifetime: config.Infinite, PreferredLifetime: config.Infinite,
			}}},
			want: "03 04 40 80 ffffffff ffffffff 00000000 20010db8000200000000000000000000",
		},
	})
}
