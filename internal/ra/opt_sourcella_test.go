package ra

import (
	"net"
	"testing"

	"github.com/ralab/ralab/internal/config"
)

func TestSourceLLARoundTrip(t *testing.T) {
	testRoundTrip(t, sourceLLAOption{}, []optionTest{
		{name: "off", ifc: config.Interface{}},
		{
			name:     "the interface MAC",
			ifc:      config.Interface{SourceLLA: true},
			want:     []Option{{Type: TypeSourceLLA, Length: 1, LinkLayerAddress: testMAC}},
			wire:     "01 01 02005e005301",
			describe: []string{"02:00:5e:00:53:01"},
		},
	})
}

func TestSourceLLAErrors(t *testing.T) {
	testBuildErrors(t, []buildErrorTest{
		{name: "source LLA without MAC", ifc: config.Interface{SourceLLA: true}, want: "source link-layer address"},
		{name: "source LLA with EUI-64", ifc: config.Interface{SourceLLA: true}, mac: net.HardwareAddr{1, 2, 3, 4, 5, 6, 7, 8}, want: "6-byte"},
	})
}

func TestSourceLLADecode(t *testing.T) {
	testDecode(t, []decodeTest{
		{
			name: "source link-layer address",
			b:    hdr + "01 01 02005e005301",
			want: withOptions(Option{Type: 1, Length: 1, LinkLayerAddress: testMAC}),
		},
	})
}

func TestSourceLLABuild(t *testing.T) {
	testBuildOptions(t, []buildOptionsTest{
		{
			name: "source link-layer address",
			ifc:  config.Interface{SourceLLA: true},
			want: "01 01 02005e005301",
		},
	})
}
