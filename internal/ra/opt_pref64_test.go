package ra

import (
	"testing"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

func TestPREF64RoundTrip(t *testing.T) {
	wkp := config.PREF64{Prefix: pfx("64:ff9b::/96"), Lifetime: sec(65528)}
	p48 := config.PREF64{Prefix: pfx("2001:db8:64::/48"), Lifetime: sec(600)}
	p32 := config.PREF64{Prefix: pfx("2001:db8::/32")}
	testRoundTrip(t, pref64Option{}, []optionTest{
		{name: "none", ifc: config.Interface{}},
		{
			name: "maximum lifetime, /48, withdrawn /32",
			ifc:  config.Interface{PREF64: []config.PREF64{wkp, p48, p32}},
			want: []Option{
				{Type: TypePREF64, Length: 2, PREF64: &wkp},
				{Type: TypePREF64, Length: 2, PREF64: &p48},
				{Type: TypePREF64, Length: 2, PREF64: &p32},
			},
			wire: "26 02 fff8 0064ff9b 00000000 00000000" +
				"26 02 025b 20010db8 00640000 00000000" +
				"26 02 0005 20010db8 00000000 00000000",
			describe: []string{
				"64:ff9b::/96 lifetime 65528s (18h12m8s)",
				"2001:db8:64::/48 lifetime 600s (10m0s)",
				"2001:db8::/32 lifetime 0 (withdrawn)",
			},
		},
	})
}

// TestPREF64NDPBugs: ndp v1.1.0 wraps the scaled lifetime silently, which
// is why pref64Option encodes the option itself; the wire check must catch
// it.
func TestPREF64NDPBugs(t *testing.T) {
	one := config.Interface{PREF64: []config.PREF64{{Prefix: pfx("64:ff9b::/96"), Lifetime: sec(8)}}}
	testNDPBugs(t, []ndpBugTest{
		{
			name:  "PREF64 524288 s wraps to 0",
			ifc:   one,
			edit:  func(w *Message) { w.Options[0].PREF64.Lifetime = sec(524288) },
			build: func() ndp.Option { return &ndp.PREF64{Prefix: pfx("64:ff9b::/96"), Lifetime: sec(524288)} },
			field: "option 1 (PREF64) lifetime: config has 145h38m8s, wire has 0s",
		},
		{
			name:  "PREF64 infinity wraps to 0",
			ifc:   one,
			edit:  func(w *Message) { w.Options[0].PREF64.Lifetime = ndp.Infinity },
			build: func() ndp.Option { return &ndp.PREF64{Prefix: pfx("64:ff9b::/96"), Lifetime: ndp.Infinity} },
			field: "option 1 (PREF64) lifetime",
		},
	})
}

func TestPREF64Errors(t *testing.T) {
	withPREF64 := func(p config.PREF64) config.Interface { return config.Interface{PREF64: []config.PREF64{p}} }
	testBuildErrors(t, []buildErrorTest{
		{name: "PREF64 65536 s", ifc: withPREF64(config.PREF64{Prefix: pfx("64:ff9b::/96"), Lifetime: sec(65536)}), want: "above the maximum 18h12m8s"},
		{name: "PREF64 524288 s (wraps to 0 in ndp)", ifc: withPREF64(config.PREF64{Prefix: pfx("64:ff9b::/96"), Lifetime: sec(524288)}), want: "above the maximum"},
		{name: "PREF64 infinite (encodes 0 in ndp)", ifc: withPREF64(config.PREF64{Prefix: pfx("64:ff9b::/96"), Lifetime: config.Infinite}), want: "PREF64 64:ff9b::/96 lifetime"},
		{name: "PREF64 not a multiple of 8 s", ifc: withPREF64(config.PREF64{Prefix: pfx("64:ff9b::/96"), Lifetime: sec(601)}), want: "whole number of 8s"},
		{name: "PREF64 /60", ifc: withPREF64(config.PREF64{Prefix: pfx("2001:db8::/60"), Lifetime: sec(600)}), want: "/60 is not one of"},
	})
}

func TestPREF64Decode(t *testing.T) {
	testDecode(t, []decodeTest{
		{
			name: "PREF64",
			b:    hdr + "26 02 fff8 0064ff9b 00000000 00000000",
			want: withOptions(Option{Type: 38, Length: 2, PREF64: &config.PREF64{Prefix: pfx("64:ff9b::/96"), Lifetime: sec(65528)}}),
		},
		{
			name: "PREF64 with PLC 7",
			b:    hdr + "26 02 0007 0064ff9b 00000000 00000000",
			want: withOptions(Option{Type: 38, Length: 2, Err: ErrMalformed, PREF64: &config.PREF64{}}),
		},
		{
			name: "PREF64 of length 3",
			b:    hdr + "26 03 fff8 0064ff9b 00000000 00000000 0000000000000000",
			want: withOptions(Option{Type: 38, Length: 3, Err: ErrMalformed}),
		},
	})
}

func TestPREF64Build(t *testing.T) {
	testBuildOptions(t, []buildOptionsTest{
		{
			name: "PREF64 65528 s is scaled lifetime 8191",
			ifc:  config.Interface{PREF64: []config.PREF64{{Prefix: pfx("64:ff9b::/96"), Lifetime: sec(65528)}}},
			want: "26 02 fff8 0064ff9b 00000000 00000000",
		},
		{
			name: "PREF64 /48 600 s",
			ifc:  config.Interface{PREF64: []config.PREF64{{Prefix: pfx("2001:db8:64::/48"), Lifetime: sec(600)}}},
			want: "26 02 025b 20010db8 00640000 00000000",
		},
		{
			name: "PREF64 /32 withdrawn",
			ifc:  config.Interface{PREF64: []config.PREF64{{Prefix: pfx("2001:db8::/32")}}},
			want: "26 02 0005 20010db8 00000000 00000000",
		},
	})
}
