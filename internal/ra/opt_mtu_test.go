package ra

import (
	"testing"

	"github.com/ralab/ralab/internal/config"
)

func TestMTURoundTrip(t *testing.T) {
	testRoundTrip(t, mtuOption{}, []optionTest{
		{name: "none", ifc: config.Interface{}},
		{
			name:     "minimum",
			ifc:      config.Interface{MTU: 1280},
			want:     []Option{{Type: TypeMTU, Length: 1, MTU: 1280}},
			wire:     "05 01 0000 00000500",
			describe: []string{"1280"},
		},
		{
			name:     "jumbo",
			ifc:      config.Interface{MTU: 9000},
			want:     []Option{{Type: TypeMTU, Length: 1, MTU: 9000}},
			wire:     "05 01 0000 00002328",
			describe: []string{"9000"},
		},
	})
}

func TestMTUErrors(t *testing.T) {
	testBuildErrors(t, []buildErrorTest{
		{name: "MTU below 1280", ifc: config.Interface{MTU: 1279}, want: "MTU 1279"},
	})
}

func TestMTUDecode(t *testing.T) {
	testDecode(t, []decodeTest{
		{
			name: "MTU of wrong length",
			b:    hdr + "05 02 0000 000005dc 0000000000000000",
			want: withOptions(Option{Type: 5, Length: 2, Err: ErrMalformed}),
		},
	})
}

func TestMTUBuild(t *testing.T) {
	testBuildOptions(t, []buildOptionsTest{
		{
			name: "MTU",
			ifc:  config.Interface{MTU: 1500},
			want: "05 01 0000 000005dc",
		},
	})
}
