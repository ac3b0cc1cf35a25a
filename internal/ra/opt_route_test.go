package ra

import (
	"testing"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

func TestRouteRoundTrip(t *testing.T) {
	def := config.Route{Prefix: pfx("::/0"), Lifetime: sec(1800)}
	r60 := config.Route{Prefix: pfx("2001:db8:ff:f0::/60"), Preference: config.Low, Lifetime: config.Infinite}
	host := config.Route{Prefix: pfx("2001:db8::1/128"), Preference: config.High, Lifetime: sec(45)}
	testRoundTrip(t, routeOption{}, []optionTest{
		{name: "none", ifc: config.Interface{}},
		{
			name: "lengths 1, 2 and 3",
			ifc:  config.Interface{Routes: []config.Route{def, r60, host}},
			want: []Option{
				{Type: TypeRouteInformation, Length: 1, Route: &def},
				{Type: TypeRouteInformation, Length: 2, Route: &r60},
				{Type: TypeRouteInformation, Length: 3, Route: &host},
			},
			wire: "18 01 00 00 00000708" +
				"18 02 3c 18 ffffffff 20010db800ff00f0" +
				"18 03 80 08 0000002d 20010db8000000000000000000000001",
			describe: []string{
				"::/0 preference medium lifetime 1800s (30m0s)",
				"2001:db8:ff:f0::/60 preference low lifetime infinite",
				"2001:db8::1/128 preference high lifetime 45s",
			},
		},
	})
}

// TestRouteNDPBugs: ndp v1.1.0 encodes routes itself when asked; the wire
// check must catch any difference from the configuration.
func TestRouteNDPBugs(t *testing.T) {
	testNDPBugs(t, []ndpBugTest{{
		name: "route lifetime changed",
		ifc:  config.Interface{Routes: []config.Route{{Prefix: pfx("2001:db8::/48"), Lifetime: sec(60)}}},
		build: func() ndp.Option {
			return &ndp.RouteInformation{PrefixLength: 48, Prefix: addr("2001:db8::"), RouteLifetime: sec(61)}
		},
		field: "option 1 (route information) lifetime: config has 1m0s, wire has 1m1s",
	}})
}

func TestRouteErrors(t *testing.T) {
	testBuildErrors(t, []buildErrorTest{
		{name: "route with host bits", ifc: config.Interface{Routes: []config.Route{{Prefix: pfx("2001:db8:ff:f8::/60")}}}, want: "did you mean 2001:db8:ff:f0::/60"},
		{name: "route bad preference", ifc: config.Interface{Routes: []config.Route{{Prefix: pfx("::/0"), Preference: -1}}}, want: "preference -1"},
	})
}

func TestRouteDecode(t *testing.T) {
	testDecode(t, []decodeTest{
		{
			name: "route /60",
			b:    hdr + "18 02 3c 08 00000708 20010db800ff00f0",
			want: withOptions(Option{Type: 24, Length: 2, Route: &config.Route{Prefix: pfx("2001:db8:ff:f0::/60"), Preference: config.High, Lifetime: sec(1800)}}),
		},
		{
			name: "route /48 in length 3 is allowed",
			b:    hdr + "18 03 30 18 00000708 20010db8000100000000000000000000",
			want: withOptions(Option{Type: 24, Length: 3, Route: &config.Route{Prefix: pfx("2001:db8:1::/48"), Preference: config.Low, Lifetime: sec(1800)}}),
		},
		{
			name: "route with bits beyond its length",
			b:    hdr + "18 02 3c 00 00000708 20010db800ff00ff",
			want: withOptions(Option{Type: 24, Length: 2, Err: ErrMalformed, Route: &config.Route{Prefix: pfx("2001:db8:ff:ff::/60"), Lifetime: sec(1800)}}),
		},
		{
			name: "route /65 in length 2",
			b:    hdr + "18 02 41 00 00000708 20010db800000000",
			want: withOptions(Option{Type: 24, Length: 2, Err: ErrMalformed, Route: &config.Route{Prefix: pfx("2001:db8::/65"), Lifetime: sec(1800)}}),
		},
		{
			name: "route /1 in length 1",
			b:    hdr + "18 01 01 00 00000708",
			want: withOptions(Option{Type: 24, Length: 1, Err: ErrMalformed, Route: &config.Route{Prefix: pfx("::/1"), Lifetime: sec(1800)}}),
		},
		{
			name: "route with reserved preference",
			b:    hdr + "18 01 00 10 00000708",
			want: withOptions(Option{Type: 24, Length: 1, Err: ErrMalformed, Route: &config.Route{Prefix: pfx("::/0"), Lifetime: sec(1800)}}),
		},
	})
}

func TestRouteBuild(t *testing.T) {
	testBuildOptions(t, []buildOptionsTest{
		{
			name: "route /60 keeps its 4 bits past the byte boundary",
			ifc:  config.Interface{Routes: []config.Route{{Prefix: pfx("2001:db8:ff:f0::/60"), Preference: config.Low, Lifetime: config.Infinite}}},
			want: "18 02 3c 18 ffffffff 20010db800ff00f0",
		},
		{
			name: "route /0 has length 1 and no prefix bytes",
			ifc:  config.Interface{Routes: []config.Route{{Prefix: pfx("::/0"), Lifetime: sec(1800)}}},
			want: "18 01 00 00 00000708",
		},
		{
			name: "route /128 has length 3",
			ifc:  config.Interface{Routes: []config.Route{{Prefix: pfx("2001:db8::1/128"), Preference: config.High, Lifetime: sec(600)}}},
			want: "18 03 80 08 00000258 20010db8000000000000000000000001",
		},
		{
			name: "route /65 has length 3",
			ifc:  config.Interface{Routes: []config.Route{{Prefix: pfx("2001:db8:5:0:8000::/65"), Lifetime: 0}}},
			want: "18 03 41 00 00000000 20010db8000500008000000000000000",
		},
	})
}
