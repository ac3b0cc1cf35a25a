package ra

import (
	"strings"
	"testing"

	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/config"
)

func TestDNSSLRoundTrip(t *testing.T) {
	two := config.DNSSL{Domains: []string{"lab.example", "example.com"}, Lifetime: sec(1800)}
	asWritten := config.DNSSL{Domains: []string{"Lab.Example", "_srv.example", "xn--zz"}, Lifetime: config.Infinite}
	testRoundTrip(t, dnsslOption{}, []optionTest{
		{name: "none", ifc: config.Interface{}},
		{
			name:     "two names",
			ifc:      config.Interface{DNSSL: []config.DNSSL{two}},
			want:     []Option{{Type: TypeDNSSL, Length: 5, DNSSL: &two}},
			wire:     "1f 05 0000 00000708 036c6162 076578616d706c65 00 076578616d706c65 03636f6d 00 000000000000",
			describe: []string{"lab.example example.com lifetime 1800s (30m0s)"},
		},
		{
			name:     "trailing dots are dropped",
			ifc:      config.Interface{DNSSL: []config.DNSSL{{Domains: []string{"lab.example.", "example.com."}, Lifetime: sec(1800)}}},
			want:     []Option{{Type: TypeDNSSL, Length: 5, DNSSL: &two}},
			wire:     "1f 05 0000 00000708 036c6162 076578616d706c65 00 076578616d706c65 03636f6d 00 000000000000",
			describe: []string{"lab.example example.com lifetime 1800s (30m0s)"},
		},
		{
			name:     "names go out as written, without IDNA processing",
			ifc:      config.Interface{DNSSL: []config.DNSSL{asWritten}},
			want:     []Option{{Type: TypeDNSSL, Length: 6, DNSSL: &asWritten}},
			wire:     "1f 06 0000 ffffffff 034c6162 074578616d706c65 00 045f737276 076578616d706c65 00 06786e2d2d7a7a 00 0000000000",
			describe: []string{"Lab.Example _srv.example xn--zz lifetime infinite"},
		},
	})
}

// TestDNSSLNDPBugs: ndp v1.1.0 turns a trailing dot into an empty label
// that swallows the next name, which is why dnsslOption encodes the
// option itself; the wire check must catch it.
func TestDNSSLNDPBugs(t *testing.T) {
	testNDPBugs(t, []ndpBugTest{{
		name: "DNSSL trailing dot loses the next name",
		ifc:  config.Interface{DNSSL: []config.DNSSL{{Domains: []string{"lab.example", "example.com"}, Lifetime: sec(60)}}},
		build: func() ndp.Option {
			return &ndp.DNSSearchList{DomainNames: []string{"lab.example.", "example.com"}, Lifetime: sec(60)}
		},
		field: "option 1: malformed: option 31: non-zero byte after the padding started",
	}})
}

func TestDNSSLErrors(t *testing.T) {
	long := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60)
	withDomains := func(d ...string) config.Interface {
		return config.Interface{DNSSL: []config.DNSSL{{Domains: d, Lifetime: sec(600)}}}
	}
	testBuildErrors(t, []buildErrorTest{
		{name: "DNSSL without domains", ifc: config.Interface{DNSSL: []config.DNSSL{{Lifetime: sec(60)}}}, want: "no domains"},
		{name: "DNSSL empty name", ifc: withDomains("."), want: "empty"},
		{name: "DNSSL empty label", ifc: withDomains("lab..example"), want: "label of 0 bytes"},
		{name: "DNSSL label over 63", ifc: withDomains(strings.Repeat("x", 64) + ".example"), want: "label of 64 bytes"},
		{name: "DNSSL name over 255", ifc: withDomains(long + "." + long), want: "more than 255"},
		{name: "DNSSL space", ifc: withDomains("lab example"), want: "byte 0x20"},
		{name: "DNSSL unicode", ifc: withDomains("bücher.example"), want: "A-labels"},
		{name: "DNSSL option over 248 bytes", ifc: withDomains(long, "x"+long), want: "cannot encode options over 248 bytes"},
	})
}

func TestDNSSLDecode(t *testing.T) {
	testDecode(t, []decodeTest{
		{
			name: "DNSSL",
			b:    hdr + "1f 05 0000 00000708 036c6162 076578616d706c65 00 076578616d706c65 03636f6d 00 000000000000",
			want: withOptions(Option{Type: 31, Length: 5, DNSSL: &config.DNSSL{Domains: []string{"lab.example", "example.com"}, Lifetime: sec(1800)}}),
		},
		{
			name: "DNSSL as ndp encodes a trailing dot",
			b:    hdr + "1f 05 0000 00000708 036c6162 076578616d706c65 00 00 076578616d706c65 03636f6d 00 0000000000",
			want: withOptions(Option{Type: 31, Length: 5, Err: ErrMalformed, DNSSL: &config.DNSSL{Domains: []string{"lab.example"}, Lifetime: sec(1800)}}),
		},
		{
			name: "DNSSL compression pointer",
			b:    hdr + "1f 02 0000 00000708 036c6162 c00c0000",
			want: withOptions(Option{Type: 31, Length: 2, Err: ErrMalformed, DNSSL: &config.DNSSL{Lifetime: sec(1800)}}),
		},
		{
			name: "DNSSL label past the end",
			b:    hdr + "1f 02 0000 00000708 0a6c6162 00000000",
			want: withOptions(Option{Type: 31, Length: 2, Err: ErrMalformed, DNSSL: &config.DNSSL{Lifetime: sec(1800)}}),
		},
		{
			name: "DNSSL name not terminated",
			b:    hdr + "1f 02 0000 00000708 036c6162 01610161",
			want: withOptions(Option{Type: 31, Length: 2, Err: ErrMalformed, DNSSL: &config.DNSSL{Lifetime: sec(1800)}}),
		},
		{
			name: "DNSSL of length 1",
			b:    hdr + "1f 01 0000 00000708",
			want: withOptions(Option{Type: 31, Length: 1, Err: ErrMalformed}),
		},
	})
}

func TestDNSSLBuild(t *testing.T) {
	testBuildOptions(t, []buildOptionsTest{
		{
			name: "DNSSL",
			ifc:  config.Interface{DNSSL: []config.DNSSL{{Domains: []string{"lab.example", "example.com"}, Lifetime: sec(1800)}}},
			want: "1f 05 0000 00000708 036c6162 076578616d706c65 00 076578616d706c65 03636f6d 00 000000000000",
		},
		{
			name: "DNSSL trailing dots are dropped, not sent as an empty label",
			ifc:  config.Interface{DNSSL: []config.DNSSL{{Domains: []string{"lab.example.", "example.com."}, Lifetime: sec(1800)}}},
			want: "1f 05 0000 00000708 036c6162 076578616d706c65 00 076578616d706c65 03636f6d 00 000000000000",
		},
		{
			name: "DNSSL names go out as written, without IDNA processing",
			ifc:  config.Interface{DNSSL: []config.DNSSL{{Domains: []string{"Lab.Example", "_srv.example", "xn--zz"}, Lifetime: config.Infinite}}},
			want: "1f 06 0000 ffffffff 034c6162 074578616d706c65 00 045f737276 076578616d706c65 00 06786e2d2d7a7a 00 0000000000",
		},
	})
}
