package ra

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ralab/ralab/internal/config"
)

func TestCaptivePortalRoundTrip(t *testing.T) {
	uri := "https://portal.example/api"
	testRoundTrip(t, captivePortalOption{}, []optionTest{
		{name: "none", ifc: config.Interface{}},
		{
			name:     "URI padded with NUL bytes",
			ifc:      config.Interface{CaptivePortal: uri},
			want:     []Option{{Type: TypeCaptivePortal, Length: 4, CaptivePortal: uri}},
			wire:     "25 04 " + fmt.Sprintf("%x", uri) + "00000000",
			describe: []string{uri},
		},
		{
			name:     "unrestricted",
			ifc:      config.Interface{CaptivePortal: "urn:ietf:params:capport:unrestricted"},
			want:     []Option{{Type: TypeCaptivePortal, Length: 5, CaptivePortal: "urn:ietf:params:capport:unrestricted"}},
			wire:     "25 05 " + fmt.Sprintf("%x", "urn:ietf:params:capport:unrestricted") + "00 00",
			describe: []string{"urn:ietf:params:capport:unrestricted"},
		},
	})
}

func TestCaptivePortalErrors(t *testing.T) {
	testBuildErrors(t, []buildErrorTest{
		{name: "captive portal NUL", ifc: config.Interface{CaptivePortal: "https://a\x00b"}, want: "NUL"},
		{name: "captive portal too long", ifc: config.Interface{CaptivePortal: "https://" + strings.Repeat("p", 240)}, want: "captive portal option would be 256 bytes"},
	})
}

func TestCaptivePortalDecode(t *testing.T) {
	testDecode(t, []decodeTest{
		{
			name: "captive portal",
			b:    hdr + "25 01 61 62 63 00 00 00",
			want: withOptions(Option{Type: 37, Length: 1, CaptivePortal: "abc"}),
		},
		{
			name: "captive portal with NUL inside",
			b:    hdr + "25 01 61 00 63 00 00 00",
			want: withOptions(Option{Type: 37, Length: 1, CaptivePortal: "a\x00c", Err: ErrMalformed}),
		},
		{
			name: "empty captive portal",
			b:    hdr + "25 01 00 00 00 00 00 00",
			want: withOptions(Option{Type: 37, Length: 1, Err: ErrMalformed}),
		},
	})
}

func TestCaptivePortalBuild(t *testing.T) {
	testBuildOptions(t, []buildOptionsTest{
		{
			name: "captive portal",
			ifc:  config.Interface{CaptivePortal: "https://portal.example/api"},
			want: "25 04 " + fmt.Sprintf("%x", "https://portal.example/api") + "00000000",
		},
	})
}
